"""The ninjs manifest: schema-valid, complete, deterministic, with relative or absolute hrefs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

from mediapack.errors import BuildError
from mediapack.model import (
    AUDIO,
    PHOTO,
    VIDEO,
    BuiltMedia,
    MediaInfo,
    MediaItem,
    Publisher,
    Rendition,
    Story,
)
from mediapack.publish.body import render_body
from mediapack.publish.labels import link_title
from mediapack.publish.links import href_for
from mediapack.publish.manifest import make_manifest, manifest_json, story_url, write_manifest

# A copy of IPTC's ninjs 3.1 schema (CC BY 4.0), so the tests need nothing outside the repository.
SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "ninjs-schema_3.1.json").read_text(encoding="utf-8"))


def manifest_of(story: Story, media, packages, base_url: str | None) -> dict:
    """Make the manifest as a build does, with the body rendered once for it."""
    return make_manifest(story, media, packages, base_url, render_body(story, media, base_url))
HOSTILE = "<script>alert(1)</script> {{ 7*7 }} {% if %}"
BASE = "https://media.example.org/stories/"
CEST = timezone(timedelta(hours=2))


def _r(name: str, path: str, content_type: str, size: int, **extra) -> Rendition:
    r = Rendition(name=name, path=Path(path), content_type=content_type, size_bytes=size, **extra)
    return replace(r, title=link_title(r))  # the build fills titles the same way


def sample(caption: str = "First photo", headline: str = "Tiny story", body: str | None = None,
           extra_media: bool = True) -> tuple[Story, list[BuiltMedia], tuple[Rendition, ...]]:
    """A fixed small story: one photo, one video with captions, one audio item (unplaced), two packages."""
    photo = BuiltMedia(
        MediaItem("one", Path("photos/one.jpg"), caption=caption, credit="Ann Writer/Example",
                  alt="A gradient with shapes", creator="Ann Writer", copyright="© 2026 Ann Writer"),
        MediaInfo(Path("photos/one.jpg"), PHOTO, "JPEG", 3000, 2000),
        (_r("large", "media/one/large.jpg", "image/jpeg", 640_000, width=2048, height=1365),
         _r("medium", "media/one/medium.jpg", "image/jpeg", 210_000, width=1024, height=683),
         _r("medium-webp", "media/one/medium.webp", "image/webp", 150_000, width=1024, height=683),
         _r("small", "media/one/small.jpg", "image/jpeg", 90_000, width=640, height=427),
         _r("small-webp", "media/one/small.webp", "image/webp", 60_000, width=640, height=427),
         _r("thumb", "media/one/thumb.jpg", "image/jpeg", 20_000, width=320, height=213),
         _r("square", "media/one/square.jpg", "image/jpeg", 30_000, width=300, height=300)),
        poi=(1500, 600))
    video = BuiltMedia(
        MediaItem("clip", Path("video/clip.mp4"), caption="A test clip", credit="Example Video",
                  subtitles=Path("video/clip.srt")),
        MediaInfo(Path("video/clip.mp4"), VIDEO, "mov,mp4,m4a,3gp,3g2,mj2", 1280, 720, duration=14.6,
                  video_codec="h264", frame_rate=25.0),
        (_r("480p", "media/clip/480p.mp4", "video/mp4", 900_000, width=854, height=480, duration=14.6,
            video_codec="avc1.64001e", frame_rate=25.0, bitrate=500_000),
         _r("720p", "media/clip/720p.mp4", "video/mp4", 2_100_000, width=1280, height=720, duration=14.6,
            video_codec="avc1.64001f", frame_rate=25.0, bitrate=1_150_000),
         _r("poster", "media/clip/poster.jpg", "image/jpeg", 80_000, role="poster", width=1280, height=720),
         _r("thumbnails", "media/clip/thumbnails.jpg", "image/jpeg", 30_000, role="thumbnails",
            width=800, height=90),
         _r("captions", "media/clip/captions.vtt", "text/vtt", 2_000, role="captions")))
    audio = BuiltMedia(
        MediaItem("tone", Path("audio/tone.wav"), caption="A tone", credit="Bo Reporter"),
        MediaInfo(Path("audio/tone.wav"), AUDIO, "wav", duration=62.0),
        (_r("audio", "media/tone/audio.m4a", "audio/mp4", 1_000_000, duration=62.0, bitrate=128_000),))
    media = [photo, video, audio] if extra_media else [photo, video]
    story = Story(
        folder=Path("/newsroom/tiny-story"), source=Path("/newsroom/tiny-story/story.md"),
        headline=headline, slug="tiny-story",
        body=body if body is not None else
        "First paragraph.\n\n![[one]]\n\nSecond paragraph with **bold**.\n\n![[clip]]\n",
        standfirst="A small story for tests.", byline=("Ann Writer", "Bo Reporter"), section="Tests",
        published=datetime(2026, 6, 20, 11, 30, tzinfo=CEST), updated=datetime(2026, 6, 20, 12, 0, tzinfo=UTC),
        language="en", copyright="© 2026 Example News", media=tuple(m.item for m in media))
    packages = (_r("web", "packages/tiny-story-web.zip", "application/zip", 3_400_000, role="package"),
                _r("full", "packages/tiny-story-full.zip", "application/zip", 12_000_000, role="package"))
    return story, media, packages


def all_hrefs(manifest: dict) -> list[str]:
    """Every rendition href in a manifest, media and packages."""
    rends = [r for a in manifest.get("associations", []) for r in a["renditions"]]
    return [r["href"] for r in rends + manifest.get("renditions", [])]


def schema_errors(doc: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(SCHEMA).iter_errors(doc)]


@pytest.mark.parametrize("base_url", [None, BASE])
def test_manifest_validates_against_the_ninjs_schema(base_url):
    story, media, packages = sample(caption=HOSTILE, headline=HOSTILE)
    manifest = manifest_of(story, media, packages, base_url)
    assert schema_errors(manifest) == []
    assert schema_errors(json.loads(manifest_json(manifest))) == []


def test_the_schema_check_can_fail():
    story, media, packages = sample()
    manifest = manifest_of(story, media, packages, None)
    manifest["associations"][1]["renditions"][0]["bitrate"] = 500_000  # ninjs wants "500 kbps"
    manifest["credit"] = "not a ninjs property"
    assert len(schema_errors(manifest)) == 2


def test_manifest_describes_the_story():
    story, media, packages = sample()
    m = manifest_of(story, media, packages, None)
    assert m["uri"] == "urn:mediapack:tiny-story"
    assert m["type"] == "composite"
    assert m["headlines"] == [{"role": "main", "value": "Tiny story"}]
    assert m["by"] == "Ann Writer and Bo Reporter"
    assert m["firstCreated"] == "2026-06-20T09:30:00Z"  # 11:30+02:00 in UTC
    assert m["versionCreated"] == "2026-06-20T12:00:00Z"
    assert m["language"] == "en"
    assert m["copyrightNotice"] == "© 2026 Example News"
    assert m["descriptions"][0]["value"] == "A small story for tests."
    html, text = m["bodies"]
    assert html["contentType"] == "text/html" and "<strong>bold</strong>" in html["value"]
    assert "<figure" in html["value"]
    assert text["contentType"] == "text/plain" and "Second paragraph with bold." in text["value"]
    assert "[Photo: First photo — Ann Writer/Example]" in text["value"]
    assert m["subjects"] == [{"name": "Tests", "rel": "section"}]


def test_each_media_item_is_an_association_with_caption_alt_credit_and_renditions():
    story, media, packages = sample()
    photo, video, audio = manifest_of(story, media, packages, None)["associations"]
    assert [photo["type"], video["type"], audio["type"]] == ["picture", "video", "audio"]
    assert [photo["name"], video["name"], audio["name"]] == ["one", "clip", "tone"]
    assert {d["role"]: d["value"] for d in photo["descriptions"]} == {
        "caption": "First photo", "alt": "A gradient with shapes"}
    assert photo["by"] == "Ann Writer/Example"
    assert photo["copyrightNotice"] == "© 2026 Ann Writer"
    assert [r["name"] for r in photo["renditions"]] == [r.name for r in media[0].renditions]
    large = photo["renditions"][0]
    assert large == {"name": "large", "href": "media/one/large.jpg", "contentType": "image/jpeg",
                     "width": 2048, "height": 1365, "sizeInBytes": 640_000, "poi": {"x": 1024, "y": 410},
                     "title": "Large JPEG · 2048×1365 · 640 kB"}
    square = next(r for r in photo["renditions"] if r["name"] == "square")
    assert "poi" not in square  # a crop: the source's focal point does not map onto it
    hd = next(r for r in video["renditions"] if r["name"] == "720p")
    assert hd == {"name": "720p", "href": "media/clip/720p.mp4", "contentType": "video/mp4", "width": 1280,
                  "height": 720, "duration": 14.6, "sizeInBytes": 2_100_000, "videoCodec": "avc1.64001f",
                  "frameRate": 25.0, "bitrate": "1150 kbps", "title": "720p MP4 · 1280×720 · 0:15 · 2.1 MB"}
    captions = next(r for r in video["renditions"] if r["name"] == "captions")
    assert set(captions) == {"name", "href", "contentType", "sizeInBytes", "title"}  # only fields that are set
    assert all("poi" not in r for r in video["renditions"])


def test_packages_are_renditions_of_the_story():
    story, media, packages = sample()
    m = manifest_of(story, media, packages, None)
    assert m["renditions"] == [
        {"name": "web", "href": "packages/tiny-story-web.zip", "contentType": "application/zip",
         "sizeInBytes": 3_400_000, "title": "Web package ZIP · 3.4 MB"},
        {"name": "full", "href": "packages/tiny-story-full.zip", "contentType": "application/zip",
         "sizeInBytes": 12_000_000, "title": "Full package ZIP · 12 MB"}]
    assert "renditions" not in manifest_of(story, media, (), None)


def test_hrefs_are_relative_without_base_url():
    story, media, packages = sample()
    hrefs = all_hrefs(manifest_of(story, media, packages, None))
    assert len(hrefs) == 7 + 5 + 1 + 2
    for href in hrefs:
        assert not urlsplit(href).scheme and not href.startswith("/"), href
        assert href.startswith(("media/", "packages/"))


def test_base_url_makes_every_href_absolute():
    story, media, packages = sample()
    m = manifest_of(story, media, packages, BASE)
    assert story_url(m) == "https://media.example.org/stories/tiny-story/"
    for href in all_hrefs(m):
        assert href.startswith("https://media.example.org/stories/tiny-story/"), href
    assert all_hrefs(m)[0] == "https://media.example.org/stories/tiny-story/media/one/large.jpg"


def test_the_uri_is_stable_whatever_the_base_url():
    story, media, packages = sample()
    plain, hosted = manifest_of(story, media, packages, None), manifest_of(story, media, packages, BASE)
    assert plain["uri"] == hosted["uri"] == "urn:mediapack:tiny-story"
    assert [a["uri"] for a in hosted["associations"]] == [a["uri"] for a in plain["associations"]] == [
        "urn:mediapack:tiny-story:one", "urn:mediapack:tiny-story:clip", "urn:mediapack:tiny-story:tone"]
    assert story_url(plain) == "" and "altIds" not in plain
    assert hosted["altIds"] == [{"role": "url", "value": "https://media.example.org/stories/tiny-story/"}]


@pytest.mark.parametrize(("uri", "item"), [("urn:newsroom:2026:ferry", "urn:newsroom:2026:ferry:one"),
                                           ("https://example.org/id/ferry", "https://example.org/id/ferry/media/one")])
def test_a_story_uri_names_the_story_and_its_items(uri, item):
    story, media, packages = sample()
    m = manifest_of(replace(story, uri=uri), media, packages, BASE)
    assert m["uri"] == uri
    assert m["associations"][0]["uri"] == item
    assert schema_errors(m) == []


def test_partners_get_status_dates_rights_languages_and_media_topics():
    story, media, packages = sample()
    story = replace(story, publisher=Publisher("Example News", "https://news.example.org"),
                    license="https://example.org/licence", subjects=("medtop:20000763", "medtop:04000000"))
    m = manifest_of(story, media, packages, None)
    assert m["pubStatus"] == "usable"
    assert (m["firstCreated"], m["versionCreated"], m["contentCreated"]) == (
        "2026-06-20T09:30:00Z", "2026-06-20T12:00:00Z", "2026-06-20T09:30:00Z")
    assert m["copyrightHolder"] == "Example News"
    assert m["usageTerms"] == "Licence: https://example.org/licence"
    assert {a["language"] for a in m["associations"]} == {"en"}
    assert m["subjects"] == [
        {"name": "Tests", "rel": "section"},
        {"uri": "http://cv.iptc.org/newscodes/mediatopic/20000763", "literal": "medtop:20000763"},
        {"uri": "http://cv.iptc.org/newscodes/mediatopic/04000000", "literal": "medtop:04000000"}]
    assert schema_errors(m) == []


def test_href_for_quotes_what_a_url_cannot_hold():
    assert href_for(Path("media/clip/720p.mp4"), "s", None) == "media/clip/720p.mp4"
    assert href_for(Path("media/a b/x:y#1.mp4"), "s", None) == "media/a%20b/x%3Ay%231.mp4"
    assert href_for(Path("media/c/720p.mp4"), "my story", "https://x.org/s") == \
        "https://x.org/s/my%20story/media/c/720p.mp4"


def test_hostile_text_is_kept_literally():
    story, media, packages = sample(caption=HOSTILE, headline=HOSTILE)
    data = manifest_json(manifest_of(story, media, packages, None))
    back = json.loads(data)
    assert back["headlines"][0]["value"] == HOSTILE
    assert back["associations"][0]["descriptions"][0]["value"] == HOSTILE
    assert HOSTILE not in back["bodies"][0]["value"]  # the HTML body holds it escaped
    assert "First &lt;script&gt;" not in back["bodies"][0]["value"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in back["bodies"][0]["value"]


def test_manifest_bytes_are_deterministic_and_hold_no_absolute_paths():
    first = manifest_json(manifest_of(*sample(), None))
    second = manifest_json(manifest_of(*sample(), None))
    assert first == second
    assert first.endswith(b"}\n")
    assert "©".encode() in first  # UTF-8, not \u escapes
    assert b"/newsroom" not in first


def test_write_manifest_replaces_the_file_and_leaves_no_temporary_files(tmp_path):
    (tmp_path / "manifest.json").write_text("old", encoding="utf-8")
    manifest = manifest_of(*sample(), None)
    path = write_manifest(tmp_path, manifest)
    assert path == tmp_path / "manifest.json"
    assert path.read_bytes() == manifest_json(manifest)
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_write_manifest_into_a_missing_folder_names_the_file(tmp_path):
    with pytest.raises(BuildError, match="manifest.json"):
        write_manifest(tmp_path / "missing", manifest_of(*sample(), None))


def test_a_crop_gets_the_focal_point_where_it_cut_around_it():
    story, media, packages = sample()
    crops = (_r("crop-16x9", "media/one/crop-16x9.jpg", "image/jpeg", 90_000, role="crop", width=1200, height=675),
             _r("crop-1x1", "media/one/crop-1x1.jpg", "image/jpeg", 90_000, role="crop", width=1200, height=1200))
    media[0] = replace(media[0], renditions=(*media[0].renditions, *crops))  # 3000x2000, poi (1500, 600)
    pois = {r["name"]: r.get("poi") for r in manifest_of(story, media, packages, None)["associations"][0]["renditions"]}
    assert pois["crop-16x9"] == {"x": 600, "y": 240}  # the 16:9 box spans the width and sits at the top
    assert pois["crop-1x1"] == {"x": 600, "y": 360}  # the square is centred on x = 1500
    assert pois["square"] is None  # the square's box is the one most detailed, not one around the point
