"""The Downloads block as a reader and a CMS see it: per item a heading and picture, the main download, the rest folded."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser

from test_manifest import HOSTILE, manifest_of, sample
from test_page import build, downloads_section, read

from mediapack.publish.body import render_body
from mediapack.publish.downloads import download_name, downloads
from mediapack.publish.page import write_article


class Groups(HTMLParser):
    """Read the block into groups: heading, credit, thumbnail, lead-in, main link, folded links, listed links."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.groups: list[dict] = []
        self.stack: list[str] = []
        self._text: list[str] | None = None
        self._link: dict | None = None
        self._credit = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "mediapack-download-group":
            self.groups.append({"heading": None, "credit": None, "thumbnail": None, "intro": None, "main": None,
                                "more": [], "listed": [], "summary": None})
        elif tag == "img" and self.groups:
            self.groups[-1]["thumbnail"] = attrs
        elif tag == "a":
            self._link = {**attrs, "text": ""}
        elif tag in ("h3", "p", "summary"):
            self._text, self._credit = [], attrs.get("class") == "mediapack-download-credit"
        self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass
        group = self.groups[-1] if self.groups else None
        if tag == "a" and group is not None and self._link is not None:
            if "details" in self.stack:
                group["more"].append(self._link)
            elif "li" in self.stack:
                group["listed"].append(self._link)
            else:
                group["main"] = self._link
            self._link = None
        elif tag in ("h3", "p", "summary") and group is not None and self._text is not None:
            text = "".join(self._text).strip()
            if tag == "h3":
                group["heading"] = text
            elif tag == "summary":
                group["summary"] = text
            elif self._credit:
                group["credit"] = text
            else:
                group["intro"] = text
            self._text = None

    def handle_data(self, data):
        if self._link is not None:
            self._link["text"] += data
        elif self._text is not None:
            self._text.append(data)


def groups_of(folder) -> list[dict]:
    return Groups(downloads_section(read(folder, "index.html"))).groups


def test_each_item_has_a_heading_picture_credit_and_its_main_download_first(tmp_path):
    _, out = build(tmp_path)
    photo, video, audio, story = groups_of(out)
    assert (photo["heading"], photo["credit"]) == ("First photo", "Ann Writer/Example")
    assert photo["intro"].startswith("To download the photo click here:")
    assert (photo["main"]["href"], photo["main"]["download"], photo["main"]["text"]) == (
        "media/one/large.jpg", "tiny-story-one-large.jpg", "tiny-story-one-large.jpg · 2048×1365 · 640 kB")
    assert photo["thumbnail"] == {"class": "mediapack-download-thumbnail", "src": "media/one/thumb.jpg", "alt": "",
                                  "width": "80", "height": "53", "loading": "lazy", "decoding": "async",
                                  "style": "border-radius:3px"}
    assert video["intro"].startswith("To download the video file click here:")  # what newsrooms write
    assert video["main"]["text"] == "tiny-story-clip-720p.mp4 · 1280×720 · 0:15 · 2.1 MB"
    assert video["thumbnail"]["src"] == "media/clip/poster.jpg"
    assert (audio["main"]["href"], audio["thumbnail"], audio["more"]) == ("media/tone/audio.m4a", None, [])
    assert audio["summary"] is None  # nothing more to fold away
    assert story["heading"] is None and story["intro"] == "Download the whole story:"


def test_the_rest_is_folded_under_details_each_link_naming_its_file_and_size(tmp_path):
    _, out = build(tmp_path)
    photo, video, _, story = groups_of(out)
    assert photo["summary"] == "Other sizes and files (4)"
    assert [(a["href"], a["download"], a["text"]) for a in photo["more"]] == [
        ("media/one/medium.jpg", "tiny-story-one-medium.jpg", "tiny-story-one-medium.jpg · 1024×683 · 210 kB"),
        ("media/one/small.jpg", "tiny-story-one-small.jpg", "tiny-story-one-small.jpg · 640×427 · 90 kB"),
        ("media/one/thumb.jpg", "tiny-story-one-thumb.jpg", "tiny-story-one-thumb.jpg · 320×213 · 20 kB"),
        ("media/one/square.jpg", "tiny-story-one-square.jpg", "tiny-story-one-square.jpg · 300×300 · 30 kB")]
    assert [a["text"] for a in video["more"]] == [
        "tiny-story-clip-480p.mp4 · 854×480 · 0:15 · 900 kB", "tiny-story-clip-poster.jpg · 1280×720 · 80 kB",
        "tiny-story-clip-captions.vtt · 2 kB"]
    assert [(a["href"], a["download"], a["text"]) for a in story["listed"]] == [
        ("packages/tiny-story-web.zip", "tiny-story-web.zip", "tiny-story-web.zip · 3.4 MB"),
        ("packages/tiny-story-full.zip", "tiny-story-full.zip", "tiny-story-full.zip · 12 MB")]
    every = [a for g in groups_of(out) for a in ([g["main"]] if g["main"] else []) + g["more"] + g["listed"]]
    assert len(every) == 12 and not any(a["href"].endswith(".webp") for a in every)  # WebP copies serve the page
    assert all(a["type"] for a in every)


