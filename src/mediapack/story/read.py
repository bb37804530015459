"""Read a story folder: front matter, body placements and media list, with every problem collected."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import yaml
from slugify import slugify as transliterated_slug

from ..errors import Findings, single_line
from ..files import offset_zone, utc_stamp
from ..model import Story
from ..photo.metadata import read_embedded_metadata
from ..rules import did_you_mean, one_of
from .compose_request import parse_compose
from .fields import (
    ID_PATTERN,
    byline_field,
    date_field,
    declared_ids,
    media_list,
    subjects_field,
    text_field,
    uri_field,
    url_field,
)

STORY_FILE = "story.md"
PLACEMENT = re.compile(r"^\s*!\[\[([^\]\n]*)\]\]\s*$", re.MULTILINE)
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
KNOWN_KEYS = {"headline", "slug", "standfirst", "byline", "section", "published", "updated",
              "language", "dir", "copyright", "license", "acquire_license_page", "media", "compose", "uri",
              "subjects"}
_DIRECTIONS = one_of("rtl", "ltr")  # the front matter's dir: the page's, whatever the language says
MAX_STORY_BYTES = 2_000_000
ZIP_YEARS = (1980, 2107)  # what a zip entry's date can hold


def slugify(text: str) -> str:
    """Derive a URL- and file-safe slug ([a-z0-9-], at most 64 characters) from text in any script.

    Persian, Arabic, Chinese or Cyrillic are transliterated ("Паром вернулся" -> "parom-vernulsia");
    an empty result (a headline of emoji) is "".
    """
    return transliterated_slug(text, max_length=64, word_boundary=True, save_order=True)


def story_slug(headline: str, folder: Path) -> str:
    """Return the slug for a story without one: from its headline, else its folder name, else a digest."""
    return (slugify(headline) or slugify(folder.name)
            or "story-" + hashlib.sha256(headline.encode("utf-8")).hexdigest()[:10])


def read_story(folder: Path, findings: Findings) -> Story | None:
    """Parse ``folder/story.md``; record every problem in ``findings``; return None if unusable."""
    folder = folder.resolve()
    source = folder / STORY_FILE
    if folder.is_file():
        findings.error(folder, None, "is a file, not a story folder (a story folder holds story.md)")
        return None
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
        findings.warn(source, key, f"unknown front matter key (ignored){did_you_mean(key, KNOWN_KEYS)}")
    headline = text_field(front, "headline", source, findings, required=True) or ""
    slug = text_field(front, "slug", source, findings)
    if slug is not None and not ID_PATTERN.match(slug):
        findings.error(source, "slug", "must hold only a-z, 0-9 and '-' (at most 64 characters)")
    media = media_list(front.get("media"), folder, source, findings)
    _check_placements(body, declared_ids(front.get("media")), source, findings)
    language = text_field(front, "language", source, findings) or "en"
    if not LANGUAGE.match(language):
        findings.error(source, "language", f"not a language tag like 'en' or 'pt-BR': {language!r}")
    byline, byline_urls = byline_field(front.get("byline"), source, findings)
    direction = text_field(front, "dir", source, findings)
    if direction is not None and (problem := _DIRECTIONS(direction)):
        findings.error(source, "dir", problem)
    published = _published(front, source, findings)
    updated = date_field(front, "updated", source, findings)
    if published is not None and updated is not None and updated < published:
        findings.error(source, "updated", f"{utc_stamp(updated)} is before published ({utc_stamp(published)}): "
                       "a story is updated after it is published")
    return Story(
        folder=folder,
        source=source,
        headline=headline,
        slug=slug or story_slug(headline, folder),
        body=body,
        standfirst=text_field(front, "standfirst", source, findings),
        byline=byline,
        byline_urls=byline_urls,
        section=text_field(front, "section", source, findings),
        published=published,
        updated=updated,
        language=language,
        direction=direction if direction in ("rtl", "ltr") else None,
        zone=_written_zone(front.get("published")) if published is not None else None,
        copyright=text_field(front, "copyright", source, findings),
        license=url_field(front, "license", source, findings),
        acquire_license_page=url_field(front, "acquire_license_page", source, findings),
        media=media,
        compose=parse_compose(front.get("compose"), source, findings, folder=folder),
        uri=uri_field(front, "uri", source, findings),
        subjects=subjects_field(front.get("subjects"), source, findings),
    )


def _written_zone(value: Any) -> tzinfo | None:
    """Return the offset a date was written with, so the page shows it in the story's own time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return offset_zone(value) if isinstance(value, datetime) else None


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
    loader = None
    try:
        loader = _FrontMatterLoader("".join(lines[1:end]))  # its reader refuses control characters at once
        node = loader.get_single_node()
        duplicates = _duplicate_keys(node) if node is not None else []
        front = (loader.construct_document(node) if node is not None else None) or {}
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
    finally:
        if loader is not None:
            loader.dispose()
    for key, first, again in duplicates:
        findings.error(source, key, f"given twice (lines {first + 2} and {again + 2}); keep one of them")
    if not isinstance(front, dict):
        findings.error(source, None, "front matter must be a mapping of keys to values")
        return None, ""
    return {str(k): v for k, v in front.items()}, "".join(lines[end + 1:])


