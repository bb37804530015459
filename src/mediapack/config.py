"""mediapack.toml files found and loaded into Settings, with every problem reported at once."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, Findings, shown
from .messages import MESSAGES, label_problem
from .rules import bits_per_second, did_you_mean, rule_of
from .settings import (
    LIMITS,
    PHOTO_FORMATS,
    RESERVED_PHOTO_NAMES,
    RESERVED_VIDEO_NAMES,
    PackageProfile,
    PhotoSize,
    Settings,
    SigningSettings,
    VideoRung,
    is_pem_text,
)

CONFIG_NAME = "mediapack.toml"
_RUNG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_CONFIG_BYTES = 1_000_000
# Zero would refuse every file or time every run out (timeout_per_second may be 0: a fixed timeout).
_POSITIVE = {"max_pixels", "max_bytes", "max_duration", "timeout"}
_SIGNED = {"loudness_target"}  # the one setting that may be negative


def find_config_files(story_folder: Path) -> list[Path]:
    """Return every mediapack.toml from the filesystem root down to the story folder."""
    found = []
    for folder in [story_folder.resolve(), *story_folder.resolve().parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            found.append(candidate)
    return list(reversed(found))


def load_settings(story_folder: Path | None = None, config: Path | None = None, *, is_story: bool = True
                  ) -> Settings:
    """Load settings from ``--config`` or the story's folder and its parents, reporting all problems.

    The story folder's own mediapack.toml comes with the (untrusted) story: it may not set ffmpeg.path nor
    [signing], nor raise a limit. ``is_story=False`` reads a folder that holds no story, such as the one
    ``doctor`` runs in.
    """
    paths = [config] if config is not None else (find_config_files(story_folder) if story_folder else [])
    settings = Settings()
    findings = Findings()
    own = story_folder.resolve() / CONFIG_NAME if story_folder is not None and config is None and is_story else None
    for path in paths:
        if path == own and not path.resolve().is_relative_to(path.parent):
            findings.error(path, None, "links outside the story folder")
            continue
        try:
            if path.stat().st_size > MAX_CONFIG_BYTES:
                findings.error(path, None, f"larger than {MAX_CONFIG_BYTES // 1_000_000} MB")
                continue
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # Windows editors start with a BOM
        except FileNotFoundError:
            findings.error(path, None, "config file not found")
            continue
        except (OSError, UnicodeDecodeError) as exc:
            findings.error(path, None, f"cannot read: {exc}")
            continue
        except tomllib.TOMLDecodeError as exc:
            findings.error(path, None, f"not valid TOML: {exc}")
            continue
        before, settings = settings, _apply(settings, data, path, findings)
        if path == own:
            _check_story_config(before, settings, data, path, findings)
    if findings.errors:
        raise ConfigError(f"{len(findings.errors)} problem(s) in configuration", findings.errors)
    return replace(settings, sources=tuple(paths))


def _apply(settings: Settings, data: dict[str, Any], path: Path, findings: Findings) -> Settings:
    known = {"photos", "video", "ffmpeg", "rights", "publisher", "manifest", "page", "packages", "strict",
             "compose", "signing"}
    for key in sorted(set(data) - known):
        findings.error(path, key, f"unknown setting{did_you_mean(key, known)} (known: {', '.join(sorted(known))})")
    photos, video, ffmpeg = settings.photos, settings.video, settings.ffmpeg
    packages = settings.packages
    if "photos" in data and _is_table(data["photos"], "photos", path, findings):
        section = dict(data["photos"])
        sizes = section.pop("sizes", None)
        photos = _merge_scalars(photos, section, "photos", path, findings)
        if sizes is not None:
            photos = replace(photos, sizes=_parse_sizes(sizes, path, findings) or photos.sizes)
    if "video" in data and _is_table(data["video"], "video", path, findings):
        section = dict(data["video"])
        ladder = section.pop("ladder", None)
        video = _merge_scalars(video, section, "video", path, findings)
        if ladder is not None:
            video = replace(video, ladder=_parse_ladder(ladder, path, findings) or video.ladder)
    if "ffmpeg" in data and _is_table(data["ffmpeg"], "ffmpeg", path, findings):
        ffmpeg = _merge_scalars(ffmpeg, data["ffmpeg"], "ffmpeg", path, findings)
    rights = settings.rights
    if "rights" in data and _is_table(data["rights"], "rights", path, findings):
        rights = _merge_scalars(rights, data["rights"], "rights", path, findings)
    publisher, manifest = settings.publisher, settings.manifest
    if "publisher" in data and _is_table(data["publisher"], "publisher", path, findings):
        publisher = _merge_scalars(publisher, data["publisher"], "publisher", path, findings)
        publisher = replace(publisher, name=publisher.name.strip())
        if not publisher.name and (publisher.url or publisher.logo):
            findings.error(path, "publisher.name", "required: a publisher with a url or logo needs its name")
    if "manifest" in data and _is_table(data["manifest"], "manifest", path, findings):
        manifest = _merge_scalars(manifest, data["manifest"], "manifest", path, findings)
    page = settings.page
    if "page" in data and _is_table(data["page"], "page", path, findings):
        section = dict(data["page"])
        labels = section.pop("labels", None)
        page = _merge_scalars(page, section, "page", path, findings)
        if labels is not None and _is_table(labels, "page.labels", path, findings):
            page = replace(page, labels=_parse_labels(dict(page.labels), labels, path, findings))
    signing = settings.signing
    if "signing" in data and _is_table(data["signing"], "signing", path, findings):
        signing = _parse_signing(signing, data["signing"], path, findings)
    originals = settings.originals
    if "packages" in data and _is_table(data["packages"], "packages", path, findings):
        tables = dict(data["packages"])
        if "originals" in tables:
            originals = _merge_scalars(settings, {"originals": tables.pop("originals")}, "packages", path,
                                       findings).originals
        packages = _parse_packages(tables, packages, path, findings)
    strict = settings.strict
    if "strict" in data:
        if isinstance(data["strict"], bool):
            strict = data["strict"]
        else:
            findings.error(path, "strict", "must be true or false")
    compose = settings.compose
    if "compose" in data and _is_table(data["compose"], "compose", path, findings):
        compose = (path, dict(data["compose"]))
    return replace(settings, photos=photos, video=video, ffmpeg=ffmpeg, rights=rights, publisher=publisher,
                   manifest=manifest, page=page, signing=signing, packages=packages, originals=originals,
                   strict=strict, compose=compose)


def _check_story_config(before: Settings, after: Settings, data: dict[str, Any], path: Path,
                        findings: Findings) -> None:
    """Refuse what the story's own mediapack.toml may not do: choose the program run, or raise a limit."""
    if isinstance(data.get("ffmpeg"), dict) and "path" in data["ffmpeg"]:
        findings.error(path, "ffmpeg.path", "cannot be set in the story folder's own mediapack.toml "
                                "(it would run a program the story chose); set it in a parent folder's "
                                "mediapack.toml, with --config or with MEDIAPACK_FFMPEG")
    if isinstance(data.get("signing"), dict):
        for key in sorted(data["signing"]):
            findings.error(path, f"signing.{key}", "cannot be set in the story folder's own mediapack.toml (the "
                                    "story would choose who signs it, or whom verify trusts); set it in a parent "
                                    "folder's mediapack.toml, with --config or with MEDIAPACK_C2PA_CERT and "
                                    "MEDIAPACK_C2PA_KEY")
    for key in LIMITS:
        section, _, name = key.partition(".")
        old, new = getattr(getattr(before, section), name), getattr(getattr(after, section), name)
        if new > old:
            limit = f"{old:g}" if isinstance(old, float) else str(old)
            findings.error(path, key, f"cannot be raised above {limit} in the story folder's own "
                                    "mediapack.toml; raise it in a parent folder's mediapack.toml or with --config")


