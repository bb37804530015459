"""The site's feed.xml (RSS 2.0 with Media RSS), made from the manifests of every story in OUT.

Feeds and sitemaps need absolute URLs, so they list the stories built with ``--base-url`` (their
manifest records the address in ``altIds``). Every date comes from the stories, never the clock, so
the same stories always give the same bytes. XML is built with ElementTree, which escapes every text
and attribute; characters XML 1.0 cannot hold at all (most controls) are dropped first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from ..files import as_utc
from .downloads import downloadable, is_crop
from .manifest import story_url

MEDIA_RSS = "http://search.yahoo.com/mrss/"
ATOM = "http://www.w3.org/2005/Atom"
DUBLIN_CORE = "http://purl.org/dc/elements/1.1/"
FEED = "feed.xml"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # outside XML 1.0's Char
_MEDIUM = {"image": "image", "video": "video", "audio": "audio"}
for _prefix, _uri in (("media", MEDIA_RSS), ("atom", ATOM), ("dc", DUBLIN_CORE)):
    ET.register_namespace(_prefix, _uri)  # the prefixes readers expect, not ns0/ns1


@dataclass(frozen=True)
class FeedMedia:
    """One media item of a story as feeds show it: its downloads (main first), caption, credit, pictures."""

    kind: str  # the ninjs type: "picture" | "video" | "audio"
    caption: str
    credit: str
    copyright: str
    renditions: tuple[dict, ...]  # ninjs renditions a partner takes, the main download first
    thumbnail: dict | None  # the smallest whole picture: a photo's thumb, a video's JPEG poster
    captions: dict | None  # a video's WebVTT captions
    language: str


@dataclass(frozen=True)
class SiteStory:
    """What the feeds and sitemaps say of one story, read from its manifest."""

    url: str  # the story's page, absolute
    uri: str  # its stable ninjs identifier
    headline: str
    summary: str
    published: datetime | None
    updated: datetime | None
    language: str
    byline: str
    section: str
    publisher: str
    media: tuple[FeedMedia, ...]

    @property
    def date(self) -> datetime | None:
        """When it was first published (else last updated): what orders feeds and the news window."""
        return self.published or self.updated


def site_story(manifest: dict) -> SiteStory | None:
    """Read what the feeds need from a manifest; None for a story built without ``--base-url``."""
    url = story_url(manifest)
    if not url.startswith(("http://", "https://")):
        return None
    return SiteStory(
        url=url, uri=manifest.get("uri", url), headline=_role(manifest.get("headlines"), "main"),
        summary=_role(manifest.get("descriptions"), "summary"), published=_moment(manifest.get("firstCreated")),
        updated=_moment(manifest.get("versionCreated")), language=str(manifest.get("language", "")),
        byline=str(manifest.get("by", "")),
        section=next((s.get("name", "") for s in manifest.get("subjects", []) if s.get("rel") == "section"), ""),
        publisher=str(manifest.get("copyrightHolder", "")),
        media=tuple(m for m in map(_feed_media, manifest.get("associations", [])) if m is not None))


def newest_first(stories: Iterable[SiteStory]) -> list[SiteStory]:
    """Order stories newest first; undated ones last; ties by URL, so the order never depends on the disk."""
    ordered = sorted(stories, key=lambda s: s.url)
    return sorted(ordered, key=lambda s: (s.date is not None, s.date and as_utc(s.date)), reverse=True)


def xml_text(value: object) -> str:
    """Return text XML 1.0 can hold: the characters it forbids (NUL, most C0 controls) are dropped."""
    return _NOT_XML.sub("", str(value))


def sub(parent: ET.Element, tag: str, text: object = None, **attributes: object) -> ET.Element:
    """Add a child element with optional text and attributes (None values left out), all made XML-safe."""
    child = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items() if v is not None})
    if text is not None:
        child.text = xml_text(text)
    return child


def xml_bytes(root: ET.Element, default_namespace: str | None = None) -> bytes:
    """Serialise an element tree as indented UTF-8 XML with its declaration, the same bytes every time."""
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", default_namespace=default_namespace)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode()


def rss_feed(stories: Sequence[SiteStory], site_url: str) -> bytes:
    """Write feed.xml: every story newest first, each media item a media:group of its renditions."""
    stories = newest_first(stories)
    site = site_url.rstrip("/") + "/"
    rss = ET.Element("rss", {"version": "2.0"})
    channel = sub(rss, "channel")
    publisher = next((s.publisher for s in stories if s.publisher), "")
    sub(channel, "title", publisher or site)
    sub(channel, "link", site)
    sub(channel, "description", f"Stories from {publisher or site}")
    sub(channel, f"{{{ATOM}}}link", href=site + FEED, rel="self", type="application/rss+xml")
    sub(channel, "generator", "mediapack")
    updates = [as_utc(s.updated or s.published) for s in stories if s.updated or s.published]
    if updates:  # the newest story's date, not the clock: the same stories give the same bytes
        sub(channel, "lastBuildDate", format_datetime(max(updates), usegmt=True))
    for story in stories:
        _rss_item(channel, story)
    return xml_bytes(rss)


def _rss_item(channel: ET.Element, story: SiteStory) -> None:
    item = sub(channel, "item")
    sub(item, "title", story.headline)
    sub(item, "link", story.url)
    sub(item, "guid", story.uri, isPermaLink="true" if story.uri == story.url else "false")
    if story.summary:
        sub(item, "description", story.summary)
    if story.byline:
        sub(item, f"{{{DUBLIN_CORE}}}creator", story.byline)  # RSS's own <author> must be an e-mail address
    if story.section:
        sub(item, "category", story.section)
    if story.date:
        sub(item, "pubDate", format_datetime(as_utc(story.date), usegmt=True))
    for media in story.media:
        group = sub(item, f"{{{MEDIA_RSS}}}group")
        for index, r in enumerate(media.renditions):
            kind = str(r.get("contentType", "")).split("/")[0]
            sub(group, f"{{{MEDIA_RSS}}}content", url=r["href"], type=r.get("contentType"),
                medium=_MEDIUM.get(kind), isDefault="true" if index == 0 else None,
                fileSize=r.get("sizeInBytes"), bitrate=_kbps(r.get("bitrate")), framerate=r.get("frameRate"),
                duration=_seconds(r.get("duration")), width=r.get("width"), height=r.get("height"))
        if media.caption:
            sub(group, f"{{{MEDIA_RSS}}}description", media.caption, type="plain")
        if media.credit:
            sub(group, f"{{{MEDIA_RSS}}}credit", media.credit)
        if media.copyright:
            sub(group, f"{{{MEDIA_RSS}}}copyright", media.copyright)
        if media.thumbnail:
            sub(group, f"{{{MEDIA_RSS}}}thumbnail", url=media.thumbnail["href"], width=media.thumbnail.get("width"),
                height=media.thumbnail.get("height"))
        if media.captions:
            sub(group, f"{{{MEDIA_RSS}}}subTitle", type="text/vtt", lang=media.language or story.language,
                href=media.captions["href"])


def _feed_media(assoc: dict) -> FeedMedia | None:
    kind, renditions = assoc.get("type", ""), assoc.get("renditions", [])
    # What a partner takes, as the Downloads block offers it, less the poster and captions (said apart).
    chosen = [r for r in downloadable(kind, renditions) if r.get("href")
              and str(r.get("contentType", "")).split("/")[0] in _MEDIUM and r.get("name") != "poster"]
    if not chosen:
        return None
    if kind == "picture":
        pictures = [r for r in renditions if r.get("contentType") == "image/jpeg" and not is_crop(r.get("name", ""))]
    else:
        pictures = [r for r in renditions if r.get("name") == "poster"]
    pictures = [r for r in pictures if r.get("href") and r.get("width")]
    return FeedMedia(
        kind=kind, caption=_role(assoc.get("descriptions"), "caption"), credit=str(assoc.get("by", "")),
        copyright=str(assoc.get("copyrightNotice", "")), renditions=tuple(chosen), language=str(assoc.get("language", "")),
        thumbnail=min(pictures, key=lambda r: (r["width"], r.get("href"))) if pictures else None,
        captions=next((r for r in renditions if r.get("contentType") == "text/vtt" and "caption" in r.get("name", "")
                       and r.get("href")), None))


def _role(entries: object, role: str) -> str:
    return next((str(e.get("value", "")) for e in entries or [] if isinstance(e, dict) and e.get("role") == role), "")


def _moment(stamp: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(stamp)) if stamp else None
    except ValueError:
        return None


def _seconds(duration: object) -> int | None:
    return max(1, round(float(duration))) if isinstance(duration, int | float) and duration > 0 else None


def _kbps(bitrate: object) -> int | None:
    """Read ninjs' "1150 kbps" as Media RSS wants it: kilobits per second, a number."""
    found = re.fullmatch(r"\s*(\d+)\s*kbps\s*", str(bitrate or ""))
    return int(found.group(1)) if found else None
