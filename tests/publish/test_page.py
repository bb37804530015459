"""The article page, the Downloads block (page and embed) and article.txt, as a reader and a CMS see them."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_manifest import BASE, HOSTILE, manifest_of, sample, schema_errors

from mediapack.i18n import story_words
from mediapack.publish.body import render_body
from mediapack.publish.jsonld import make_jsonld
from mediapack.publish.labels import link_title
from mediapack.publish.manifest import manifest_json, write_manifest
from mediapack.publish.page import write_article

GOLDEN = Path(__file__).parents[1] / "golden"
# Regenerate the golden files after an intended change with:
#   MEDIAPACK_UPDATE_GOLDEN=1 uv run pytest tests/publish/test_page.py -k golden   (then review the diff)
UPDATE_GOLDEN = os.environ.get("MEDIAPACK_UPDATE_GOLDEN") == "1"


class Elements(HTMLParser):
    """Collect start tags (name, attrs), the text inside each <a>, and <script> contents."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.links: list[tuple[dict, str]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.text: list[str] = []
        self._open: tuple[str, dict, list[str]] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("a", "script"):
            self._open = (tag, attrs, [])

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            target = self.links if tag == "a" else self.scripts
            target.append((self._open[1], "".join(self._open[2])))
            self._open = None

    def handle_data(self, data):
        if self._open:
            self._open[2].append(data)
        self.text.append(data)

    def find(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]

    def script(self, kind: str) -> str:
        return next(body for attrs, body in self.scripts if attrs.get("type") == kind)


def build(tmp_path: Path, base_url: str | None = None, **kwargs) -> tuple[dict, Path]:
    """Write manifest.json, index.html, embed.html and article.txt for the sample story."""
    story, media, packages = sample(**kwargs)
    manifest = manifest_of(story, media, packages, base_url)
    write_manifest(tmp_path, manifest)
    paths = write_article(tmp_path, story, media, manifest, render_body(story, media, base_url), base_url)
    assert paths == (tmp_path / "index.html", tmp_path / "embed.html", tmp_path / "article.txt")
    return manifest, tmp_path


