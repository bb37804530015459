"""Share cards and search hints in the page's <head>, and the JSON-LD publisher and authors, read by a parser."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from test_manifest import BASE, HOSTILE, _r, manifest_of, sample
from test_page import Elements, read

from mediapack.model import Publisher
from mediapack.publish.body import render_body
from mediapack.publish.manifest import write_manifest
from mediapack.publish.page import write_article

STORY_URL = BASE + "tiny-story/"


def page(tmp_path: Path, base_url: str | None, *, share: bool = True, headline: str = "Tiny story",
         caption: str = "First photo", **story_fields) -> Elements:
    """Write the sample story's page, its lead photo given a share image; return the parsed page."""
    story, media, packages = sample(caption=caption, headline=headline)
    if share:
        crop = _r("share", "media/one/share.jpg", "image/jpeg", 90_000, role="crop", width=1200, height=630)
        media[0] = replace(media[0], renditions=(*media[0].renditions, crop))
    story = replace(story, **story_fields)
    manifest = manifest_of(story, media, packages, base_url)
    write_manifest(tmp_path, manifest)
    write_article(tmp_path, story, media, manifest, render_body(story, media, base_url), base_url)
    return Elements(read(tmp_path, "index.html"))


def metas(found: Elements) -> dict[str, list[str]]:
    """Every <meta property|name> of a page, each key with its contents in order."""
    tags: dict[str, list[str]] = {}
    for attrs in found.find("meta"):
        key = attrs.get("property") or attrs.get("name")
        if key and "content" in attrs:
            tags.setdefault(key, []).append(attrs["content"])
    return tags


def test_with_a_base_url_the_page_has_a_complete_share_card(tmp_path):
    found = page(tmp_path, BASE, byline_urls=(("Ann Writer", "https://news.example.org/staff/ann"),),
                 publisher=Publisher("Example News", "https://news.example.org"))
    tags = metas(found)
    assert [ln for ln in found.find("link") if ln["rel"] == "canonical"] == [{"rel": "canonical", "href": STORY_URL}]
    assert tags["robots"] == ["max-image-preview:large"]
    assert tags["og:type"] == ["article"] and tags["og:title"] == ["Tiny story"]
    assert tags["og:description"] == ["A small story for tests."]
    assert tags["og:url"] == [STORY_URL] and tags["og:site_name"] == ["Example News"]
    assert tags["og:locale"] == ["en_US"]
    assert tags["og:image"] == [STORY_URL + "media/one/share.jpg"]
    assert (tags["og:image:width"], tags["og:image:height"]) == (["1200"], ["630"])
    assert tags["og:image:type"] == ["image/jpeg"] and tags["og:image:alt"] == ["A gradient with shapes"]
    assert tags["og:video"] == [STORY_URL + "media/clip/720p.mp4"]
    assert (tags["og:video:type"], tags["og:video:width"], tags["og:video:height"]) == (
        ["video/mp4"], ["1280"], ["720"])
    assert tags["article:published_time"] == ["2026-06-20T09:30:00Z"]
    assert tags["article:modified_time"] == ["2026-06-20T12:00:00Z"]
    assert tags["article:section"] == ["Tests"]
    assert tags["article:author"] == ["https://news.example.org/staff/ann", "Bo Reporter"]
    assert tags["twitter:card"] == ["summary_large_image"] and tags["twitter:title"] == ["Tiny story"]
    assert tags["twitter:image"] == tags["og:image"] and tags["twitter:image:alt"] == ["A gradient with shapes"]


def test_without_a_base_url_nothing_needs_an_absolute_url(tmp_path):
    found = page(tmp_path, None)
    tags = metas(found)
    assert not [ln for ln in found.find("link") if ln["rel"] == "canonical"]
    assert not {"og:url", "og:image", "og:image:width", "og:video", "twitter:image"} & set(tags)
    assert tags["og:title"] == ["Tiny story"] and tags["robots"] == ["max-image-preview:large"]
    for key, values in tags.items():
        assert all("://" not in v for v in values), key


def test_without_a_share_image_the_card_shows_the_largest_jpeg(tmp_path):
    tags = metas(page(tmp_path, BASE, share=False))
    assert tags["og:image"] == [STORY_URL + "media/one/large.jpg"]
    assert (tags["og:image:width"], tags["og:image:height"]) == (["2048"], ["1365"])


def test_hostile_headline_and_caption_stay_text_in_the_tags(tmp_path):
    found = page(tmp_path, BASE, headline=HOSTILE, caption=HOSTILE, standfirst=HOSTILE, section='"><x>',
                 byline=(HOSTILE,), publisher=Publisher(HOSTILE, "https://news.example.org"))
    html = read(tmp_path, "index.html")
    head = html[:html.index("</head>")]
    assert "<script>alert" not in head and '"><x>' not in head and "49" not in head
    tags = metas(found)
    assert tags["og:title"] == tags["twitter:title"] == tags["og:description"] == [HOSTILE]
    assert tags["article:section"] == ['"><x>']
    assert tags["og:site_name"] == tags["article:author"] == [HOSTILE]
    ld = json.loads(found.script("application/ld+json"))
    assert ld["publisher"]["name"] == ld["author"][0]["name"] == HOSTILE


def test_json_ld_names_the_publisher_and_links_authors(tmp_path):
    found = page(tmp_path, BASE, byline_urls=(("Bo Reporter", "https://news.example.org/staff/bo"),),
                 publisher=Publisher("Example News", "https://news.example.org", "https://news.example.org/logo.png"))
    ld = json.loads(found.script("application/ld+json"))
    assert ld["publisher"] == {"@type": "Organization", "name": "Example News", "url": "https://news.example.org",
                               "logo": {"@type": "ImageObject", "url": "https://news.example.org/logo.png"}}
    assert ld["author"] == [{"@type": "Person", "name": "Ann Writer"},
                            {"@type": "Person", "name": "Bo Reporter", "url": "https://news.example.org/staff/bo"}]