def _check_placements(body: str, ids: set[str], source: Path, findings: Findings) -> None:
    placed = Counter(match.group(1).strip() for match in PLACEMENT.finditer(body))
    for media_id, count in placed.items():
        if media_id not in ids:
            findings.error(source, f"![[{media_id}]]", "placement names no media item")
        elif count > 1:
            findings.error(source, f"![[{media_id}]]", f"places the item {count} times; place it once")


def _published(front: dict, source: Path, findings: Findings):
    """Read ``published``; warn when it is missing (zips are then undated) or has no time zone."""
    if front.get("published") is None:
        dated = ("dated from SOURCE_DATE_EPOCH" if os.environ.get("SOURCE_DATE_EPOCH", "").strip()
                 else "dated 1980-01-01 (set published, or SOURCE_DATE_EPOCH)")
        findings.warn(source, "published", f"missing: the zips' entries are {dated}")
        return None
    published = date_field(front, "published", source, findings)
    if published is not None and not ZIP_YEARS[0] <= published.year <= ZIP_YEARS[1]:
        findings.warn(source, "published", f"is in {published.year}: zips hold dates from {ZIP_YEARS[0]} to "
                      f"{ZIP_YEARS[1]} only, so their entries are dated {ZIP_YEARS[0] if published.year < 1980 else ZIP_YEARS[1]}")
    return published


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's safe loader; an impossible date (2026-13-01) stays text, so its key is named."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)  # date_field then says what is wrong, naming the key


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_yaml_timestamp)


def _duplicate_keys(node, where: str = "", seen: set[int] | None = None) -> list[tuple[str, int, int]]:
    """Return (key path, first line, repeated line) of every key a mapping gives twice (PyYAML keeps the last).

    Each node is visited once, so an alias bomb costs no more than its text.
    """
    seen = set() if seen is None else seen
    if id(node) in seen:
        return []
    seen.add(id(node))
    found = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = single_line(str(key_node.value), 60)
            path = f"{where}.{key}" if where else key
            if key in first:
                found.append((path, first[key], key_node.start_mark.line))
            else:
                first[key] = key_node.start_mark.line
            found += _duplicate_keys(value_node, path, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            found += _duplicate_keys(child, f"{where}[{_item_name(child) or index}]", seen)
    return found


def _item_name(node) -> str | None:
    """The id of a media item's mapping, to name it as the other problems do: media[ferry-video]."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == "id" and isinstance(value_node, yaml.ScalarNode):
                return single_line(str(value_node.value), 60)
    return None


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
