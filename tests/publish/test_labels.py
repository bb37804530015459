"""Link labels: sizes, clocks and link text shown to users in the Downloads block."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediapack.i18n import clock, words_for
from mediapack.model import Rendition
from mediapack.publish.labels import iso_duration, label, link_title


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 byte"), (999, "999 byte"), (1000, "1 kB"), (1499, "1 kB"), (1500, "2 kB"), (2_000, "2 kB"),
    (640_000, "640 kB"), (840_000, "840 kB"), (999_499, "999 kB"), (999_500, "1.0 MB"),
    (1_000_000, "1.0 MB"), (2_100_000, "2.1 MB"), (2_149_999, "2.1 MB"), (2_150_000, "2.2 MB"),
    (9_949_999, "9.9 MB"), (9_950_000, "10 MB"), (12_000_000, "12 MB"), (999_499_999, "999 MB"),
    (999_500_000, "1.0 GB"), (3_500_000_000, "3.5 GB"), (2_000_000_000_000, "2.0 TB"),
])
def test_sizes_use_decimal_units(n, text):
    assert words_for("en").size(n) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0:00"), (0.4, "0:00"), (14.4, "0:14"), (14.5, "0:15"), (14.96, "0:15"), (59.6, "1:00"),
    (90, "1:30"), (62.2, "1:02"), (3599.5, "1:00:00"), (3723, "1:02:03"), (-3, "0:00"),
])
def test_clock(seconds, text):
    assert clock(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "PT0S"), (14.4, "PT14S"), (90, "PT1M30S"), (120, "PT2M"), (3600, "PT1H"), (3723, "PT1H2M3S"),
])
def test_iso_duration(seconds, text):
    assert iso_duration(seconds) == text


def rendition(name: str, path: str, content_type: str, size: int, **extra) -> Rendition:
    return Rendition(name=name, path=Path(path), content_type=content_type, size_bytes=size, **extra)


@pytest.mark.parametrize(("r", "text"), [
    (rendition("720p", "media/clip/720p.mp4", "video/mp4", 2_100_000, width=1280, height=720, duration=14.6),
     "720p MP4 · 1280×720 · 0:15 · 2.1 MB"),
    (rendition("large", "media/one/large.jpg", "image/jpeg", 640_000, width=2048, height=1365),
     "Large JPEG · 2048×1365 · 640 kB"),
    (rendition("medium-webp", "media/one/medium.webp", "image/webp", 150_000, width=1024, height=683),
     "Medium WebP · 1024×683 · 150 kB"),
    (rendition("web", "packages/s-web.zip", "application/zip", 12_000_000, role="package"),
     "Web package ZIP · 12 MB"),
    (rendition("audio", "media/tone/audio.m4a", "audio/mp4", 1_000_000, duration=62.0),
     "Audio M4A · 1:02 · 1.0 MB"),
    (rendition("captions", "media/clip/captions.vtt", "text/vtt", 2_000, role="captions"),
     "Captions WebVTT · 2 kB"),
    (rendition("poster", "media/clip/poster.jpg", "image/jpeg", 48_000, role="poster", width=320, height=240),
     "Poster JPEG · 320×240 · 48 kB"),
])
def test_link_title_examples(r, text):
    assert link_title(r) == text


def test_unknown_content_type_is_named_by_the_file_extension():
    assert label("original", "application/octet-stream", 5_000, path="originals/x.mxf") == "Original MXF · 5 kB"


def test_label_leaves_out_unknown_fields():
    assert label("web", "application/zip", None, package=True) == "Web package ZIP"
