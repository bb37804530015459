"""The figures' speed details (the lead photo loads first, the poster is WebP, a phone picks a small rung) and
the captions track's language."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_manifest import HOSTILE, _r, sample
from test_page import Elements

from mediapack.model import PHOTO, BuiltMedia, MediaInfo, MediaItem
from mediapack.publish.body import render_body
from mediapack.publish.figures import rung_media


def two_photos_and_a_video():
    """The sample story with a second photo placed before the first: the lead is still the first of the list."""
    story, media, _ = sample(extra_media=False, body="![[two]]\n\nText.\n\n![[one]]\n\n![[clip]]\n")
    photo = media[0]
    second = BuiltMedia(MediaItem("two", Path("photos/two.jpg"), caption=HOSTILE, alt=HOSTILE),
                        MediaInfo(Path("photos/two.jpg"), PHOTO, "JPEG", 800, 600),
                        tuple(replace(r, path=Path(str(r.path).replace("/one/", "/two/"))) for r in photo.renditions))
    media = [photo, media[1], second]
    return replace(story, media=tuple(m.item for m in media)), media


def test_the_lead_photo_is_fetched_first_and_the_others_lazily():
    story, media = two_photos_and_a_video()
    images = {img["src"]: img for img in Elements(render_body(story, media, None).html).find("img")}
    lead, other = images["media/one/medium.jpg"], images["media/two/medium.jpg"]
    assert (lead["fetchpriority"], lead.get("loading")) == ("high", None)  # never lazy: it is the largest paint
    assert (other.get("fetchpriority"), other["loading"], other["decoding"]) == (None, "lazy", "async")


def test_a_story_without_photos_has_no_lead_image_on_the_page():
    story, media, _ = sample(extra_media=False)
    html = render_body(replace(story, media=(media[1].item,)), media[1:], None).html
    assert "fetchpriority" not in html and "<img" not in html


def test_every_jpeg_width_is_offered_as_webp_too():
    story, media, _ = sample(extra_media=False)
    photo = media[0]
    webps = tuple(replace(r, name=f"{r.name}-webp", path=r.path.with_suffix(".webp"), content_type="image/webp")
                  for r in photo.renditions if r.content_type == "image/jpeg" and r.name in ("large", "thumb"))
    photo = replace(photo, renditions=photo.renditions + webps)
    (webp,) = [s for s in Elements(render_body(story, [photo], None).html).find("source")]
    assert webp["srcset"] == ("media/one/large.webp 2048w, media/one/medium.webp 1024w, "
                              "media/one/small.webp 640w, media/one/thumb.webp 320w")


def test_without_jpegs_the_img_offers_one_format_webp_before_avif():
    story, media, _ = sample(extra_media=False)
    photo = media[0]
    as_format = {"large": (".webp", "image/webp"), "medium": (".webp", "image/webp"), "small": (".avif", "image/avif")}
    renditions = tuple(replace(r, path=r.path.with_suffix(as_format[r.name][0]), content_type=as_format[r.name][1])
                       for r in photo.renditions if r.name in as_format)  # sizes set with formats = ["webp"]...
    html = render_body(story, [replace(photo, renditions=renditions)], None).html
    (img,) = Elements(html).find("img")
    assert img["src"] == "media/one/medium.webp"
    assert img["srcset"] == "media/one/large.webp 2048w, media/one/medium.webp 1024w"  # no AVIF a browser may lack
    (avif,) = Elements(html).find("source")
    assert (avif["type"], avif["srcset"]) == ("image/avif", "media/one/small.avif 640w")


def test_the_video_shows_the_webp_poster_and_the_jpeg_stands_in_without_one():
    story, media, _ = sample(extra_media=False)
    clip = media[1]
    webp = _r("poster-webp", "media/clip/poster.webp", "image/webp", 50_000, role="poster", width=1280, height=720)
    with_webp = replace(clip, renditions=(*clip.renditions, webp))
    (video,) = Elements(render_body(story, [media[0], with_webp], None).html).find("video")
    assert video["poster"] == "media/clip/poster.webp"
    (video,) = Elements(render_body(story, media, None).html).find("video")
    assert video["poster"] == "media/clip/poster.jpg"


def test_a_phone_is_offered_a_small_rung_and_a_desktop_the_top_one():
    story, media, _ = sample(extra_media=False)
    clip = media[1]
    rungs = [_r(f"{h}p", f"media/clip/{h}p.mp4", "video/mp4", h * 1000, width=w, height=h, duration=14.6)
             for w, h in ((1920, 1080), (640, 360), (854, 480), (1280, 720))]
    clip = replace(clip, renditions=(*rungs, *clip.renditions[2:]))
    sources = [s for s in Elements(render_body(story, [media[0], clip], None).html).find("source")
               if s["type"] == "video/mp4"]
    # The browser takes the first that matches: a rung is enough up to half its width in CSS pixels.
    assert [(s["src"], s.get("media")) for s in sources] == [
        ("media/clip/1080p.mp4", "(min-width: 641px)"), ("media/clip/720p.mp4", "(min-width: 428px)"),
        ("media/clip/480p.mp4", "(min-width: 321px)"), ("media/clip/360p.mp4", None)]


def test_rungs_of_one_width_need_no_query():
    rungs = [_r("a", "media/v/a.mp4", "video/mp4", 10, width=640, height=360),
             _r("b", "media/v/b.mp4", "video/mp4", 10, width=640, height=360)]
    assert rung_media(rungs) == [None, None]
    assert rung_media(rungs[:1]) == [None] and rung_media([]) == []


@pytest.mark.parametrize(("subtitles", "language"), [
    ("video/clip.fa.srt", "fa"), ("video/clip.pt-BR.vtt", "pt-BR"), ("video/clip.srt", "de"),
    ("video/clip.final.srt", "de"), ("video/clip.v2.srt", "de"), ("video/clip.xx.srt", "de"),
])
def test_the_track_language_comes_from_the_file_name_else_the_story(subtitles: str, language: str) -> None:
    story, media, _ = sample()
    video = media[1]
    built = replace(video, item=replace(video.item, subtitles=Path(subtitles)))
    (track,) = Elements(render_body(replace(story, language="de"), [built], None).html).find("track")
    assert track["srclang"] == language
