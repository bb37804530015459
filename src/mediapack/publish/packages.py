"""Reproducible zip packages of a built story, each holding its own manifest and SHA256SUMS."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from ..errors import BuildError, InputError, UsageError, single_line
from ..files import as_utc, atomic_writer, file_digest
from ..model import Rendition
from ..settings import PackageProfile
from .checksums import (
    CHECKSUMS,
    arcname_problem,
    check_arcname,
    files_under,
    format_sums,
)
from .manifest import manifest_json, story_url

MANIFEST = "manifest.json"  # every package holds one, whatever its profile
PACKAGES_DIR = "packages"
ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # earliest date a zip entry can hold
ZIP_LATEST = datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC)  # latest one
FILE_MODE = 0o100644  # regular file, rw-r--r--
DEFLATE_LEVEL = 9
CHUNK = 1 << 20
# Already-compressed formats: deflating them again costs time and saves nothing.
_PACKED_PICTURES = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif"}
_PACKED_STREAMS = {".mp4", ".m4a", ".mov", ".webm", ".mkv", ".mp3", ".zip"}
STORED_SUFFIXES = frozenset(_PACKED_PICTURES | _PACKED_STREAMS)
# Python 3.13 renamed ZipInfo._compresslevel; the old name stays as an alias there.
_LEVEL_ATTR = "compress_level" if hasattr(zipfile.ZipInfo, "compress_level") else "_compresslevel"


def glob_match(name: str, pattern: str) -> bool:
    """Tell whether a posix path matches a glob in which ``**`` spans folders and ``*`` does not."""
    if pattern.endswith("/"):
        pattern += "**"
    return _match_parts(tuple(pattern.split("/")), tuple(name.split("/")))


@lru_cache(maxsize=4096)
def _match_parts(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_parts(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match_parts(rest, parts[1:])


def select_entries(
    out_root: Path, originals: Sequence[tuple[Path, str]], profile: PackageProfile
) -> list[tuple[str, Path]]:
    """Return the (arcname, source) pairs a package profile takes (manifest.json always), sorted by arcname."""
    candidates: dict[str, Path] = {}
    for name in files_under(out_root):
        if name != CHECKSUMS and not name.startswith(PACKAGES_DIR + "/"):
            candidates[name] = out_root / name
    for source, arcname in originals:
        if arcname in candidates or arcname == CHECKSUMS:
            raise InputError(f"{source}: its package name {arcname!r} is already taken")
        candidates[arcname] = Path(source)
    chosen = []
    for name in sorted(candidates):
        included = any(glob_match(name, p) for p in profile.include)
        if name == MANIFEST or included and not any(glob_match(name, p) for p in profile.exclude):
            chosen.append((check_arcname(name), candidates[name]))
    return chosen


def _clamp(moment: datetime) -> datetime:
    return min(max(as_utc(moment), ZIP_EPOCH), ZIP_LATEST)


def zip_timestamp(published: datetime | None) -> datetime:
    """Return the UTC time for zip entries: SOURCE_DATE_EPOCH, else published, else 1980."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw:
        if not (raw.isascii() and raw.isdigit()):
            shown = single_line(raw, 40)
            raise UsageError(f"SOURCE_DATE_EPOCH: must be whole seconds since 1970, not {shown!r}")
        seconds = min(int(raw), int(ZIP_LATEST.timestamp()))
        return _clamp(datetime.fromtimestamp(seconds, UTC))
    return _clamp(published if published is not None else ZIP_EPOCH)


