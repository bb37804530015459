"""The words the tool writes for people: link labels, sizes, durations, bylines, kinds and language names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from ..model import AUDIO, PHOTO, VIDEO, Rendition

KIND_WORDS = {PHOTO: "Photo", VIDEO: "Video", AUDIO: "Audio"}
INTROS = {"picture": "To download the photo click here:", "video": "To download the video file click here:",
          "audio": "To download the audio file click here:"}
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "it": "Italiano",
                  "nl": "Nederlands", "pt": "Português", "sv": "Svenska", "da": "Dansk", "nb": "Norsk",
                  "fi": "Suomi", "pl": "Polski", "uk": "Українська", "ru": "Русский", "ar": "العربية"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

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
    "application/x-subrip": "SRT",
    "application/zip": "ZIP",
    "application/json": "JSON",
    "text/html": "HTML",
    "text/plain": "Text",
}

# Name suffixes that only repeat the format ("medium-webp" is shown as "Medium WebP").
_FORMAT_SUFFIXES = {"jpg", "jpeg", "webp", "avif", "png", "gif", "mp4", "m4a", "vtt", "webvtt", "zip"}

_UNITS = ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "KB"))


def human_size(n: int) -> str:
    """Format a byte count in decimal units: "999 B", "840 KB", "2.1 MB", "12 MB"."""
    n = max(0, int(n))
    if n < 1000:
        return f"{n} B"
    for unit, name in reversed(_UNITS):  # smallest unit whose rounded value stays below 1000
        if unit == 1000:
            whole = (n + 500) // 1000  # KB are always whole
            if whole < 1000:
                return f"{whole} {name}"
            continue
        tenths = (n * 10 + unit // 2) // unit  # half-up, in integers, so it is the same everywhere
        if tenths < 100:
            return f"{tenths // 10}.{tenths % 10} {name}"
        whole = (n + unit // 2) // unit
        if whole < 1000 or name == "TB":
            return f"{whole} {name}"
    raise AssertionError("unreachable")


def _whole_seconds(seconds: float) -> int:
    return int(max(0.0, float(seconds)) + 0.5)  # half-up: 14.5 s is "0:15" on every platform


def clock(seconds: float) -> str:
    """Format a duration as a clock: "0:15", "1:30", "1:02:03"."""
    total = _whole_seconds(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """Format a duration as ISO 8601 for schema.org: "PT14S", "PT1M30S", "PT1H2M3S"."""
    total = _whole_seconds(seconds)
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


def _pretty_name(name: str) -> str:
    words = [re.sub(r"^(\d+)x(\d+)$", r"\1:\2", w) for w in name.replace("_", "-").split("-") if w]
    if len(words) > 1 and words[-1].lower() in _FORMAT_SUFFIXES:
        words = words[:-1]
    text = " ".join(words) or "File"
    return text[0].upper() + text[1:]


def label(name: str, content_type: str, size_bytes: int | None = None, *, width: int | None = None,
          height: int | None = None, duration: float | None = None, package: bool = False,
          path: str | None = None) -> str:
    """Build link text from rendition fields, e.g. "720p MP4 · 1280×720 · 0:15 · 2.1 MB"."""
    head = _pretty_name(name)
    if package and "package" not in head.lower():
        head += " package"
    parts = [f"{head} {format_name(content_type, path)}"]
    if width and height:
        parts.append(f"{width}×{height}")
    if duration:
        parts.append(clock(duration))
    if size_bytes is not None:
        parts.append(human_size(size_bytes))
    return " · ".join(parts)


def link_title(r: Rendition) -> str:
    """Return the link text for a rendition: name, format, dimensions, duration and size."""
    return label(r.name, r.content_type, r.size_bytes, width=r.width, height=r.height, duration=r.duration,
                 package=r.role == "package", path=r.path.as_posix())


def byline_text(names: Sequence[str]) -> str:
    """Join names as a byline: "A", "A and B", "A, B and C"."""
    names = [n for n in names if n]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def language_name(code: str) -> str:
    """Name a BCP 47 language in itself ("English", "Deutsch"), or return the code."""
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)
