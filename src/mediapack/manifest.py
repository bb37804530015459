"""The story as an IPTC ninjs 3.1 document: the one description the page and downloads are made from."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePath
from urllib.parse import quote

from .errors import BuildError
from .model import AUDIO, PHOTO, VIDEO, BuiltMedia, Rendition, Story

_DEL_AND_C1 = re.compile(r"[\x7f-\x9f]")

NINJS_VERSION = "3.1"
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
NINJS_TYPES = {PHOTO: "picture", VIDEO: "video", AUDIO: "audio"}


def href_for(path: PurePath, slug: str, base_url: str | None) -> str:
    """Return a rendition's link: relative to the story folder, or absolute under ``base_url``."""
    rel = quote(PurePath(path).as_posix())
    if base_url is None:
        return rel
    return f"{base_url.rstrip('/')}/{quote(slug)}/{rel}"


def story_uri(slug: str, base_url: str | None) -> str:
    """Return the story's identifier: its folder URL under ``base_url``, else a mediapack URN."""
    return f"{base_url.rstrip('/')}/{quote(slug)}/" if base_url else f"urn:mediapack:{quote(slug)}"


def utc_stamp(moment: datetime) -> str:
    """Format a datetime as UTC with a "Z" (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def byline_text(names: Sequence[str]) -> str:
    """Join names as a byline: "A", "A and B", "A, B and C"."""
    names = [n for n in names if n]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def make_manifest(story: Story, media: Sequence[BuiltMedia], packages: Sequence[Rendition], base_url: str | None,
                  generator: str = "mediapack") -> dict:
    """Describe the story, its media and its packages as a ninjs 3.1 "composite" document."""
    # page renders the body and itself reads manifests, so it is imported here rather than at the top.
    from .page import render_body, render_text

    doc: dict = {
        "uri": story_uri(story.slug, base_url),
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA},
        "type": "composite",
        "version": "1",
    }
    if story.published:
        doc["firstCreated"] = utc_stamp(story.published)
    if story.updated or story.published:
        doc["versionCreated"] = utc_stamp(story.updated or story.published)
    doc["language"] = story.language
    doc["slugline"] = story.slug
    doc["headlines"] = [{"role": "main", "value": story.headline}]
    if story.byline:
        doc["by"] = byline_text(story.byline)
    if story.standfirst:
        doc["descriptions"] = [{"role": "summary", "contentType": "text/plain", "value": story.standfirst}]
    if story.copyright:
        doc["copyrightNotice"] = story.copyright
    text = render_text(story, media)
    words = len(render_text(story, media, markers=False).split())
    doc["bodies"] = [
        {"role": "main", "contentType": "text/html", "wordCount": words, "value": render_body(story, media, base_url)},
        {"role": "main", "contentType": "text/plain", "wordCount": words, "value": text},
    ]
    if story.section:
        doc["subjects"] = [{"name": story.section, "rel": "section"}]
    doc["infoSources"] = [{"name": generator, "role": "generator"}]
    if media:
        doc["associations"] = [_association(story, built, base_url) for built in media]
    if packages:
        doc["renditions"] = [rendition_entry(p, story.slug, base_url) for p in packages]
    return doc


def _association(story: Story, built: BuiltMedia, base_url: str | None) -> dict:
    item = built.item
    uri = f"{story_uri(story.slug, base_url)}media/{quote(item.id)}/" if base_url else \
        f"urn:mediapack:{quote(story.slug)}:{quote(item.id)}"
    entry: dict = {"name": item.id, "uri": uri, "type": NINJS_TYPES.get(built.info.kind, "component")}
    descriptions = [{"role": role, "contentType": "text/plain", "value": value}
                    for role, value in (("caption", item.caption), ("alt", item.alt)) if value]
    if descriptions:
        entry["descriptions"] = descriptions
    if item.credit or item.creator:
        entry["by"] = item.credit or item.creator
    if item.copyright:
        entry["copyrightNotice"] = item.copyright
    poi = built.poi if built.info.kind == PHOTO else None
    entry["renditions"] = [rendition_entry(r, story.slug, base_url, poi, (built.info.width, built.info.height))
                           for r in built.renditions]
    return entry


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
    scaled = _scaled_poi(poi, source_size, r)
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


def json_text(obj: object, **options: object) -> str:
    """Serialise to JSON with DEL and C1 controls escaped too (json leaves them; U+009B is a terminal's CSI)."""
    return _DEL_AND_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, **options))


def manifest_json(manifest: dict) -> bytes:
    """Serialise a manifest deterministically as UTF-8 JSON with a final newline."""
    return (json_text(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, so no half file is seen."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BuildError(f"{path}: cannot write it: {exc.strerror or exc}") from exc
        raise
    return path


def write_manifest(out_root: Path, manifest: dict) -> Path:
    """Write ``out_root/manifest.json`` atomically."""
    return write_atomic(out_root / "manifest.json", manifest_json(manifest))