def read(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def downloads_section(html: str) -> str:
    return re.search(r'<section class="mediapack-downloads".*?</section>', html, re.DOTALL).group(0)


def test_figures_are_placed_where_the_body_places_them_and_the_rest_follow(tmp_path):
    _, out = build(tmp_path)
    body = read(out, "index.html").split('<div class="body">')[1].split("</div>")[0]
    order = [body.index(s) for s in ("First paragraph.", 'media-photo"', "Second paragraph with",
                                      'media-video"', 'media-audio"')]
    assert order == sorted(order)
    assert "<strong>bold</strong>" in body
    assert "![[" not in body


def test_a_placement_inside_a_code_block_stays_code():
    story, media, _ = sample(body="```\n![[one]]\n```\n\nText.\n", extra_media=False)
    html = render_body(story, media, None).html
    assert "<pre><code>![[one]]\n</code></pre>" in html
    assert html.index("Text.") < html.index('media-photo"')  # so the photo is unplaced: after the body


def test_a_placement_line_ends_a_paragraph():
    story, media, _ = sample(body="Before.\n![[one]]\nAfter.\n", extra_media=False)
    html = render_body(story, media, None).html
    assert html.startswith("<p>Before.</p>\n<figure")
    assert "</figure>\n<p>After.</p>" in html


@pytest.mark.parametrize(("body", "levels"), [
    ("# Part\n\nText.\n\n## Detail\n\n#### Aside\n", ["h2", "h3", "h5"]),  # the headline is the one <h1>
    ("## Part\n\n### Detail\n", ["h2", "h3"]),  # already below the headline: as written
    ("###### Deep\n\n# Top\n", ["h6", "h2"]),
])
def test_body_headings_start_below_the_headline(body: str, levels: list[str]):
    story, media, _ = sample(body=body, extra_media=False)
    html = render_body(story, media, None).html
    assert re.findall(r"<(h[1-6])>", html) == levels


def test_photo_figure_has_picture_sources_img_and_caption(tmp_path):
    _, out = build(tmp_path)
    page = Elements(read(out, "index.html"))
    (webp,) = page.find("source")[:1]
    assert webp["type"] == "image/webp"
    assert webp["srcset"] == "media/one/medium.webp 1024w, media/one/small.webp 640w"
    img = page.find("img")[0]
    assert img["src"] == "media/one/medium.jpg"
    assert img["srcset"] == ("media/one/large.jpg 2048w, media/one/medium.jpg 1024w, "
                             "media/one/small.jpg 640w, media/one/thumb.jpg 320w")  # no square crop
    # The largest rendition's size: the CSS caps it at the column, and never stretches past it.
    assert (img["width"], img["height"], img["alt"]) == ("2048", "1365", "A gradient with shapes")
    # The first photo is the lead, the largest paint: fetched at once, first (tests/publish/test_figures.py).
    assert (img.get("loading"), img["fetchpriority"]) == (None, "high")
    assert img["sizes"] == webp["sizes"]
    assert "First photo <span class=\"credit\">Photo: <bdi>Ann Writer/Example</bdi></span></figcaption>" in read(
        out, "index.html")


def test_an_upright_photo_gets_a_narrower_figure_with_matching_sizes():
    story, media, _ = sample(extra_media=False)
    photo = media[0]
    upright = replace(photo, renditions=tuple(replace(r, width=r.height, height=r.width) for r in photo.renditions))
    html = render_body(story, [upright, media[1]], None).html
    page = Elements(html)
    assert [f["class"] for f in page.find("figure")] == ["media media-photo media-portrait", "media media-video"]
    img = page.find("img")[0]
    assert (img["width"], img["height"]) == ("1365", "2048")
    assert img["sizes"] == page.find("source")[0]["sizes"] == "(min-width: 28rem) 26rem, calc(100vw - 2rem)"


def test_video_has_sources_high_to_low_poster_and_captions_track(tmp_path):
    _, out = build(tmp_path)
    page = Elements(read(out, "index.html"))
    (video,) = page.find("video")
    assert video["poster"] == "media/clip/poster.jpg"
    assert "controls" in video and video["preload"] == "metadata"
    sources = [s for s in page.find("source") if s["type"] == "video/mp4"]
    assert [s["src"] for s in sources] == ["media/clip/720p.mp4", "media/clip/480p.mp4"]
    (track,) = page.find("track")
    assert track == {"kind": "captions", "src": "media/clip/captions.vtt", "srclang": "en", "label": "English",
                     "default": None}
    (audio,) = page.find("audio")
    assert "controls" in audio
    assert any(s.get("src") == "media/tone/audio.m4a" for s in page.find("source"))


def test_embed_is_the_downloads_block_alone(tmp_path):
    _, out = build(tmp_path)
    embed, page = read(out, "embed.html"), read(out, "index.html")
    assert downloads_section(embed) == downloads_section(page)
    assert '<meta charset="utf-8">' in embed
    assert "<script" not in embed and "<figure" not in embed and "First paragraph" not in embed


def urls_in_page(html: str) -> list[str]:
    """Every media URL a page holds: attributes, srcsets and JSON-LD."""
    found = Elements(html)
    urls = [v for _, attrs in found.tags for k, v in attrs.items()
            if k in ("href", "src", "poster") and v and v != "data:,"]  # data:, is the empty favicon
    urls += [part.split()[0] for _, attrs in found.tags if "srcset" in attrs for part in attrs["srcset"].split(",")]
    ld = json.loads(found.script("application/ld+json")) if "ld+json" in html else {}
    for obj in ld.get("image", []) + ld.get("video", []):
        urls += [obj[k] for k in ("contentUrl", "url", "thumbnailUrl") if k in obj]
    return urls


def test_base_url_makes_every_link_absolute(tmp_path):
    _, out = build(tmp_path, base_url=BASE)
    page_urls = urls_in_page(read(out, "index.html"))
    embed_urls = urls_in_page(read(out, "embed.html"))
    assert len(page_urls) > 20 and len(embed_urls) == 14  # 12 links and 2 thumbnails
    for url in page_urls + embed_urls:
        assert url.startswith("https://media.example.org/stories/tiny-story/"), url
    ld = json.loads(Elements(read(out, "index.html")).script("application/ld+json"))
    assert ld["url"] == "https://media.example.org/stories/tiny-story/"
    # The page may be on another origin (a CMS): its captions track then loads only over CORS.
    (video,) = Elements(read(out, "index.html")).find("video")
    assert video["crossorigin"] == "anonymous"


def test_links_are_relative_without_base_url(tmp_path):
    _, out = build(tmp_path)
    for url in urls_in_page(read(out, "index.html")):
        assert url.startswith(("media/", "packages/")), url
    assert all("crossorigin" not in v for v in Elements(read(out, "index.html")).find("video"))


def test_hostile_caption_and_headline_are_escaped_everywhere(tmp_path):
    manifest, out = build(tmp_path, caption=HOSTILE, headline=HOSTILE,
                          body="Body <img src=x onerror=alert(1)> [x](javascript:alert(1)) {{ 7*7 }}\n\n![[one]]\n")
    page, embed = read(out, "index.html"), read(out, "embed.html")
    for html in (page, embed):
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% if %}" in html
        assert "49" not in html
    assert 'href="javascript:' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert len(re.findall(r"<script\b", page)) == 2  # JSON-LD and the manifest, nothing else
    found = Elements(page)
    assert json.loads(found.script("application/json")) == manifest
    ld = json.loads(found.script("application/ld+json"))
    assert ld["headline"] == HOSTILE and ld["image"][0]["caption"] == HOSTILE
    assert json.loads(read(out, "manifest.json"))["headlines"][0]["value"] == HOSTILE
    assert f"[Photo: {HOSTILE} — Ann Writer/Example]" in read(out, "article.txt")


