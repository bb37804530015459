"""The site's Google News and video sitemaps, made from every story in OUT built with ``--base-url``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import timedelta

from ..files import as_utc, utc_stamp
from .feeds import FeedMedia, SiteStory, newest_first, sub, xml_bytes

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
VIDEO = "http://www.google.com/schemas/sitemap-video/1.1"
NEWS_SITEMAP, VIDEO_SITEMAP = "sitemap-news.xml", "sitemap-video.xml"
NEWS_WINDOW = timedelta(days=2)  # Google News reads articles of the last two days from a news sitemap
NEWS_LIMIT = 1000  # and at most this many URLs
VIDEO_TITLE, VIDEO_DESCRIPTION = 100, 2048  # characters Google reads of a video's title and description
VIDEO_SECONDS = 28800  # the longest duration the video sitemap allows (8 hours)
ET.register_namespace("news", NEWS)
ET.register_namespace("video", VIDEO)


def news_sitemap(stories: Sequence[SiteStory]) -> bytes:
    """List the stories of the two days up to the newest story's date (not the clock: reproducible)."""
    dated = [s for s in newest_first(stories) if s.date is not None]
    newest = as_utc(dated[0].date) if dated else None
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for story in dated[:NEWS_LIMIT]:
        if newest - as_utc(story.date) > NEWS_WINDOW:
            break
        url = sub(urlset, f"{{{SITEMAP}}}url")
        sub(url, f"{{{SITEMAP}}}loc", story.url)
        news = sub(url, f"{{{NEWS}}}news")
        publication = sub(news, f"{{{NEWS}}}publication")
        sub(publication, f"{{{NEWS}}}name", story.publisher or _host(story.url))
        sub(publication, f"{{{NEWS}}}language", news_language(story.language))
        sub(news, f"{{{NEWS}}}publication_date", utc_stamp(story.date))
        sub(news, f"{{{NEWS}}}title", story.headline)
    return xml_bytes(urlset, SITEMAP)


def video_sitemap(stories: Sequence[SiteStory]) -> bytes:
    """List every story's videos: thumbnail, title, description, the MP4, its duration, when published."""
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for story in newest_first(stories):
        videos = [m for m in story.media if m.kind == "video" and m.thumbnail and _mp4(m)]
        if not videos:
            continue
        url = sub(urlset, f"{{{SITEMAP}}}url")
        sub(url, f"{{{SITEMAP}}}loc", story.url)
        for media in videos:
            mp4 = _mp4(media)
            video = sub(url, f"{{{VIDEO}}}video")  # the children in the order Google's schema sets
            sub(video, f"{{{VIDEO}}}thumbnail_loc", media.thumbnail["href"])
            sub(video, f"{{{VIDEO}}}title", _cut(media.caption or story.headline, VIDEO_TITLE))
            sub(video, f"{{{VIDEO}}}description",
                _cut(media.caption or story.summary or story.headline, VIDEO_DESCRIPTION))
            sub(video, f"{{{VIDEO}}}content_loc", mp4["href"])
            if isinstance(mp4.get("duration"), int | float) and mp4["duration"] > 0:
                sub(video, f"{{{VIDEO}}}duration", min(VIDEO_SECONDS, max(1, round(mp4["duration"]))))
            if story.date:
                sub(video, f"{{{VIDEO}}}publication_date", utc_stamp(story.date))
    return xml_bytes(urlset, SITEMAP)


def news_language(language: str) -> str:
    """Write a BCP 47 tag as Google News wants it: the ISO 639 code, but zh-cn or zh-tw for Chinese."""
    parts = language.replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        return "zh-tw" if {"hant", "tw", "hk", "mo"} & set(parts[1:]) else "zh-cn"
    return parts[0] or "und"


def _mp4(media: FeedMedia) -> dict | None:
    """The video's main MP4: the top rung of its ladder."""
    return next((r for r in media.renditions if r.get("contentType") == "video/mp4"), None)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _host(url: str) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0]
