"""The files at the top of OUT: ``_headers`` gives every file its type and every download its name."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import SLUG, make_tiny_story, parse_headers, run_cli, write_story
from mediapack.publish.site import attachment, content_type

CDN = "https://cdn.example.org/stories"


def page_downloads(html: str) -> dict[str, str]:
    """Map each download link's href to the name its ``download`` attribute gives."""
    return dict(re.findall(r'<a href="([^"]+)" download="([^"]+)"', html))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny story built twice into one OUT: once plain, once (a copy) for a CDN base URL."""
    base = tmp_path_factory.mktemp("site")
    story = make_tiny_story(base / "tiny-story")
    proc = run_cli("build", str(story), "--out", str(base / "dist"), "--cache", str(base / "cache"))
    assert proc.returncode == 0, proc.stderr
    return base


def test_every_file_has_its_type_and_every_download_its_name(site: Path) -> None:
    out = site / "dist" / SLUG
    rules = parse_headers((site / "dist" / "_headers").read_text(encoding="utf-8"))
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted(rules) == [f"/{SLUG}/{f}" for f in files]
    assert rules[f"/{SLUG}/index.html"]["Content-Type"] == "text/html; charset=utf-8"
    assert rules[f"/{SLUG}/media/clip/captions.vtt"]["Content-Type"] == "text/vtt; charset=utf-8"
    assert rules[f"/{SLUG}/media/clip/240p.mp4"]["Content-Type"] == "video/mp4"
    assert all(r["X-Content-Type-Options"] == "nosniff" for r in rules.values())
    assert all(r["Access-Control-Allow-Origin"] == "*" for r in rules.values())  # captions for a CMS's page
    named = page_downloads((out / "index.html").read_text(encoding="utf-8"))
    assert named[f"packages/{SLUG}-full.zip"] == f"{SLUG}-full.zip"
    assert named["media/clip/240p.mp4"] == f"{SLUG}-clip-240p.mp4"
    for href, name in named.items():
        assert rules[f"/{SLUG}/{href}"]["Content-Disposition"] == f'attachment; filename="{name}"'
    # What the page only shows (its WebP copies, the preview sprite) opens in place.
    assert [p for p, r in rules.items() if "Content-Disposition" in r] == sorted(f"/{SLUG}/{h}" for h in named)
    assert not any(p.endswith(".webp") for p in named)


def test_the_base_url_path_is_where_the_files_are_served(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    proc = run_cli("build", str(site / "tiny-story"), "--out", str(out), "--cache", str(site / "cache"),
                   "--base-url", CDN)
    assert proc.returncode == 0, proc.stderr
    rules = parse_headers((out / "_headers").read_text(encoding="utf-8"))
    assert rules[f"/stories/{SLUG}/media/clip/240p.mp4"]["Content-Disposition"] == (
        f'attachment; filename="{SLUG}-clip-240p.mp4"')
    assert all(path.startswith(f"/stories/{SLUG}/") for path in rules if path.rsplit("/", 1)[1] not in SITE_FILES)
    assert rules["/stories/feed.xml"]["Content-Type"] == "application/rss+xml; charset=utf-8"
    for sitemap in ("/stories/sitemap-news.xml", "/stories/sitemap-video.xml"):
        assert rules[sitemap]["Content-Type"] == "application/xml; charset=utf-8"


def test_the_headers_cover_every_story_in_out_and_come_back_when_deleted(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    other = write_story(tmp_path / "other", """
        headline: Other story
        published: 2026-06-20T09:30:00Z
        media: []
        """)
    shutil.copytree(site / "tiny-story", tmp_path / "tiny")
    for folder in (tmp_path / "tiny", other):
        assert run_cli("build", str(folder), "--out", str(out), "--cache", str(site / "cache")).returncode == 0
    rules = parse_headers((out / "_headers").read_text(encoding="utf-8"))
    assert "/other-story/index.html" in rules and f"/{SLUG}/index.html" in rules
    before = (out / "_headers").read_bytes()
    (out / "_headers").unlink()
    proc = run_cli("build", str(other), "--out", str(out), "--cache", str(site / "cache"), "--json")
    assert proc.returncode == 0 and '"up_to_date": true' in proc.stdout, proc.stdout
    assert (out / "_headers").read_bytes() == before  # the same bytes, however it was made
    shutil.rmtree(out / "other-story")  # a story removed by hand drops out at the next build
    assert run_cli("build", str(tmp_path / "tiny"), "--out", str(out), "--cache", str(site / "cache")).returncode == 0
    assert not any(p.startswith("/other-story/") for p in parse_headers((out / "_headers").read_text()))


SITE_FILES = ("feed.xml", "sitemap-news.xml", "sitemap-video.xml")


def feed_links(out: Path) -> list[str]:
    return [item.findtext("link") for item in ET.parse(out / "feed.xml").getroot().iter("item")]


def test_with_a_base_url_each_build_rewrites_the_feeds_from_every_story_in_out(site: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "dist", str(site / "cache")
    first = write_story(tmp_path / "first", """
        headline: "First <story> & more"
        published: 2026-06-18T09:30:00Z
        media: []
        """)
    shutil.copytree(site / "tiny-story", tmp_path / "tiny")
    for folder in (first, tmp_path / "tiny"):  # a CI job that builds one story at a time
        proc = run_cli("build", str(folder), "--out", str(out), "--cache", cache, "--base-url", CDN)
        assert proc.returncode == 0 and "feed.xml" not in proc.stderr, proc.stderr
    assert feed_links(out) == [f"{CDN}/{SLUG}/", f"{CDN}/first-story-more/"]  # newest first
    news = ET.parse(out / "sitemap-news.xml").getroot()
    loc = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
    assert [e.text for e in news.iter(loc)] == [f"{CDN}/{SLUG}/", f"{CDN}/first-story-more/"]
    video = ET.parse(out / "sitemap-video.xml").getroot()
    assert [e.text for e in video.iter(loc)] == [f"{CDN}/{SLUG}/"]  # the only story with a video
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(("_headers", *SITE_FILES))  # no temp
    before = {name: (out / name).read_bytes() for name in SITE_FILES}
    again = tmp_path / "again"  # the same stories built elsewhere: the same bytes
    for folder in (tmp_path / "tiny", first):
        assert run_cli("build", str(folder), "--out", str(again), "--cache", cache, "--base-url", CDN).returncode == 0
    assert {name: (again / name).read_bytes() for name in SITE_FILES} == before
    shutil.rmtree(out / "first-story-more")  # removed from OUT: it drops out at the next build
    assert run_cli("build", str(first.parent / "tiny"), "--out", str(out), "--cache", cache,
                   "--base-url", CDN).returncode == 0
    assert feed_links(out) == [f"{CDN}/{SLUG}/"]


def test_without_a_base_url_no_feed_is_written_and_the_run_says_so_once(site: Path) -> None:
    out = site / "dist"
    assert not any((out / name).exists() for name in SITE_FILES)
    proc = run_cli("build", str(site / "tiny-story"), "--out", str(out), "--cache", str(site / "cache"), "--force")
    assert proc.returncode == 0 and proc.stderr.count("OUT gets no feed.xml, sitemap-news.xml or") == 1, proc.stderr
    assert not any((out / name).exists() for name in SITE_FILES)


def test_content_types_do_not_depend_on_the_machine() -> None:
    from pathlib import PurePosixPath

    assert content_type(PurePosixPath("media/a/audio.m4a")) == "audio/mp4"
    assert content_type(PurePosixPath("SHA256SUMS")) == "text/plain; charset=utf-8"
    assert content_type(PurePosixPath("media/a/x.unknown")) == "application/octet-stream"


def test_a_name_outside_ascii_gets_an_rfc_8187_form_and_a_safe_fallback() -> None:
    assert attachment("plain-name.jpg") == 'attachment; filename="plain-name.jpg"'
    assert attachment('a"b\\ü.jpg') == """attachment; filename="a_b__.jpg"; filename*=UTF-8''a%22b%5C%C3%BC.jpg"""