def test_control_characters_never_reach_the_files(tmp_path):
    manifest, out = build(tmp_path, caption="Bell\x07 and escape\x1b[31m red\x85", headline="Null\x00 head")
    for name in ("index.html", "embed.html", "article.txt"):
        text = read(out, name)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), name
    assert "Bell and escape[31m red" in read(out, "index.html")
    assert json.loads(Elements(read(out, "index.html")).script("application/json")) == manifest


def test_page_is_semantic_and_self_contained(tmp_path):
    _, out = build(tmp_path)
    html = read(out, "index.html")
    page = Elements(html)
    assert page.find("html") == [{"lang": "en", "dir": "ltr"}]
    assert {"main", "article", "header", "h1", "figure", "figcaption", "picture"} <= {t for t, _ in page.tags}
    assert [t["datetime"] for t in page.find("time")] == ["2026-06-20T09:30:00Z", "2026-06-20T12:00:00Z"]
    assert "<h1>Tiny story</h1>" in html
    assert '<p class="byline">By <bdi>Ann Writer</bdi> and <bdi>Bo Reporter</bdi></p>' in html
    assert '<p class="section">Tests</p>' in html
    assert 'Published <time datetime="2026-06-20T09:30:00Z">June 20, 2026, 9:30\u202fAM GMT</time>' in html
    # The only <link> is an empty inline icon, so not even /favicon.ico is requested.
    assert page.find("link") == [{"rel": "icon", "href": "data:,"}]
    assert all("src" not in s for s in page.find("script"))
    assert "@import" not in html and "url(" not in html and "@media print" in html


def test_json_ld_describes_article_images_and_videos(tmp_path):
    _, out = build(tmp_path)
    ld = json.loads(Elements(read(out, "index.html")).script("application/ld+json"))
    assert ld["@type"] == "NewsArticle" and ld["headline"] == "Tiny story"
    assert ld["author"] == [{"@type": "Person", "name": "Ann Writer"}, {"@type": "Person", "name": "Bo Reporter"}]
    assert (ld["datePublished"], ld["dateModified"]) == ("2026-06-20T09:30:00Z", "2026-06-20T12:00:00Z")
    assert ld["inLanguage"] == "en" and ld["copyrightNotice"] == "© 2026 Example News"
    assert ld["image"] == [{"@type": "ImageObject", "contentUrl": "media/one/large.jpg", "url": "media/one/large.jpg",
                            "caption": "First photo", "creditText": "Ann Writer/Example",
                            "copyrightNotice": "© 2026 Ann Writer",
                            "creator": {"@type": "Person", "name": "Ann Writer"}, "width": 2048, "height": 1365}]
    (video,) = ld["video"]
    assert video["@type"] == "VideoObject" and video["duration"] == "PT15S"
    assert video["contentUrl"] == "media/clip/720p.mp4" and video["thumbnailUrl"] == "media/clip/poster.jpg"
    assert video["uploadDate"] == "2026-06-20T09:30:00Z" and video["name"] == "A test clip"
    assert "publisher" not in ld  # the story names none; one is never invented


def test_json_ld_under_base_url_has_only_absolute_urls(tmp_path):
    _, out = build(tmp_path, base_url=BASE)
    ld = json.loads(Elements(read(out, "index.html")).script("application/ld+json"))
    story_url = "https://media.example.org/stories/tiny-story/"
    assert ld["url"] == ld["mainEntityOfPage"] == story_url
    assert [(i["contentUrl"], i["url"]) for i in ld["image"]] == [(story_url + "media/one/large.jpg",) * 2]
    assert ld["video"] == [{
        "@type": "VideoObject", "name": "A test clip", "description": "A test clip",
        "thumbnailUrl": story_url + "media/clip/poster.jpg", "uploadDate": "2026-06-20T09:30:00Z",
        "duration": "PT15S", "contentUrl": story_url + "media/clip/720p.mp4", "creditText": "Example Video"}]


