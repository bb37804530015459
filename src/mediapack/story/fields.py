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
from ..rules import did_you_mean, uri_problem, url_problem

ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MEDIA_KEYS = {"id", "file", "caption", "credit", "alt", "creator", "copyright", "subtitles", "poster_at",
              "license", "acquire_license_page", "focus"}
MEDIA_TOPIC = re.compile(r"^medtop:\d{8}$")  # an IPTC Media Topic code, e.g. medtop:20000763
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


def byline_field(value: Any, source: Path, findings: Findings
                 ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Return a byline's names and the (name, url) of those given as ``{name: "…", url: "…"}``.

    A byline is a name, an author mapping, or a list of both.
    """
    entries = value if isinstance(value, list) else [] if value is None else [value]
    names: list[str] = []
    urls: list[tuple[str, str]] = []
    for index, entry in enumerate(entries):
        where = f"byline[{index}]" if isinstance(value, list) else "byline"
        if isinstance(entry, str):
            names += [entry.strip()] if entry.strip() else []
        elif isinstance(entry, dict):
            for key in sorted(set(map(str, entry)) - {"name", "url"}):
                findings.error(source, f"{where}.{key}", "unknown author key: an author has a name and a url")
            name = text_field(entry, "name", source, findings, required=True, prefix=f"{where}.")
            url = url_field(entry, "url", source, findings, prefix=f"{where}.")
            names += [name] if name else []
            urls += [(name, url)] if name and url else []
        else:
            findings.error(source, where, 'must be a name, or a mapping like {name: "Ann Writer", url: '
                           '"https://example.org/staff/ann"}')
    return tuple(names), tuple(urls)


def subjects_field(value: Any, source: Path, findings: Findings) -> tuple[str, ...]:
    """Return IPTC Media Topic codes (medtop:20000763), one or a list, each checked for its form."""
    codes = value if isinstance(value, list) else [] if value is None else [value]
    good = []
    for index, code in enumerate(codes):
        where = f"subjects[{index}]" if isinstance(value, list) else "subjects"
        if isinstance(code, str) and MEDIA_TOPIC.match(code.strip()):
            good.append(code.strip())
        else:
            findings.error(source, where, "must be an IPTC Media Topic code like medtop:20000763 "
                           f"(see https://cv.iptc.org/newscodes/mediatopic/), not {shown(code)}")
    return tuple(dict.fromkeys(good))


def uri_field(data: dict, key: str, source: Path, findings: Findings) -> str | None:
    """Return ``data[key]`` as an absolute URI (a URN or an http(s) URL), or record why it is none."""
    value = text_field(data, key, source, findings)
    if value is not None and (problem := uri_problem(value)):
        findings.error(source, key, f"{problem}, not {shown(value)}")
        return None
    return value


def focus_field(entry: dict, source: Path, findings: Findings, prefix: str) -> tuple[float, float] | None:
    """Return a media item's ``focus: [x, y]``: fractions from 0 to 1 of the upright picture's width and height."""
    value = entry.get("focus")
    if value is None:
        return None
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            and all(0 <= v <= 1 for v in value)):
        return float(value[0]), float(value[1])
    findings.error(source, prefix + "focus", "must be [x, y], two numbers from 0 to 1 (fractions of the "
                   f"picture's width and height from its top left corner, e.g. [0.5, 0.3]), not {shown(value)}")
    return None


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


_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10))})


def windows_unsafe(path: PurePosixPath | Path) -> str | None:
    """Say why Windows cannot create a file at ``path`` (the originals/ entry of a package), or None."""
    for part in path.parts:
        if found := sorted(set(part) & set('<>:"|?*')):
            return f"{part!r} has characters Windows cannot put in a file name ({' '.join(found)})"
        if part.endswith((" ", ".")) or part.split(".")[0].upper() in _WINDOWS_RESERVED:
            return f"{part!r} is a name Windows cannot give a file (a reserved name, or a trailing space or dot)"
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
        if file is not None and (unsafe := windows_unsafe(file)):
            findings.warn(source, prefix + "file", f"{unsafe}: a partner on Windows cannot unzip it from the full "
                          "package; rename the file")
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
            focus=focus_field(entry, source, findings, prefix),
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