def _parse_signing(signing: SigningSettings, table: dict[str, Any], path: Path, findings: Findings
                   ) -> SigningSettings:
    """Merge ``[signing]``; its file paths are relative to the mediapack.toml that names them, PEM text is kept."""
    merged = _merge_scalars(signing, table, "signing", path, findings)
    files = {name: str(path.parent / Path(value).expanduser()) for name in ("cert", "key", "trust_anchors")
             if (value := table.get(name)) and value == getattr(merged, name) and not is_pem_text(value)}
    return replace(merged, **files)


def _is_table(value: Any, key: str, path: Path, findings: Findings) -> bool:
    if isinstance(value, dict):
        return True
    findings.error(path, key, "must be a table")
    return False


def _merge_scalars(obj: Any, section: dict[str, Any], prefix: str, path: Path, findings: Findings) -> Any:
    """Replace the scalar fields of ``obj`` named in ``section``, type-checking each one."""
    specs = {f.name: f for f in fields(obj)}
    types = {name: type(getattr(obj, name)) for name in specs}
    changes = {}
    for key, value in section.items():
        where = f"{prefix}.{key}"
        expected = types.get(key)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        rule = rule_of(specs[key]) if key in specs else None
        if expected is None or expected is tuple:
            scalars = [name for name, kind in types.items() if kind is not tuple]
            findings.error(path, where, f"unknown setting{did_you_mean(key, scalars)}")
        elif not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            findings.error(path, where, f"must be {_type_name(expected)}, not {shown(value)}")
        elif expected is float and not math.isfinite(value):  # nan or inf would switch a timeout or limit off
            findings.error(path, where, f"must be a finite number, not {value!r}")
        elif expected in (int, float) and value < 0 and key not in _SIGNED:
            findings.error(path, where, "must not be negative")
        elif expected in (int, float) and value <= 0 and key in _POSITIVE:
            findings.error(path, where, "must be more than 0")
        elif rule is not None and (problem := rule(value)) is not None:
            findings.error(path, where, problem)
        else:
            changes[key] = value
    return replace(obj, **changes)


