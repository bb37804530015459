"""The Downloads block's groups and links, read from a manifest: what a partner may take, and its saved name."""

from __future__ import annotations

from urllib.parse import unquote

from ..i18n import Words, words_for
from .labels import label

INTROS = {"picture": "photo_intro", "video": "video_intro", "audio": "audio_intro"}  # ninjs type -> label key


def downloads(manifest: dict, words: Words | None = None) -> list[dict]:
    """Group the manifest's downloadable renditions: per media item, then the story's packages."""
    words = words or words_for(manifest.get("language", "en"))
    groups, slug = [], manifest.get("slugline", "")
    for assoc in manifest.get("associations", []):
        kind, renditions = assoc.get("type"), assoc.get("renditions", [])
        if kind == "video":
            mp4 = [r for r in renditions if r.get("contentType") == "video/mp4"]
            # The ladder first, highest first; then compositions (social cuts) made from it.
            chosen = sorted(mp4, key=lambda r: (r["name"].startswith("social-"), -r.get("height", 0)))
            chosen += [r for r in renditions if r["name"] == "poster"]
            chosen += [r for r in renditions if r.get("contentType") == "text/vtt" and "caption" in r["name"]]
        elif kind == "picture":
            # Every size as JPEG; the WebP/AVIF copies of the same sizes serve the page, not partners.
            jpegs = [r for r in renditions if r.get("contentType") == "image/jpeg"]
            chosen = sorted(jpegs, key=lambda r: -r.get("width", 0) * r.get("height", 0))
            chosen += [r for r in renditions if r.get("contentType") == "video/mp4"]  # an animation's loop
        elif kind == "audio":
            chosen = [r for r in renditions if str(r.get("contentType", "")).startswith("audio/")]
        else:
            chosen = list(renditions)
        if chosen:
            caption = next((d["value"] for d in assoc.get("descriptions", []) if d.get("role") == "caption"), "")
            groups.append({"intro": words(INTROS.get(kind, "file_intro")),
                           "caption": caption or assoc["name"], "credit": assoc.get("by", ""),
                           "links": [_link(r, slug, assoc["name"], words) for r in chosen]})
    if manifest.get("renditions"):
        groups.append({"intro": words("story_intro"), "caption": "", "credit": "",
                       "links": [_link(r, slug, None, words, package=True) for r in manifest["renditions"]]})
    return groups


def _link(r: dict, slug: str, media_id: str | None, words: Words, package: bool = False) -> dict:
    size = r.get("sizeInBytes")
    text = r.get("title") or label(r["name"], r.get("contentType", ""), size, width=r.get("width"),
                                   height=r.get("height"), duration=r.get("duration"), package=package,
                                   path=r.get("href"), words=words)
    if size is not None and words.size(size) not in text:
        text += f" · {words.size(size)}"
    # The template keeps each part on one line, so a narrow screen wraps only between parts.
    return {"href": r.get("href", ""), "type": r.get("contentType", ""), "parts": text.split(" · "),
            "filename": download_name(slug, media_id, r.get("href", ""))}


def download_name(slug: str, media_id: str | None, href: str) -> str:
    """Name a download as it should land in a Downloads folder: ``<slug>-<id>-<file>`` (a package: its own).

    Every story's renditions are called large.jpg, 720p.mp4, captions.vtt: without the prefix a
    second download would replace the first.
    """
    file = unquote(href.rstrip("/").rpartition("/")[2])
    return file if media_id is None else f"{slug}-{media_id}-{file}"