def test_json_ld_of_a_video_only_story_uses_the_poster_and_falls_back_for_text():
    story, media, _ = sample()
    clip = replace(media[1], item=replace(media[1].item, caption=None))
    story = replace(story, media=(clip.item,), published=None)
    ld = make_jsonld(story, [clip], BASE)
    story_url = "https://media.example.org/stories/tiny-story/"
    assert ld["image"] == [{"@type": "ImageObject", "contentUrl": story_url + "media/clip/poster.jpg",
                            "url": story_url + "media/clip/poster.jpg", "width": 1280, "height": 720}]
    (video,) = ld["video"]
    assert video["name"] == "Tiny story" and video["description"] == "A small story for tests."
    assert video["uploadDate"] == "2026-06-20T12:00:00Z"  # no published date: the update's
    assert "datePublished" not in ld and ld["dateModified"] == "2026-06-20T12:00:00Z"


def test_article_txt_is_plain_text_with_media_markers(tmp_path):
    _, out = build(tmp_path)
    text = read(out, "article.txt")
    assert text.startswith("Tiny story\n==========\n\nA small story for tests.\n\nBy Ann Writer and Bo Reporter\n")
    assert "Published June 20, 2026, 9:30\u202fAM GMT" in text
    assert "Second paragraph with bold." in text and "**" not in text and "<" not in text
    paragraphs = text.split("\n\n")
    assert paragraphs.index("[Photo: First photo — Ann Writer/Example]") < paragraphs.index(
        "[Video: A test clip — Example Video]") < paragraphs.index("[Audio: A tone — Bo Reporter]")
    assert text.endswith("© 2026 Example News\n")