def _type_name(kind: type) -> str:
    return {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}.get(kind, kind.__name__)


def _parse_sizes(value: Any, path: Path, findings: Findings) -> tuple[PhotoSize, ...]:
    """Parse ``[photos.sizes]``: ``name = edge`` or ``name = {long_edge = N, formats = [...]}``."""
    if not _is_table(value, "photos.sizes", path, findings):
        return ()
    if not value:
        findings.error(path, "photos.sizes", "must name at least one size (it replaces the default list)")
    sizes = []
    for name, spec in value.items():
        where = f"photos.sizes.{name}"
        if (name in RESERVED_PHOTO_NAMES or name.startswith("crop-")
                or name.endswith(tuple(f"-{f}" for f in PHOTO_FORMATS))):
            findings.error(path, where, f"{name!r} names another rendition; choose another name")
            continue
        if isinstance(spec, int) and not isinstance(spec, bool):
            spec = {"long_edge": spec}
        if not isinstance(spec, dict):
            findings.error(path, where, "must be a number of pixels or a table")
            continue
        edge, formats = spec.get("long_edge"), spec.get("formats", ["jpg"])
        for extra in sorted(set(spec) - {"long_edge", "formats"}):
            findings.error(path, f"{where}.{extra}", "unknown setting")
        if not isinstance(edge, int) or isinstance(edge, bool) or not 16 <= edge <= 16384:
            findings.error(path, f"{where}.long_edge", "must be a whole number from 16 to 16384")
            continue
        if not isinstance(formats, list) or not formats or any(f not in PHOTO_FORMATS for f in formats):
            wrong = next((f for f in formats if f not in PHOTO_FORMATS), "") if isinstance(formats, list) else ""
            findings.error(path, f"{where}.formats", 'must be a list drawn from "jpg", "webp", "avif"'
                           + did_you_mean(str(wrong), PHOTO_FORMATS))
            continue
        sizes.append(PhotoSize(_safe_name(name, where, path, findings), edge, tuple(formats)))
    return tuple(sizes)


