"""A built video story's crops: the poster cut around its focus, in the manifest, JSON-LD, share card and cache."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from conftest import make_video, write_story
from mediapack.build import build
from mediapack.context import BuildOptions
from mediapack.settings import PhotoSettings, Settings, VideoRung, VideoSettings

FAST = Settings(photos=PhotoSettings(crop_width=320),
                video=VideoSettings(ladder=(VideoRung("240p", 240, "800k", "1600k"),), preset="ultrafast"))
BASE = "https://media.example.org/stories"
SCHEMA = json.loads((Path(__file__).parent / "data" / "ninjs-schema_3.1.json").read_text(encoding="utf-8"))


class Head(HTMLParser):
    """The <meta property|name> contents and <script type=application/ld+json> of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.jsonld, self._in_ld = "", False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (key := attrs.get("property") or attrs.get("name")):
            self.meta.setdefault(key, attrs.get("content") or "")
        self._in_ld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_ld:
            self.jsonld += data


def video_story(folder: Path, focus: str) -> Path:
    make_video(folder / "v.mp4", seconds=1.0, size=(320, 240), audio=False)
    return write_story(folder, f"""
        headline: A clip alone
        published: 2026-06-20T09:30:00Z
        media:
          - {{id: v, file: v.mp4, caption: A clip, credit: Bo, focus: {focus}}}
        """)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("crops")
    story = video_story(base / "story", "[0.25, 0.5]")
    result = build(story, base / "out", FAST, BuildOptions(base_url=BASE, cache_dir=base / "cache"))
    return {"base": base, "story": story, "result": result, "root": result.output}


def test_a_video_lead_gets_its_poster_cropped_and_a_share_image(built):
    media = built["root"] / "media" / "v"
    sizes = {name: Image.open(media / f"{name}.jpg").size for name in ("crop-16x9", "crop-4x3", "crop-1x1", "share")}
    assert sizes == {"crop-16x9": (320, 180), "crop-4x3": (320, 240), "crop-1x1": (240, 240), "share": (320, 168)}


def test_the_manifest_lists_the_crops_and_the_focus_as_the_posters_poi(built):
    manifest = json.loads((built["root"] / "manifest.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(SCHEMA).iter_errors(manifest)) == []
    renditions = {r["name"]: r for r in manifest["associations"][0]["renditions"]}
    assert {"crop-16x9", "crop-4x3", "crop-1x1", "share"} <= set(renditions)
    assert renditions["share"]["href"] == f"{BASE}/a-clip-alone/media/v/share.jpg"
    assert renditions["poster"]["poi"] == {"x": 80, "y": 120}
    assert "poi" not in renditions["240p"]  # a point of interest marks pictures, not the video


def test_the_page_shares_the_share_image_and_search_gets_every_ratio(built):
    head = Head((built["root"] / "index.html").read_text(encoding="utf-8"))
    story_url = f"{BASE}/a-clip-alone/"
    assert head.meta["og:image"] == head.meta["twitter:image"] == story_url + "media/v/share.jpg"
    assert (head.meta["og:image:width"], head.meta["og:image:height"]) == ("320", "168")
    ld = json.loads(head.jsonld)
    assert [i["url"] for i in ld["image"]][:3] == [story_url + f"media/v/crop-{r}.jpg" for r in ("16x9", "4x3", "1x1")]
    assert ld["video"][0]["thumbnailUrl"] == [story_url + "media/v/poster.jpg"] + [
        story_url + f"media/v/crop-{r}.jpg" for r in ("16x9", "4x3", "1x1")]


def test_a_new_focus_recrops_the_poster_and_re_encodes_nothing_else(built, tmp_path):
    video_story(built["story"], "[0.75, 0.5]")
    again = build(built["story"], tmp_path / "out", FAST, BuildOptions(base_url=BASE, cache_dir=built["base"] / "cache"))
    assert again.built == 4  # the three ratios and the share image; the ladder, poster and sprite are cached
    first, second = (Image.open(root / "media" / "v" / "crop-1x1.jpg").convert("L")
                     for root in (built["root"], again.output))
    assert first.tobytes() != second.tobytes()