def _zip_info(name: str, date_time: tuple[int, ...], size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.create_system = 3  # unix, so external_attr carries the permissions
    info.external_attr = FILE_MODE << 16
    info.file_size = size  # known up front so zipfile picks zip64 only when the size needs it
    if PurePosixPath(name).suffix.lower() in STORED_SUFFIXES:
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.compress_type = zipfile.ZIP_DEFLATED
        setattr(info, _LEVEL_ATTR, DEFLATE_LEVEL)
    return info


def package_manifest(source: Path, names: set[str]) -> bytes | None:
    """Narrow a story's manifest to the renditions a package holds; None if it holds them all."""
    try:
        doc = json.loads(source.read_bytes())
    except ValueError:  # not a manifest we wrote: package it as it is
        return None
    if not isinstance(doc, dict):
        return None
    uri = story_url(doc)
    prefix = uri if uri.startswith(("http://", "https://")) else ""  # hrefs are absolute under --base-url

    def inside(rendition: dict) -> bool:
        href = str(rendition.get("href", ""))
        return unquote(href[len(prefix):] if prefix and href.startswith(prefix) else href) in names

    renditions = [r for r in doc.get("renditions", []) if inside(r)]  # the story's zips: never inside one
    changed = len(renditions) != len(doc.get("renditions", []))
    associations = []
    for association in doc.get("associations", []):
        kept = [r for r in association.get("renditions", []) if inside(r)]
        changed = changed or len(kept) != len(association.get("renditions", []))
        if kept:
            associations.append({**association, "renditions": kept})
    if not changed:
        return None
    for key, value in (("renditions", renditions), ("associations", associations)):
        if value:
            doc[key] = value
        else:
            doc.pop(key, None)
    return manifest_json(doc)


def _write_zip(handle, entries: list[tuple[str, Path | bytes]], sums: bytes, date_time: tuple) -> None:
    members = sorted([*entries, (CHECKSUMS, sums)], key=lambda e: e[0])
    with zipfile.ZipFile(handle, "w") as archive:
        for name, source in members:
            if isinstance(source, bytes):
                archive.writestr(_zip_info(name, date_time, len(source)), source)
                continue
            with source.open("rb") as src:
                info = _zip_info(name, date_time, os.fstat(src.fileno()).st_size)
                with archive.open(info, "w") as out:  # streamed: big videos never sit in memory
                    shutil.copyfileobj(src, out, CHUNK)


def write_packages(
    out_root: Path,
    slug: str,
    profiles: Sequence[PackageProfile],
    originals: Sequence[tuple[Path, str]],
    timestamp: datetime,
) -> tuple[Rendition, ...]:
    """Write one reproducible zip per profile into out_root/packages; return them as renditions."""
    stamp = _clamp(timestamp)
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    folder = out_root / PACKAGES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    digests: dict[Path | bytes, str] = {}  # profiles share files: hash each one once
    planned = []
    for profile in profiles:
        file_name = f"{slug}-{profile.name}.zip"
        if "/" in file_name or arcname_problem(file_name):
            raise InputError(f"{file_name!r}: not a usable package file name (check slug, profile)")
        try:
            entries: list[tuple[str, Path | bytes]] = list(select_entries(out_root, originals, profile))
            own = dict(entries).get(MANIFEST)
            if isinstance(own, Path):
                narrowed = package_manifest(own, {name for name, _ in entries})
                entries = [(n, narrowed if n == MANIFEST and narrowed else src) for n, src in entries]
            for _, source in entries:
                if isinstance(source, bytes):
                    digests[source] = hashlib.sha256(source).hexdigest()
                elif source not in digests:
                    digests[source] = file_digest(source)
        except OSError as exc:
            raise _cannot_write(exc, folder / file_name) from exc
        sums = format_sums((name, digests[src]) for name, src in entries).encode("utf-8")
        planned.append((profile.name, folder / file_name, entries, sums))
    # The zips are written side by side: copying, CRC and hashing release the GIL, and the photo pool is
    # idle by now (twelve 24 MP photos: the stage took 0.11 s one after the other, on one core).
    with ThreadPoolExecutor(min(len(planned), 4) or 1, thread_name_prefix="zip") as pool:
        written = list(pool.map(lambda plan: _write_package(*plan, date_time), planned))
    return tuple(written)


def _cannot_write(exc: OSError, target: Path) -> BuildError:
    return BuildError(f"{exc.filename or target}: cannot write package {target.name}: {exc.strerror or exc}")


def _write_package(name: str, target: Path, entries: list[tuple[str, Path | bytes]], sums: bytes,
                   date_time: tuple) -> Rendition:
    """Write one zip atomically and hash it while its bytes are still cached; return it as a rendition."""
    try:
        with atomic_writer(target) as handle:
            _write_zip(handle, entries, sums, date_time)
        file_digest(target)  # remembered: SHA256SUMS does not read the zip again
    except OSError as exc:
        raise _cannot_write(exc, target) from exc
    return Rendition(name, Path(PACKAGES_DIR, target.name), "application/zip", target.stat().st_size,
                     role="package")
