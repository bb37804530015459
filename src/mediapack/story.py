"""Read a story folder: front matter, body placements and media list, with every problem collected."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .compose_request import parse_compose
from .errors import Problem, shown, single_line
from .metadata import read_embedded_metadata
from .model import MediaItem, Story

STORY_FILE = "story.md"
ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
PLACEMENT = re.compile(r"^\s*!\[\[([^\]\n]*)\]\]\s*$", re.MULTILINE)
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
SUBTITLE_SUFFIXES = {".srt", ".vtt"}
KNOWN_KEYS = {"headline", "slug", "standfirst", "byline", "section", "published", "updated",
              "language", "copyright", "media", "compose"}
MEDIA_KEYS = {"id", "file", "caption", "credit", "alt", "creator", "copyright", "subtitles", "poster_at"}
MAX_STORY_BYTES = 2_000_000
MAX_SUBTITLE_BYTES = 10_000_000  # read whole into memory to convert


@dataclass
class Findings:
    """Problems found so far: errors stop a build, warnings do not (unless --strict)."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, file: Path | None, key: str | None, message: str) -> None:
        self.errors.append(Problem(file, key, message))

    def warn(self, file: Path | None, key: str | None, message: str) -> None:
        self.warnings.append(Problem(file, key, message))


def slugify(text: str) -> str:
    """Derive a URL- and file-safe slug ([a-z0-9-], at most 64 characters) from a headline."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].rstrip("-") or "story"


def read_story(folder: Path, findings: Findings) -> Story | None:
    """Parse ``folder/story.md``; record every problem in ``findings``; return None if unusable."""
    folder = folder.resolve()
    source = folder / STORY_FILE
    if not folder.is_dir():
        findings.error(folder, None, "story folder not found")
        return None
    if not source.is_file():
        findings.error(source, None, "story.md not found (run `mediapack init` to scaffold one)")
        return None
    if not source.resolve().is_relative_to(folder):
        findings.error(source, None, "links outside the story folder")
        return None
    if source.stat().st_size > MAX_STORY_BYTES:
        findings.error(source, None, f"larger than {MAX_STORY_BYTES // 1_000_000} MB")
        return None
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        findings.error(source, None, "not UTF-8 text")
        return None
    front, body = split_front_matter(text, source, findings)
    if front is None:
        return None

    for key in sorted(set(front) - KNOWN_KEYS):
        findings.warn(source, key, "unknown front matter key (ignored)")
    headline = _text(front, "headline", source, findings, required=True) or ""
    slug = _text(front, "slug", source, findings)
    if slug is not None and not ID_PATTERN.match(slug):
        findings.error(source, "slug", "must hold only a-z, 0-9 and '-' (at most 64 characters)")
    media = _media_list(front.get("media"), folder, source, findings)
    _check_placements(body, media, source, findings)
    language = _text(front, "language", source, findings) or "en"
    if not LANGUAGE.match(language):
        findings.error(source, "language", f"not a language tag like 'en' or 'pt-BR': {language!r}")
    return Story(
        folder=folder,
        source=source,
        headline=headline,
        slug=slug or slugify(headline),
        body=body,
        standfirst=_text(front, "standfirst", source, findings),
        byline=_byline(front.get("byline"), source, findings),
        section=_text(front, "section", source, findings),
        published=_date(front, "published", source, findings),
        updated=_date(front, "updated", source, findings),
        language=language,
        copyright=_text(front, "copyright", source, findings),
        media=media,
        compose=parse_compose(front.get("compose"), source, findings, folder=folder),
    )


def split_front_matter(text: str, source: Path, findings: Findings) -> tuple[dict[str, Any] | None, str]:
    """Split ``---`` YAML front matter from the Markdown body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        findings.error(source, None, "must start with a '---' line opening the YAML front matter")
        return None, ""
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
    if end is None:
        findings.error(source, None, "front matter is not closed by a '---' line")
        return None, ""
    try:
        front = yaml.safe_load("".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        findings.error(source, None, f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}")
        return None, ""
    except RecursionError:
        findings.error(source, None, "front matter is nested too deeply")
        return None, ""
    except Exception as exc:  # noqa: BLE001 - PyYAML's constructors raise anything on values like
        # 2026-02-30, a number of 5000 digits, or "!!timestamp x" and "!!bool maybe"
        said = single_line(str(exc).split(";")[0], 120) if isinstance(exc, ValueError | OverflowError) else ""
        findings.error(source, None, "front matter holds a value that cannot be read"
                       + (f": {said}" if said else " (check its dates, numbers and !! tags)"))
        return None, ""
    if not isinstance(front, dict):
        findings.error(source, None, "front matter must be a mapping of keys to values")
        return None, ""
    return {str(k): v for k, v in front.items()}, "".join(lines[end + 1:])


def _text(data: dict, key: str, source: Path, findings: Findings, *, required: bool = False,
          prefix: str = "") -> str | None:
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


def _byline(value: Any, source: Path, findings: Findings) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    findings.error(source, "byline", "must be a name or a list of names")
    return ()


def _date(data: dict, key: str, source: Path, findings: Findings) -> datetime | None:
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
    try:
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00 is past the year 9999 in UTC
        findings.error(source, key, f"out of range: {shown(value)}")
        return None


def _media_list(value: Any, folder: Path, source: Path, findings: Findings) -> tuple[MediaItem, ...]:
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
        for key in sorted(set(map(str, entry)) - MEDIA_KEYS):
            findings.warn(source, prefix + key, "unknown media key (ignored)")
        media_id = _text(entry, "id", source, findings, required=True, prefix=prefix)
        if media_id is not None:
            if not ID_PATTERN.match(media_id):
                findings.error(source, prefix + "id", f"must hold only a-z, 0-9 and '-': {media_id!r}")
            elif media_id in seen:
                findings.error(source, prefix + "id", f"duplicate id {media_id!r}")
            seen.add(media_id)
            prefix = f"media[{media_id}]."
        file = _inside(entry.get("file"), folder, source, prefix + "file", findings, required=True)
        subtitles = _inside(entry.get("subtitles"), folder, source, prefix + "subtitles", findings)
        if subtitles is not None and subtitles.suffix.lower() not in SUBTITLE_SUFFIXES:
            findings.error(source, prefix + "subtitles", "must be a .srt or .vtt file")
        elif subtitles is not None and (folder / subtitles).stat().st_size > MAX_SUBTITLE_BYTES:
            findings.error(folder / subtitles, prefix + "subtitles",
                           f"larger than {MAX_SUBTITLE_BYTES // 1_000_000} MB")
        poster_at = entry.get("poster_at")
        if poster_at is not None and (isinstance(poster_at, bool) or not isinstance(poster_at, int | float)
                                      or poster_at < 0):
            findings.error(source, prefix + "poster_at", "must be a number of seconds, 0 or more")
            poster_at = None
        if media_id is None or file is None:
            continue
        items.append(MediaItem(
            id=media_id, file=file,
            caption=_text(entry, "caption", source, findings, prefix=prefix),
            credit=_text(entry, "credit", source, findings, prefix=prefix),
            alt=_text(entry, "alt", source, findings, prefix=prefix),
            creator=_text(entry, "creator", source, findings, prefix=prefix),
            copyright=_text(entry, "copyright", source, findings, prefix=prefix),
            subtitles=subtitles,
            poster_at=float(poster_at) if poster_at is not None else None,
        ))
    return tuple(items)


def _inside(value: Any, folder: Path, source: Path, key: str, findings: Findings,
            *, required: bool = False) -> Path | None:
    """Return ``value`` as a path relative to the story folder, or record why it is refused."""
    if value is None:
        if required:
            findings.error(source, key, "required")
        return None
    if not isinstance(value, str) or not value.strip():
        findings.error(source, key, "must be a relative path inside the story folder")
        return None
    if "\\" in value or "\0" in value or any(not c.isprintable() for c in value):
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


def _check_placements(body: str, media: tuple[MediaItem, ...], source: Path, findings: Findings) -> None:
    ids = {m.id for m in media}
    for match in PLACEMENT.finditer(body):
        if match.group(1).strip() not in ids:
            findings.error(source, f"![[{match.group(1)}]]", "placement names no media item")


def apply_embedded_metadata(story: Story, findings: Findings, photo_ids: set[str]) -> Story:
    """Fill a photo's missing caption, credit, creator, copyright and alt from metadata in the file."""
    items = []
    for item in story.media:
        if item.id in photo_ids and not all((item.caption, item.credit, item.alt, item.creator, item.copyright)):
            meta = read_embedded_metadata(story.folder / item.file)
            item = replace(
                item,
                caption=item.caption or meta.caption,
                credit=item.credit or meta.credit,
                alt=item.alt or meta.alt,
                creator=item.creator or meta.creator,
                copyright=item.copyright or meta.copyright,
            )
        for key in ("caption", "credit") + (("alt",) if item.id in photo_ids else ()):
            if not getattr(item, key):
                findings.warn(story.source, f"media[{item.id}].{key}",
                              "missing (not in story.md nor in the file's metadata)")
        items.append(item)
    return replace(story, media=tuple(items))
