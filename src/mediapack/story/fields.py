"""The front matter's fields, each read and checked: texts, bylines, dates, media items, paths in the folder."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import BIDI_CONTROLS, Findings, is_control, shown
from ..files import as_utc
from ..model import MediaItem
from ..rules import did_you_mean, url_problem

ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MEDIA_KEYS = {"id", "file", "caption", "credit", "alt", "creator", "copyright", "subtitles", "poster_at",
              "license", "acquire_license_page"}
SUBTITLE_SUFFIXES = {".srt", ".vtt"}
MAX_SUBTITLE_BYTES = 10_000_000  # read whole into memory to convert


def text_field(data: dict, key: str, source: Path, findings: Findings, *, required: bool = False,
               prefix: str = "") -> str | None:
    """Return ``data[key]`` as stripped text (numbers too); None if absent or empty."""
    value = data.get(key)
    where = prefix + key
    if value is None:
        if required:
            findings.error(source, where, "required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        findings.error(source, where, "must be text")
        return None
    value = str(value).strip()
    if required and not value:
        findings.error(source, where, "must not be empty")
    return value or None


def url_field(data: dict, key: str, source: Path, findings: Findings, *, prefix: str = "") -> str | None:
    """Return ``data[key]`` as an http(s) URL, or record why it is none."""
    value = text_field(data, key, source, findings, prefix=prefix)
    if value is not None and (problem := url_problem(value)):
        findings.error(source, prefix + key, f"{problem}: {shown(value)}")
        return None
    return value


def byline_field(value: Any, source: Path, findings: Findings) -> tuple[str, ...]:
    """Return a byline (one name or a list of names) as a tuple of names."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    findings.error(source, "byline", "must be a name or a list of names")
    return ()


def date_field(data: dict, key: str, source: Path, findings: Findings) -> datetime | None:
    """Return an ISO 8601 date-time in UTC (a date is taken as its midnight, no zone as UTC)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            findings.error(source, key, f"not an ISO 8601 date-time like 2026-06-20T09:30:00Z: {shown(value)}")
            return None
    else:
        findings.error(source, key, f"not an ISO 8601 date-time like 2026-06-20T09:30:00Z: {shown(value)}")
        return None
    if parsed.tzinfo is None:
        findings.warn(source, key, "has no time zone, so it is taken as UTC; write it with one, like "
                      "2026-06-20T09:30:00Z or 2026-06-20T13:00:00+03:30")
    try:
        return as_utc(parsed)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00 is past the year 9999 in UTC
        findings.error(source, key, f"out of range: {shown(value)}")
        return None


def media_list(value: Any, folder: Path, source: Path, findings: Findings) -> tuple[MediaItem, ...]:
    """Return the ``media`` list's items; an item without a usable id or file is left out."""
    if value is None:
        return ()
    if not isinstance(value, list):
        findings.error(source, "media", "must be a list of items, each with id and file")
        return ()
    items: list[MediaItem] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        prefix = f"media[{index}]."
        if not isinstance(entry, dict):
            findings.error(source, f"media[{index}]", "must be a mapping with id and file")
            continue
        media_id = text_field(entry, "id", source, findings, required=True, prefix=prefix)
        if media_id is not None:
            if not ID_PATTERN.match(media_id):
                findings.error(source, prefix + "id", f"must hold only a-z, 0-9 and '-': {media_id!r}")
            elif media_id in seen:
                findings.error(source, prefix + "id", f"duplicate id {media_id!r}")
            seen.add(media_id)
            prefix = f"media[{media_id}]."
        for key in sorted(set(map(str, entry)) - MEDIA_KEYS):
            findings.warn(source, prefix + key, f"unknown media key (ignored){did_you_mean(key, MEDIA_KEYS)}")
        file = inside_story(entry.get("file"), folder, source, prefix + "file", findings, required=True)
        subtitles = inside_story(entry.get("subtitles"), folder, source, prefix + "subtitles", findings)
        if subtitles is not None and subtitles.suffix.lower() not in SUBTITLE_SUFFIXES:
            findings.error(source, prefix + "subtitles", "must be a .srt or .vtt file")
        elif subtitles is not None and (folder / subtitles).stat().st_size > MAX_SUBTITLE_BYTES:
            findings.error(folder / subtitles, prefix + "subtitles",
                           f"larger than {MAX_SUBTITLE_BYTES // 1_000_000} MB")
        poster_at = entry.get("poster_at")
        if poster_at is not None and (isinstance(poster_at, bool) or not isinstance(poster_at, int | float)
                                      or not math.isfinite(poster_at) or poster_at < 0):
            findings.error(source, prefix + "poster_at", "must be a number of seconds, 0 or more")
            poster_at = None
        if media_id is None or file is None:
            continue
        items.append(MediaItem(
            id=media_id, file=file,
            caption=text_field(entry, "caption", source, findings, prefix=prefix),
            credit=text_field(entry, "credit", source, findings, prefix=prefix),
            alt=text_field(entry, "alt", source, findings, prefix=prefix),
            creator=text_field(entry, "creator", source, findings, prefix=prefix),
            copyright=text_field(entry, "copyright", source, findings, prefix=prefix),
            subtitles=subtitles,
            poster_at=float(poster_at) if poster_at is not None else None,
            license=url_field(entry, "license", source, findings, prefix=prefix),
            acquire_license_page=url_field(entry, "acquire_license_page", source, findings, prefix=prefix),
        ))
    return tuple(items)


def declared_ids(value: Any) -> set[str]:
    """Return every id the ``media`` list declares, usable or not (so a placement of it is no second problem)."""
    if not isinstance(value, list):
        return set()
    return {str(entry["id"]).strip() for entry in value if isinstance(entry, dict) and entry.get("id") is not None}


def inside_story(value: Any, folder: Path, source: Path, key: str, findings: Findings,
                 *, required: bool = False) -> Path | None:
    """Return ``value`` as a path relative to the story folder, or record why it is refused."""
    if value is None:
        if required:
            findings.error(source, key, "required")
        return None
    if not isinstance(value, str) or not value.strip():
        findings.error(source, key, "must be a relative path inside the story folder")
        return None
    if "\\" in value or any(is_control(c) or c in BIDI_CONTROLS for c in value):
        findings.error(source, key, "must be a plain relative path (no backslashes or control characters)")
        return None
    rel = PurePosixPath(value)
    if rel.is_absolute() or ".." in rel.parts:
        findings.error(source, key, f"must stay inside the story folder: {value!r}")
        return None
    target = folder / rel
    try:
        resolved = target.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        findings.error(target, key, "file not found")
        return None
    except (OSError, RuntimeError) as exc:
        findings.error(target, key, f"cannot read: {exc.strerror or exc}")
        return None
    if not resolved.is_relative_to(folder):
        findings.error(target, key, "links outside the story folder")
        return None
    if not resolved.is_file():
        findings.error(target, key, "not a regular file")
        return None
    return Path(rel)


