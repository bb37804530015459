"""The Downloads block's groups and links, read from a manifest: what a partner may take, and its saved name."""

from __future__ import annotations

from urllib.parse import unquote

from ..i18n import Words, words_for

INTROS = {"picture": "photo_intro", "video": "video_intro", "audio": "audio_intro"}  # ninjs type -> label key

THUMBNAIL_BOX = 80  # CSS pixels: a group's picture fits this square
HEADING_CHARACTERS = 72  # a longer caption is cut at a word for the group's heading (the page shows it whole)


def downloads(manifest: dict, words: Words | None = None) -> list[dict]:
    """Group the manifest's downloadable renditions: per media item (main download first), then the packages.

    Each group has a heading, a credit, a thumbnail, the lead-in with its ``main`` link and ``more``
    links for the <details> under it; ``links`` holds them all, main first.
    """
    words = words or words_for(manifest.get("language", "en"))
    groups, slug = [], manifest.get("slugline", "")
    for assoc in manifest.get("associations", []):
        kind, renditions = assoc.get("type"), assoc.get("renditions", [])
        chosen = downloadable(kind, renditions)
        if not chosen:
            continue
        caption = next((d["value"] for d in assoc.get("descriptions", []) if d.get("role") == "caption"), "")
        links = [_link(r, slug, assoc["name"], words) for r in chosen]
        groups.append({"intro": words(INTROS.get(kind, "file_intro")),
                       "heading": (heading := _shortened(caption) or assoc["name"]),
                       "heading_auto": words.reads_other_way(heading), "credit": assoc.get("by", ""),
                       "thumbnail": _thumbnail(kind, renditions), "main": links[0], "more": links[1:],
                       "more_label": words("more_files", count=words.digits(str(len(links) - 1))),
                       "links": links})
    if manifest.get("renditions"):
        links = [_link(r, slug, None, words) for r in manifest["renditions"]]
        groups.append({"intro": words("story_intro"), "heading": "", "heading_auto": False, "credit": "",
                       "thumbnail": None,
                       "main": None, "more": [], "more_label": "", "links": links})
    return groups


def downloadable(kind: str | None, renditions: list[dict]) -> list[dict]:
    """Choose what a partner takes of one item, the main download first."""
    if kind == "video":
        mp4 = [r for r in renditions if r.get("contentType") == "video/mp4"]
        # The ladder first, highest first; then compositions (social cuts) made from it.
        chosen = sorted(mp4, key=lambda r: (r["name"].startswith("social-"), -r.get("height", 0)))
        chosen += [r for r in renditions if r["name"] == "poster"]
        return chosen + [r for r in renditions if r.get("contentType") == "text/vtt" and "caption" in r["name"]]
    if kind == "picture":
        # Every size as JPEG, the whole picture's largest first, then the crops (a panorama's 1:1 crop can
        # hold more pixels than its large size); the WebP/AVIF copies of the same sizes serve the page.
        jpegs = [r for r in renditions if r.get("contentType") == "image/jpeg"]
        chosen = sorted(jpegs, key=lambda r: (is_crop(r["name"]), -r.get("width", 0) * r.get("height", 0)))
        return chosen + [r for r in renditions if r.get("contentType") == "video/mp4"]  # an animation's loop
    if kind == "audio":
        return [r for r in renditions if str(r.get("contentType", "")).startswith("audio/")]
    return list(renditions)


def is_crop(name: str) -> bool:
    """Tell a crop (square, 16:9, 4:3, 1:1, the share image) from a size of the whole picture."""
    return name in ("square", "share") or name.startswith("crop-")


def _thumbnail(kind: str | None, renditions: list[dict]) -> dict | None:
    """Pick a small picture of the item (a photo's thumb, a video's poster) and its size inside the box."""
    if kind == "picture":
        pictures = [r for r in renditions if r.get("contentType") in ("image/jpeg", "image/webp")
                    and not is_crop(r["name"].removesuffix("-webp"))]
    elif kind == "video":
        pictures = [r for r in renditions if r["name"] in ("poster-webp", "poster")]
    else:
        return None
    pictures = [r for r in pictures if r.get("width") and r.get("height") and r.get("href")]
    if not pictures:
        return None
    best = min(pictures, key=lambda r: (r["width"] * r["height"], r.get("sizeInBytes", 0), r["name"]))
    scale = THUMBNAIL_BOX / max(best["width"], best["height"])
    return {"src": best["href"], "box": THUMBNAIL_BOX, "width": max(1, round(best["width"] * scale)),
            "height": max(1, round(best["height"] * scale))}


def _shortened(caption: str) -> str:
    """Cut a caption at a word to fit a heading; it stays whole on the page above."""
    text = " ".join(caption.split())
    if len(text) <= HEADING_CHARACTERS:
        return text
    cut = text[:HEADING_CHARACTERS]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(",;:—–- ") + "…"


def _link(r: dict, slug: str, media_id: str | None, words: Words) -> dict:
    """Describe one link: its target and the text naming the saved file, then its size (in the story's digits)."""
    filename = download_name(slug, media_id, r.get("href", ""))
    details = []
    if r.get("width") and r.get("height"):
        details.append(words.dimensions(r["width"], r["height"]))
    if r.get("duration"):
        details.append(words.clock(r["duration"]))
    if r.get("sizeInBytes") is not None:
        details.append(words.size(r["sizeInBytes"]))
    return {"href": r.get("href", ""), "type": r.get("contentType", ""), "filename": filename,
            "details": details}


def download_name(slug: str, media_id: str | None, href: str) -> str:
    """Name a download as it should land in a Downloads folder: ``<slug>-<id>-<file>`` (a package: its own).

    Every story's renditions are called large.jpg, 720p.mp4, captions.vtt: without the prefix a
    second download would replace the first.
    """
    file = unquote(href.rstrip("/").rpartition("/")[2])
    return file if media_id is None else f"{slug}-{media_id}-{file}"
