"""feed.xml and the news and video sitemaps, read back with xml.etree: what a feed reader and Google see."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from test_manifest import BASE, HOSTILE, manifest_of, sample

from mediapack.publish.feeds import rss_feed, site_story
from mediapack.publish.sitemaps import news_language, news_sitemap, video_sitemap

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "news": "http://www.google.com/schemas/sitemap-news/0.9",
      "video": "http://www.google.com/schemas/sitemap-video/1.1", "media": "http://search.yahoo.com/mrss/",
      "atom": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/elements/1.1/"}
STORY = BASE + "tiny-story/"


def story_manifest(slug: str = "tiny-story", published: datetime | None = None, **kwargs) -> dict:
    """The sample story's manifest as a build with --base-url writes it."""
    story, media, packages = sample(**kwargs)
    story = replace(story, slug=slug, published=published or story.published, updated=None)
    return manifest_of(story, media, packages, BASE)


def stories(*manifests: dict) -> list:
    return [site_story(m) for m in manifests]


def test_the_feed_is_rss_with_a_media_group_per_item():
    rss = ET.fromstring(rss_feed(stories(story_manifest()), BASE.rstrip("/")))
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("link") == BASE
    assert channel.find("atom:link", NS).attrib == {"href": BASE + "feed.xml", "rel": "self",
                                                     "type": "application/rss+xml"}
    assert channel.findtext("lastBuildDate") == "Sat, 20 Jun 2026 09:30:00 GMT"  # the story's, not the clock's
    (item,) = channel.findall("item")
    assert (item.findtext("title"), item.findtext("link")) == ("Tiny story", STORY)
    assert item.findtext("description") == "A small story for tests."
    assert item.findtext("dc:creator", namespaces=NS) == "Ann Writer and Bo Reporter"
    assert (item.findtext("category"), item.findtext("pubDate")) == ("Tests", "Sat, 20 Jun 2026 09:30:00 GMT")
    photo, video, audio = item.findall("media:group", NS)
    contents = photo.findall("media:content", NS)
    assert [c.get("url") for c in contents] == [STORY + f"media/one/{n}.jpg" for n in
                                                ("large", "medium", "small", "thumb", "square")]
    assert contents[0].attrib == {"url": STORY + "media/one/large.jpg", "type": "image/jpeg", "medium": "image",
                                  "isDefault": "true", "fileSize": "640000", "width": "2048", "height": "1365"}
    assert photo.findtext("media:description", namespaces=NS) == "First photo"
    assert photo.findtext("media:credit", namespaces=NS) == "Ann Writer/Example"
    assert photo.findtext("media:copyright", namespaces=NS) == "© 2026 Ann Writer"
    assert photo.find("media:thumbnail", NS).get("url") == STORY + "media/one/thumb.jpg"
    top = video.find("media:content", NS)
    assert (top.get("url"), top.get("medium"), top.get("duration"), top.get("bitrate")) == (
        STORY + "media/clip/720p.mp4", "video", "15", "1150")
    assert video.find("media:thumbnail", NS).get("url") == STORY + "media/clip/poster.jpg"
    assert video.find("media:subTitle", NS).attrib == {"type": "text/vtt", "lang": "en",
                                                       "href": STORY + "media/clip/captions.vtt"}
    assert audio.find("media:content", NS).get("medium") == "audio"


def test_stories_are_newest_first_and_one_without_a_base_url_is_left_out():
    old = story_manifest("old", datetime(2026, 6, 1, tzinfo=UTC))
    new = story_manifest("new", datetime(2026, 6, 21, tzinfo=UTC))
    local = manifest_of(*sample(), None)  # built without --base-url: no absolute address to give
    assert site_story(local) is None
    items = ET.fromstring(rss_feed(stories(old, new), BASE)).findall("channel/item")
    assert [i.findtext("link") for i in items] == [BASE + "new/", BASE + "old/"]


