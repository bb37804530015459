"""The story as an IPTC ninjs 3.1 document: the one description the page and downloads are made from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import json_text, utc_stamp, write_atomic
from ..i18n import Words, story_words, words_for
from ..model import AUDIO, PHOTO, VIDEO, BuiltMedia, Rendition, Story
from ..photo.crops import crop_box
from .links import href_for, item_uri, ninjs_uri, story_uri

if TYPE_CHECKING:
    from .body import Body

NINJS_VERSION = "3.1"
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
NINJS_TYPES = {PHOTO: "picture", VIDEO: "video", AUDIO: "audio"}
URL_ROLE = "url"  # the altIds entry holding the story's web address under --base-url
MEDIA_TOPICS = "http://cv.iptc.org/newscodes/mediatopic/"  # + the code's digits: the IPTC Media Topic's URI
C2PA_ROLE = "https://c2pa.org"  # the trust indicator of a rendition signed with Content Credentials


def make_manifest(story: Story, media: Sequence[BuiltMedia], packages: Sequence[Rendition], base_url: str | None,
                  body: Body, generator: str = "mediapack", *, ed_note: str | None = None,
                  words: Words | None = None) -> dict:
    """Describe the story, its media, its rendered body and its packages as a ninjs 3.1 "composite" document."""
    words = words or story_words(story)
    doc: dict = {
        "uri": ninjs_uri(story),
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA},
        "type": "composite",
        "version": "1",
    }
    if base_url:  # where the story is read; the uri stays the same wherever it is hosted
        doc["altIds"] = [{"role": URL_ROLE, "value": story_uri(story.slug, base_url)}]
    doc.update(_dates(story))
    doc["pubStatus"] = "usable"
    doc["language"] = story.language
    doc["slugline"] = story.slug
    doc["headlines"] = [{"role": "main", "value": story.headline}]
    if story.byline:
        doc["by"] = words.names(story.byline)
    if story.standfirst:
        doc["descriptions"] = [{"role": "summary", "contentType": "text/plain", "value": story.standfirst}]
    if story.publisher:
        doc["copyrightHolder"] = story.publisher.name
    if story.copyright:
        doc["copyrightNotice"] = story.copyright
    if terms := usage_terms(story, words):
        doc["usageTerms"] = terms
    doc["bodies"] = [{"role": "main", "contentType": kind, "wordCount": body.words, "value": value}
                     for kind, value in (("text/html", body.html), ("text/plain", body.text))]
    subjects = [{"name": story.section, "rel": "section"}] if story.section else []
    subjects += [{"uri": MEDIA_TOPICS + code.removeprefix("medtop:"), "literal": code} for code in story.subjects]
    if subjects:
        doc["subjects"] = subjects
    doc["infoSources"] = [{"name": generator, "role": "generator"}]
    if ed_note:
        doc["edNote"] = ed_note  # for the receiving desk: what the packages' originals still carry
    if media:
        doc["associations"] = [_association(story, built, base_url, words) for built in media]
    if packages:
        doc["renditions"] = [rendition_entry(p, story.slug, base_url) for p in packages]
    return doc


def story_url(manifest: dict) -> str:
    """Return the story's web address a manifest records (under --base-url), or ""."""
    return next((alt.get("value", "") for alt in manifest.get("altIds", []) if alt.get("role") == URL_ROLE), "")


def _dates(story: Story) -> dict:
    """The ninjs dates: first and this version's, and when the content was made (its first publication)."""
    dates = {}
    if story.published:
        dates["firstCreated"] = utc_stamp(story.published)
    if story.updated or story.published:
        dates["versionCreated"] = utc_stamp(story.updated or story.published)
    if story.published:
        dates["contentCreated"] = utc_stamp(story.published)
    return dates