def test_a_caption_is_repeated_once_and_cut_at_a_word_in_the_heading(tmp_path):
    caption = "The ferry crosses from the Old Quay towards Fenwick Point on Saturday morning, her first run in years."
    _, out = build(tmp_path, caption=caption)
    photo = groups_of(out)[0]
    assert photo["heading"] == "The ferry crosses from the Old Quay towards Fenwick Point on Saturday…"
    assert downloads_section(read(out, "index.html")).count("The ferry crosses") == 1


def test_hostile_captions_credits_and_names_stay_text(tmp_path):
    manifest, _ = build(tmp_path, caption=HOSTILE)
    video = manifest["associations"][1]
    video["by"] = '"><img src=x onerror=alert(1)>'
    top = next(r for r in video["renditions"] if r["name"] == "720p")
    top["href"] = 'media/clip/"><b onclick=alert(2)>.mp4'
    story, media, _ = sample(caption=HOSTILE)
    write_article(tmp_path, story, media, manifest, render_body(story, media, None), None)
    for name in ("index.html", "embed.html"):
        section = downloads_section(read(tmp_path, name))
        assert "<script>" not in section and "<img src=x" not in section and "<b " not in section
        photo, clip, _, _ = Groups(section).groups
        assert photo["heading"] == HOSTILE  # the parser gives back exactly the text, escaped on the way in
        assert clip["credit"] == '"><img src=x onerror=alert(1)>'
        assert clip["main"]["download"] == 'tiny-story-clip-"><b onclick=alert(2)>.mp4'
        assert clip["main"]["text"].startswith('tiny-story-clip-"><b onclick=alert(2)>.mp4 · ')


def test_downloads_come_from_the_manifest(tmp_path):
    story, media, packages = sample()
    manifest = manifest_of(story, media, packages, None)
    video = manifest["associations"][1]
    video["renditions"] = [r for r in video["renditions"] if r["name"] != "480p"]
    hd = next(r for r in video["renditions"] if r["name"] == "720p")
    hd["href"] = "elsewhere/hd.mp4"
    manifest["renditions"] = manifest["renditions"][:1]
    write_article(tmp_path, story, media, manifest, render_body(story, media, None), None)
    groups = groups_of(tmp_path)
    assert groups[1]["main"]["href"] == "elsewhere/hd.mp4"
    assert groups[1]["main"]["text"] == "tiny-story-clip-hd.mp4 · 1280×720 · 0:15 · 2.1 MB"
    assert "media/clip/480p.mp4" not in [a["href"] for a in groups[1]["more"]]
    assert [a["href"] for a in groups[-1]["listed"]] == ["packages/tiny-story-web.zip"]


def test_a_large_thumbnail_fits_the_box_and_keeps_its_shape():
    manifest = {"slugline": "s", "associations": [{"name": "tall", "type": "picture", "renditions": [
        {"name": "large", "href": "media/tall/large.jpg", "contentType": "image/jpeg", "width": 1400, "height": 2000,
         "sizeInBytes": 20},
        {"name": "large-webp", "href": "media/tall/large.webp", "contentType": "image/webp", "width": 1400,
         "height": 2000, "sizeInBytes": 10}]}]}
    (group,) = downloads(manifest)
    assert group["thumbnail"] == {"src": "media/tall/large.webp", "box": 80, "width": 56, "height": 80}
    assert group["heading"] == "tall" and group["main"]["filename"] == "s-tall-large.jpg" and group["more"] == []


def test_download_names_carry_story_and_item():
    assert download_name("harbour-ferry", "first-crossing", "media/first-crossing/720p.mp4") == (
        "harbour-ferry-first-crossing-720p.mp4")
    assert download_name("harbour-ferry", None, "https://cdn.example/packages/harbour-ferry-web.zip") == (
        "harbour-ferry-web.zip")


def test_the_block_speaks_the_storys_language(tmp_path):
    story, media, packages = sample()
    story = replace(story, language="fa")
    manifest = manifest_of(story, media, packages, None)
    write_article(tmp_path, story, media, manifest, render_body(story, media, None), None)
    section = downloads_section(read(tmp_path, "index.html"))
    assert 'lang="fa" dir="rtl"' in section
    photo = Groups(section).groups[0]
    assert photo["summary"] == "اندازه‌ها و فایل‌های دیگر (۴)"  # in Persian, with Persian digits
    assert photo["main"]["text"].startswith("tiny-story-one-large.jpg · ۲۰۴۸×۱۳۶۵ · ")  # the file name as saved


def test_the_main_download_is_the_whole_picture_even_where_a_crop_holds_more_pixels():
    manifest = {"slugline": "s", "associations": [{"name": "pano", "type": "picture", "renditions": [
        {"name": "crop-1x1", "href": "media/pano/crop-1x1.jpg", "contentType": "image/jpeg", "width": 1000,
         "height": 1000, "sizeInBytes": 9},
        {"name": "large", "href": "media/pano/large.jpg", "contentType": "image/jpeg", "width": 2048, "height": 341,
         "sizeInBytes": 9},
        {"name": "square", "href": "media/pano/square.jpg", "contentType": "image/jpeg", "width": 300,
         "height": 300, "sizeInBytes": 1}]}]}
    (group,) = downloads(manifest)
    assert [link["filename"] for link in group["links"]] == ["s-pano-large.jpg", "s-pano-crop-1x1.jpg",
                                                             "s-pano-square.jpg"]
    assert group["thumbnail"]["src"] == "media/pano/large.jpg"  # a crop would not show the whole picture
