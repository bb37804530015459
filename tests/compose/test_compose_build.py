"""Compositions through a whole build: asked for in the front matter, they join page, manifest and zips."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import av
import pytest

from conftest import SLUG, make_tiny_story, make_video, run_cli, write_story


def _size_and_duration(path: Path) -> tuple[tuple[int, int], float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return (stream.codec_context.width, stream.codec_context.height), container.duration / 1_000_000


@pytest.fixture(scope="module")
def composed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("compose")
    story = make_tiny_story(base / "story")
    text = (story / "story.md").read_text()
    (story / "story.md").write_text(text.replace(
        "media:\n", "compose: {slideshow: true, social: true, seconds_per_photo: 1}\nmedia:\n", 1))
    proc = run_cli("build", str(story), "--out", str(base / "dist"), "--json")
    assert proc.returncode == 0, proc.stderr
    return base / "dist" / SLUG


def test_slideshow_and_social_cuts_are_written(composed: Path) -> None:
    (wide, wide_seconds) = _size_and_duration(composed / "media" / "slideshow" / "16x9.mp4")
    (tall, _) = _size_and_duration(composed / "media" / "slideshow" / "9x16.mp4")
    assert wide == (1920, 1080) and tall == (1080, 1920)
    assert 2.0 <= wide_seconds <= 3.0  # 1 s title + two 1 s photos, less the cross-fades
    (portrait, cut_seconds) = _size_and_duration(composed / "media" / "clip" / "social-9x16.mp4")
    (square, _) = _size_and_duration(composed / "media" / "clip" / "social-1x1.mp4")
    assert portrait[0] < portrait[1] and square[0] == square[1]
    assert abs(cut_seconds - 2.0) < 0.3


def test_compositions_are_downloads_not_figures(composed: Path) -> None:
    html = (composed / "index.html").read_text()
    assert 'href="media/slideshow/16x9.mp4"' in html and 'href="media/clip/social-9x16.mp4"' in html
    assert "Slideshow 16:9 MP4" in html and "Social 9:16 MP4" in html
    assert '<source src="media/clip/social' not in html, "a social cut is never a player source"
    assert '<source src="media/slideshow' not in html, "the slideshow is not placed in the article"
    manifest = json.loads((composed / "manifest.json").read_text())
    names = {a["name"]: [r["name"] for r in a["renditions"]] for a in manifest["associations"]}
    assert names["slideshow"] == ["slideshow-16x9", "slideshow-9x16"]
    assert {"social-9x16", "social-1x1"} <= set(names["clip"])
    with zipfile.ZipFile(composed / "packages" / f"{SLUG}-full.zip") as full:
        entries = set(full.namelist())
    assert "media/slideshow/16x9.mp4" in entries and "media/clip/social-1x1.mp4" in entries
    assert not any(e.startswith("originals/slideshow") for e in entries)


def test_a_rebuild_takes_compositions_from_the_cache(composed: Path) -> None:
    story = composed.parent.parent / "story"
    proc = run_cli("build", str(story), "--out", str(composed.parent), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)["stories"][0]
    assert summary["built"] == 0 and summary["cached"] > 0


def test_a_slideshow_without_photos_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    make_video(tmp_path / "story" / "clip.mp4", seconds=1.0, size=(160, 120))
    write_story(tmp_path / "story", """
        headline: No photos
        compose: [slideshow]
        media:
          - {id: clip, file: clip.mp4, caption: c, credit: d}
        """)
    proc = run_cli("build", str(tmp_path / "story"), "--out", str(tmp_path / "dist"))
    assert proc.returncode == 1
    assert "compose.slideshow" in proc.stderr and "no photos" in proc.stderr
    assert not (tmp_path / "dist" / "no-photos").exists()


def test_nothing_is_composed_unless_asked_and_mediapack_toml_can_ask(tmp_path: Path) -> None:
    story = make_tiny_story(tmp_path / "story")
    out = tmp_path / "dist"
    assert run_cli("build", str(story), "--out", str(out)).returncode == 0
    media = out / SLUG / "media"
    assert not (media / "slideshow").exists()
    assert not list(media.glob("*/social-*"))
    (story / "mediapack.toml").write_text("[compose]\nsocial = true\n")
    proc = run_cli("build", str(story), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in media.glob("*/social-*")) == ["social-1x1.mp4", "social-9x16.mp4"]
    assert not (media / "slideshow").exists()