def _association(story: Story, built: BuiltMedia, base_url: str | None, words: Words) -> dict:
    item = built.item
    entry: dict = {"name": item.id, "uri": item_uri(ninjs_uri(story), item.id),
                   "type": NINJS_TYPES.get(built.info.kind, "component"), "language": story.language}
    descriptions = [{"role": role, "contentType": "text/plain", "value": value}
                    for role, value in (("caption", item.caption), ("alt", item.alt)) if value]
    if descriptions:
        entry["descriptions"] = descriptions
    if item.credit or item.creator:
        entry["by"] = item.credit or item.creator
    if item.copyright:
        entry["copyrightNotice"] = item.copyright
    if terms := usage_terms(item, words):
        entry["usageTerms"] = terms
    def poi(r: Rendition) -> tuple[int, int] | None:  # a video's focus marks its pictures (the poster)
        return built.poi if built.info.kind == PHOTO or r.content_type.startswith("image/") else None

    entry["renditions"] = [rendition_entry(r, story.slug, base_url, poi(r), (built.info.width, built.info.height))
                           for r in built.renditions]
    if signed := [r for r in built.renditions if r.signed_by]:
        entry["trustIndicators"] = [{"role": C2PA_ROLE, "title": f"Content Credentials signed by {r.signed_by}",
                                     "href": href_for(r.path, story.slug, base_url)} for r in signed]
    return entry


def usage_terms(item, words: Words | None = None) -> str | None:
    """Say in words where an item's licence is and where to license it (ninjs usageTerms is prose)."""
    words = words or words_for("en")
    parts = ([words("licence", url=item.license)] if item.license else []) + (
        [words("to_license", url=item.acquire_license_page)] if item.acquire_license_page else [])
    return "; ".join(parts) or None


def rendition_entry(r: Rendition, slug: str, base_url: str | None, poi: tuple[int, int] | None = None,
                    source_size: tuple[int, int] = (0, 0)) -> dict:
    """Describe one rendition in ninjs terms, leaving out fields that are unknown."""
    entry: dict = {"name": r.name, "href": href_for(r.path, slug, base_url), "contentType": r.content_type}
    if r.width and r.height:
        entry["width"], entry["height"] = r.width, r.height
    if r.duration is not None:
        entry["duration"] = round(r.duration, 3)
    entry["sizeInBytes"] = r.size_bytes
    if r.video_codec:
        entry["videoCodec"] = r.video_codec
    if r.frame_rate:
        entry["frameRate"] = round(r.frame_rate, 3)
    if r.bitrate:
        entry["bitrate"] = f"{round(r.bitrate / 1000)} kbps"  # ninjs wants the unit in the string
    scaled = _poi_in_crop(poi, source_size, r) if r.role == "crop" else _scaled_poi(poi, source_size, r)
    if scaled is not None:
        entry["poi"] = {"x": scaled[0], "y": scaled[1]}
    if r.title:
        entry["title"] = r.title
    return entry


def _scaled_poi(poi: tuple[int, int] | None, source: tuple[int, int], r: Rendition) -> tuple[int, int] | None:
    """Map the source's focal point into a rendition that shows the whole picture (not a crop)."""
    src_w, src_h = source
    if poi is None or not (src_w and src_h and r.width and r.height):
        return None
    if abs(r.width * src_h - r.height * src_w) > max(src_w, src_h):  # aspect differs: a crop
        return None
    x = min(r.width - 1, max(0, round(poi[0] * r.width / src_w)))
    y = min(r.height - 1, max(0, round(poi[1] * r.height / src_h)))
    return x, y


def _poi_in_crop(poi: tuple[int, int] | None, source: tuple[int, int], r: Rendition) -> tuple[int, int] | None:
    """Map the source's focal point into a crop, which was cut around it (photo/crops.py) as far as the picture allowed."""
    if poi is None or not (all(source) and r.width and r.height):
        return None
    left, top, right, _ = crop_box(source, (r.width, r.height), (poi[0] + 0.5, poi[1] + 0.5))
    scale = r.width / (right - left)
    return (min(r.width - 1, max(0, int((poi[0] + 0.5 - left) * scale))),
            min(r.height - 1, max(0, int((poi[1] + 0.5 - top) * scale))))


def manifest_json(manifest: dict) -> bytes:
    """Serialise a manifest deterministically as UTF-8 JSON with a final newline."""
    return (json_text(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def write_manifest(out_root: Path, manifest: dict) -> Path:
    """Write ``out_root/manifest.json`` atomically."""
    return write_atomic(out_root / "manifest.json", manifest_json(manifest))