def test_the_news_sitemap_holds_the_two_days_up_to_the_newest_story():
    newest = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)
    manifests = [story_manifest(slug, newest - age) for slug, age in
                 (("today", timedelta(0)), ("yesterday", timedelta(days=1)), ("edge", timedelta(days=2)),
                  ("older", timedelta(days=2, seconds=1)), ("month", timedelta(days=30)))]
    urlset = ET.fromstring(news_sitemap(stories(*manifests)))
    assert urlset.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    urls = urlset.findall("s:url", NS)
    assert [u.findtext("s:loc", namespaces=NS) for u in urls] == [BASE + s + "/" for s in ("today", "yesterday", "edge")]
    news = urls[0].find("news:news", NS)
    assert news.findtext("news:publication/news:name", namespaces=NS) == "media.example.org"  # no [publisher]
    assert news.findtext("news:publication/news:language", namespaces=NS) == "en"
    assert news.findtext("news:publication_date", namespaces=NS) == "2026-06-21T12:00:00Z"
    assert news.findtext("news:title", namespaces=NS) == "Tiny story"


def test_the_video_sitemap_lists_each_video_with_its_thumbnail_file_and_duration():
    urlset = ET.fromstring(video_sitemap(stories(story_manifest())))
    (url,) = urlset.findall("s:url", NS)
    (video,) = url.findall("video:video", NS)
    assert [child.tag.split("}")[1] for child in video] == [  # the order Google's schema sets
        "thumbnail_loc", "title", "description", "content_loc", "duration", "publication_date"]
    assert video.findtext("video:thumbnail_loc", namespaces=NS) == STORY + "media/clip/poster.jpg"
    assert video.findtext("video:title", namespaces=NS) == video.findtext("video:description", namespaces=NS) == (
        "A test clip")
    assert video.findtext("video:content_loc", namespaces=NS) == STORY + "media/clip/720p.mp4"
    assert video.findtext("video:duration", namespaces=NS) == "15"
    photos_only = story_manifest()
    photos_only["associations"] = photos_only["associations"][:1]
    assert ET.fromstring(video_sitemap(stories(photos_only))).findall("s:url", NS) == []


def test_hostile_text_is_escaped_and_controls_dropped_in_every_file():
    hostile = HOSTILE + ' ]]> <![CDATA[ & "quotes" \x00\x07\x1b[31m'
    manifest = story_manifest(caption=hostile, headline=hostile)
    manifest["by"] = "<b>Eve</b> & co"
    files = {"feed": rss_feed(stories(manifest), BASE), "news": news_sitemap(stories(manifest)),
             "video": video_sitemap(stories(manifest))}
    expected = HOSTILE + ' ]]> <![CDATA[ & "quotes" [31m'
    for name, data in files.items():
        root = ET.fromstring(data)  # well-formed, NUL and ESC and all
        texts = [e.text for e in root.iter() if e.text and e.text.strip()]
        assert b"<script>" not in data and b"<b>" not in data, name
        assert expected in texts or name == "video", name
    feed = ET.fromstring(files["feed"])
    assert feed.findtext("channel/item/title") == expected
    assert feed.findtext("channel/item/dc:creator", namespaces=NS) == "<b>Eve</b> & co"
    assert feed.find("channel/item/media:group/media:description", NS).text == expected
    video = ET.fromstring(files["video"]).find("s:url/video:video", NS)
    assert video.findtext("video:title", namespaces=NS) == "A test clip"


def test_the_same_stories_give_the_same_bytes_whatever_their_order():
    a, b = story_manifest("a"), story_manifest("b")
    for make in (lambda s: rss_feed(s, BASE), news_sitemap, video_sitemap):
        assert make(stories(a, b)) == make(stories(b, a))


def test_news_languages_are_iso_639_with_googles_chinese_exceptions():
    assert [news_language(t) for t in ("en", "pt-BR", "zh-Hant-TW", "zh-Hans", "zh", "FA", "")] == [
        "en", "pt", "zh-tw", "zh-cn", "zh-cn", "fa", "und"]
