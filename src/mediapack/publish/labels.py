"""Link labels in the story's language: rendition names, formats, sizes, durations; kinds and language names."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..i18n import Words, whole_seconds, words_for
from ..messages import MESSAGES
from ..model import AUDIO, PHOTO, VIDEO, Rendition

_KIND_KEYS = {PHOTO: "photo", VIDEO: "video", AUDIO: "audio"}


def kind_label(words: Words, kind: str) -> str:
    """Say an item's kind as its credit line starts ("Photo", "Vidéo", "عکس"; "Media" for another kind)."""
    return words(_KIND_KEYS.get(kind, "media"))

# Display names of the formats we write or accept, keyed by MIME type.
FORMAT_NAMES = {
    "image/jpeg": "JPEG",
    "image/webp": "WebP",
    "image/avif": "AVIF",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/tiff": "TIFF",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
    "video/webm": "WebM",
    "video/x-matroska": "MKV",
    "audio/mp4": "M4A",
    "audio/x-m4a": "M4A",
    "audio/aac": "AAC",
    "audio/mpeg": "MP3",
    "audio/wav": "WAV",
    "audio/x-wav": "WAV",
    "audio/ogg": "Ogg",
    "audio/flac": "FLAC",
    "text/vtt": "WebVTT",
    "application/vnd.apple.mpegurl": "HLS",
    "application/x-subrip": "SRT",
    "application/zip": "ZIP",
    "application/json": "JSON",
    "text/html": "HTML",
    "text/plain": "Text",
}

# Name suffixes that only repeat the format ("medium-webp" is shown as "Medium WebP").
_FORMAT_SUFFIXES = {"jpg", "jpeg", "webp", "avif", "png", "gif", "mp4", "m4a", "vtt", "webvtt", "zip"}

def iso_duration(seconds: float) -> str:
    """Format a duration as ISO 8601 for schema.org: "PT14S", "PT1M30S", "PT1H2M3S"."""
    total = whole_seconds(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return "PT" + parts + (f"{secs}S" if secs or not parts else "")


def format_name(content_type: str, path: str | None = None) -> str:
    """Name the format of a MIME type ("JPEG", "MP4"), falling back to the file extension."""
    base = content_type.split(";", 1)[0].strip().lower()
    if base in FORMAT_NAMES:
        return FORMAT_NAMES[base]
    suffix = PurePosixPath(path).suffix[1:] if path else ""
    return (suffix or base.rpartition("/")[2] or "file").upper()


# Rendition names with a label of their own ("medium-webp" starts "Medium"; "social-9x16": "Social 9:16").
_NAMED = frozenset({"large", "medium", "small", "thumb", "square", "poster", "captions", "thumbnails", "animation",
                    "original", "social", "audio", "file"})


def _pretty_name(name: str, words: Words, package: bool) -> str:
    """Name a rendition or package in the story's language: "Medium", "Social 9:16", "Web package"."""
    parts = [re.sub(r"^(\d+)x(\d+)$", r"\1:\2", w) for w in name.replace("_", "-").split("-") if w]
    if len(parts) > 1 and parts[-1].lower() in _FORMAT_SUFFIXES:
        parts = parts[:-1]
    if package:
        key = f"{name.lower()}_package"
        text = words(key) if key in MESSAGES else words("package", name=" ".join(parts) or name)
    else:
        if parts and parts[0].lower() in _NAMED:
            parts[0] = words(parts[0].lower())
        text = " ".join(parts) or words("file")
    return text[0].upper() + text[1:]


def label(name: str, content_type: str, size_bytes: int | None = None, *, width: int | None = None,
          height: int | None = None, duration: float | None = None, package: bool = False,
          path: str | None = None, words: Words | None = None) -> str:
    """Build link text from rendition fields, e.g. "720p MP4 · 1280×720 · 0:15 · 2.1 MB"."""
    words = words or words_for("en")
    parts = [f"{_pretty_name(name, words, package)} {format_name(content_type, path)}"]
    if width and height:
        parts.append(words.dimensions(width, height))
    if duration:
        parts.append(words.clock(duration))
    if size_bytes is not None:
        parts.append(words.size(size_bytes))
    return " · ".join(parts)


def link_title(r: Rendition, words: Words | None = None) -> str:
    """Return the link text for a rendition: name, format, dimensions, duration and size."""
    return label(r.name, r.content_type, r.size_bytes, width=r.width, height=r.height, duration=r.duration,
                 package=r.role == "package", path=r.path.as_posix(), words=words)


def language_name(code: str) -> str:
    """Name a BCP 47 language in itself ("English", "Deutsch", "فارسی"), or return the code."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name()
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return (name[0].upper() + name[1:]) if name else code