def test_output_is_byte_identical_across_runs_and_holds_no_temp_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, first = build(tmp_path / "a")
    _, second = build(tmp_path / "b")
    for name in ("index.html", "embed.html", "article.txt", "manifest.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        assert str(tmp_path) not in read(first, name)
    assert sorted(p.name for p in first.iterdir()) == ["article.txt", "embed.html", "index.html", "manifest.json"]


@pytest.mark.parametrize("name", ["index.html", "embed.html", "article.txt", "manifest.json"])
@pytest.mark.parametrize("language", ["en", "fa"])  # fa: right to left, in tests/golden/fa/
def test_golden_output(tmp_path, name, language):
    story, media, packages = sample(caption=HOSTILE) if language == "en" else persian_sample()
    manifest = manifest_of(story, media, packages, None)
    write_article(tmp_path, story, media, manifest, render_body(story, media, None), None)
    actual = manifest_json(manifest) if name == "manifest.json" else (tmp_path / name).read_bytes()
    golden = GOLDEN / name if language == "en" else GOLDEN / language / name
    if UPDATE_GOLDEN:
        golden.write_bytes(actual)
    assert actual == golden.read_bytes(), f"{name} differs from {golden}; see the comment at the top to update"


def test_a_bare_story_still_makes_a_valid_page_and_manifest(tmp_path):
    story, _, _ = sample(body="")
    story = replace(story, standfirst=None, byline=(), section=None, published=None, updated=None,
                    copyright=None, media=())
    manifest = manifest_of(story, [], (), None)
    assert schema_errors(manifest) == []
    write_article(tmp_path, story, [], manifest, render_body(story, [], None), None)
    html = read(tmp_path, "index.html")
    assert "<h1>Tiny story</h1>" in html and "<time" not in html and "By " not in html
    assert "Nothing to download." in downloads_section(html)
    assert read(tmp_path, "article.txt") == "Tiny story\n==========\n"


def persian_sample():
    """The sample story as a Persian service would publish it: right to left, a Latin credit, Tehran time."""
    story, media, packages = sample(caption="کشتی پس از بازسازی به بندر بازگشت", headline="بازگشت کشتی بندر")
    items = {"one": {"credit": "Gent Shkullaku/AFP", "alt": "کشتی در بندر"},
             "clip": {"caption": "نخستین سفر", "credit": "Example Video", "subtitles": Path("video/clip.fa.srt")},
             "tone": {"caption": "صدای بندر"}}
    media = [replace(b, item=replace(b.item, **items[b.item.id])) for b in media]
    story = replace(story, language="fa", standfirst="داوطلبان کشتی قدیمی را دوباره به آب انداختند.",
                    byline=("مریم احمدی", "Gent Shkullaku"), section="جامعه", copyright="© ۲۰۲۶ خبرگزاری نمونه",
                    zone=timezone(timedelta(hours=3, minutes=30)), media=tuple(b.item for b in media),
                    published=datetime(2026, 6, 20, 6, 0, tzinfo=UTC),  # written 2026-06-20T09:30:00+03:30
                    body="پاراگراف نخست.\n\n![[one]]\n\nپاراگراف دوم با **۱۲۰** مسافر.\n\n![[clip]]\n")
    words = story_words(story)  # link text in Persian, as the build's title_links stage writes it
    media = [replace(b, renditions=tuple(replace(r, title=link_title(r, words)) for r in b.renditions))
             for b in media]
    return story, media, tuple(replace(p, title=link_title(p, words)) for p in packages)


def test_a_persian_page_is_right_to_left_in_persian_words_digits_and_time(tmp_path):
    story, media, packages = persian_sample()
    manifest = manifest_of(story, media, packages, None)
    write_article(tmp_path, story, media, manifest, render_body(story, media, None), None)
    html, page = read(tmp_path, "index.html"), Elements(read(tmp_path, "index.html"))
    assert page.find("html") == [{"lang": "fa", "dir": "rtl"}]
    assert '<p class="byline">نوشتهٔ <bdi>مریم احمدی</bdi> و <bdi>Gent Shkullaku</bdi></p>' in html
    # 06:00 UTC written as 09:30+03:30: shown at 09:30, Tehran's time, in Persian digits
    # in the Solar Hijri calendar Iran dates news by; the machine-readable date stays Gregorian UTC
    assert '<time datetime="2026-06-20T06:00:00Z">۳۰ خرداد ۱۴۰۵،\u200f ۹:۳۰ +۰۳:۳۰ گرینویچ</time>' in html
    assert '<span class="credit">عکس: <bdi>Gent Shkullaku/AFP</bdi></span>' in html
    block = downloads_section(html)
    assert 'lang="fa" dir="rtl"' in block and ">دریافت فایل‌ها</h2>" in block
    assert "برای دریافت فایل ویدیو اینجا کلیک کنید:" in block and "برای دریافت عکس اینجا کلیک کنید:" in block
    # Each localised part isolated, as the file name is: "۶۴۰ kB" keeps its order in a right-to-left line
    assert "· <bdi>۲۰۴۸×۱۳۶۵</bdi></span>" in block and "· <bdi>۶۴۰ kB</bdi></span>" in block
    assert "· <bdi>۰:۱۵</bdi></span>" in block
    assert '<bdi style="overflow-wrap:anywhere">tiny-story-one-large.jpg</bdi>' in block
    assert "اندازه‌ها و فایل‌های دیگر (۴)" in block
    (track,) = page.find("track")
    assert (track["srclang"], track["label"]) == ("fa", "فارسی")  # from clip.fa.srt
    assert "<title>دریافت فایل‌ها: بازگشت کشتی بندر</title>" in read(tmp_path, "embed.html")
    text = read(tmp_path, "article.txt")
    assert "انتشار: ۳۰ خرداد ۱۴۰۵،\u200f ۹:۳۰ +۰۳:۳۰ گرینویچ" in text
    assert "[عکس: کشتی پس از بازسازی به بندر بازگشت — Gent Shkullaku/AFP]" in text
    assert manifest["associations"][0]["renditions"][0]["title"] == "بزرگ JPEG · ۲۰۴۸×۱۳۶۵ · ۶۴۰ kB"


def test_an_english_caption_in_a_persian_story_reads_left_to_right_and_its_credit_label_right_to_left(tmp_path):
    story, media, packages = persian_sample()
    media = [replace(b, item=replace(b.item, caption="First voyage")) if b.item.id == "clip" else b for b in media]
    story = replace(story, media=tuple(b.item for b in media))
    manifest = manifest_of(story, media, packages, None)
    write_article(tmp_path, story, media, manifest, render_body(story, media, None), None)
    html = read(tmp_path, "index.html")
    assert ('<figcaption dir="auto">First voyage <span class="credit" dir="rtl">ویدیو: <bdi>Example Video</bdi>'
            '</span></figcaption>') in html
    # A Persian caption reads the page's way: nothing to say
    assert '<figcaption>کشتی پس از بازسازی به بندر بازگشت <span class="credit">عکس:' in html
    block = downloads_section(html)
    assert '<h3 dir="auto" style="margin:0;font-size:1rem;line-height:1.35">First voyage</h3>' in block
    assert '<h3 style="margin:0;font-size:1rem;line-height:1.35">کشتی پس از بازسازی به بندر بازگشت</h3>' in block
