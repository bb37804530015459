"""Read a story folder: front matter, body placements and media list, with every problem collected."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import Findings, single_line
from ..model import MediaItem, Story
from ..photo.metadata import read_embedded_metadata
from .compose_request import parse_compose
from .fields import ID_PATTERN, byline_field, date_field, media_list, text_field

STORY_FILE = "story.md"
PLACEMENT = re.compile(r"^\s*!\[\[([^\]\n]*)\]\]\s*$", re.MULTILINE)
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
KNOWN_KEYS = {"headline", "slug", "standfirst", "byline", "section", "published", "updated",
              "language", "copyright", "media", "compose"}
MAX_STORY_BYTES = 2_000_000


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
    headline = text_field(front, "headline", source, findings, required=True) or ""
    slug = text_field(front, "slug", source, findings)
    if slug is not None and not ID_PATTERN.match(slug):
        findings.error(source, "slug", "must hold only a-z, 0-9 and '-' (at most 64 characters)")
    media = media_list(front.get("media"), folder, source, findings)
    _check_placements(body, media, source, findings)
    language = text_field(front, "language", source, findings) or "en"
    if not LANGUAGE.match(language):
        findings.error(source, "language", f"not a language tag like 'en' or 'pt-BR': {language!r}")
    return Story(
        folder=folder,
        source=source,
        headline=headline,
        slug=slug or slugify(headline),
        body=body,
        standfirst=text_field(front, "standfirst", source, findings),
        byline=byline_field(front.get("byline"), source, findings),
        section=text_field(front, "section", source, findings),
        published=date_field(front, "published", source, findings),
        updated=date_field(front, "updated", source, findings),
        language=language,
        copyright=text_field(front, "copyright", source, findings),
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