def _parse_ladder(value: Any, path: Path, findings: Findings) -> tuple[VideoRung, ...]:
    """Parse ``[video.ladder]``: ``name = {height = N, maxrate = "3M", bufsize = "6M"}``."""
    if not _is_table(value, "video.ladder", path, findings):
        return ()
    if not value:
        findings.error(path, "video.ladder", "must name at least one rung (it replaces the default ladder)")
    rungs: list[VideoRung] = []
    for name, spec in value.items():
        where = f"video.ladder.{name}"
        if name in RESERVED_VIDEO_NAMES or name.startswith(("social-", "crop-")):
            findings.error(path, where, f"{name!r} names another rendition (the poster, sprite, captions...); "
                           "choose another name, such as 720p")
            continue
        if not _RUNG_NAME.fullmatch(name):  # it names files: <name>.mp4, and in HLS <name>-%05d.m4s
            findings.error(path, where, "a rung's name may hold only letters, digits, '-', '_' and '.' "
                           "(not first), such as 720p")
            continue
        if not isinstance(spec, dict):
            findings.error(path, where, "must be a table with height, maxrate and bufsize")
            continue
        height = spec.get("height")
        maxrate, bufsize = spec.get("maxrate", "0"), spec.get("bufsize", "0")
        for extra in sorted(set(spec) - {"height", "maxrate", "bufsize"}):
            findings.error(path, f"{where}.{extra}", "unknown setting")
        if not isinstance(height, int) or isinstance(height, bool) or not 16 <= height <= 4320:
            findings.error(path, f"{where}.height", "must be a whole number from 16 to 4320")
            continue
        if bits_per_second(maxrate) is None or bits_per_second(bufsize) is None:
            findings.error(path, where, 'maxrate and bufsize must look like "3M" or "800k"')
            continue
        if twin := next((r.name for r in rungs if r.height == height), None):
            findings.error(path, f"{where}.height", f"is {height}, as video.ladder.{twin}'s: each rung needs "
                           "a height of its own")
            continue
        rungs.append(VideoRung(_safe_name(name, where, path, findings), height, maxrate, bufsize))
    return tuple(sorted(rungs, key=lambda r: -r.height))


def _parse_packages(value: dict, defaults: tuple[PackageProfile, ...], path: Path, findings: Findings):
    """Parse ``[packages.NAME]`` tables with ``include`` / ``exclude`` glob lists."""
    profiles = {p.name: p for p in defaults}
    for name, spec in value.items():
        where = f"packages.{name}"
        if spec is False:
            profiles.pop(name, None)
            continue
        if not isinstance(spec, dict):
            findings.error(path, where, "must be a table with include (and exclude) lists, or false")
            continue
        for extra in sorted(set(spec) - {"include", "exclude"}):
            findings.error(path, f"{where}.{extra}", "unknown setting")
        lists = {}
        for key in ("include", "exclude"):
            items = spec.get(key, list(getattr(profiles.get(name), key, ())))
            if not isinstance(items, list) or any(not isinstance(i, str) or not i for i in items):
                findings.error(path, f"{where}.{key}", "must be a list of glob patterns")
                items = []
            for pattern in items:
                if pattern.startswith("/") or "\\" in pattern or ".." in pattern.split("/"):
                    findings.error(path, f"{where}.{key}", f"{pattern!r} can never match: patterns name files "
                                   "inside the story's output with '/', like 'media/**' or 'index.html'")
            lists[key] = tuple(items)
        if not lists["include"]:
            findings.error(path, f"{where}.include", "must name at least one pattern")
            continue
        profiles[_safe_name(name, where, path, findings)] = PackageProfile(name, lists["include"], lists["exclude"])
    return tuple(profiles.values())


def _parse_labels(labels: dict[str, str], table: dict[str, Any], path: Path, findings: Findings
                  ) -> tuple[tuple[str, str], ...]:
    """Parse ``[page.labels]``: ``key = "text"`` for any key of messages.MESSAGES, same placeholders."""
    for key, text in table.items():
        where = f"page.labels.{key}"
        if key not in MESSAGES:
            findings.error(path, where, f"unknown label{did_you_mean(key, MESSAGES)} (known: {', '.join(MESSAGES)})")
        elif (problem := label_problem(key, text)) is not None:
            findings.error(path, where, problem)
        else:
            labels[key] = text
    return tuple(sorted(labels.items()))


def _safe_name(name: str, where: str, path: Path, findings: Findings) -> str:
    if not name or not all(c.isascii() and (c.isalnum() or c == "-") for c in name):
        findings.error(path, where, "names may hold only letters, digits and '-'")
    return name
