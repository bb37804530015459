"""Reproducible zip packages of a built story, SHA256SUMS files, and verification of both."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from functools import lru_cache, partial
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from .config import PackageProfile
from .errors import BuildError, InputError, UsageError, single_line
from .manifest import manifest_json
from .model import Rendition

CHECKSUMS = "SHA256SUMS"
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
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_SUM_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")
_MAX_SUMS_BYTES = 16 << 20  # a SHA256SUMS larger than this is not one we wrote
# What reading a damaged, truncated, encrypted or exotic zip entry can raise.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


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


def _arcname_problem(name: str) -> str | None:
    """Return why ``name`` is unsafe as a package entry or checksum name, or None if it is safe."""
    if not name:
        return "empty name"
    if name.startswith("/"):
        return "absolute path"
    if "\\" in name:
        return "backslash in name"
    if any(
        unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or c in _BIDI_CONTROLS for c in name
    ):
        return "control character in name"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "empty, '.' or '..' path segment"
    return None


def check_arcname(name: str) -> str:
    """Return ``name`` if it is a safe relative entry name; raise InputError otherwise."""
    reason = _arcname_problem(name)
    if reason:
        raise InputError(f"{name!r}: cannot go into a package: {reason}")
    return name


def _show(name: str) -> str:
    """Show a name on one line: as-is when safe, quoted with escapes when not."""
    return name if _arcname_problem(name) is None else repr(name)


def _files_under(root: Path) -> list[str]:
    """Return the posix paths, relative to ``root``, of every file below it, sorted."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        base = Path(folder).relative_to(root)
        found += [(base / f).as_posix() for f in files if (Path(folder) / f).is_file()]
    return sorted(found)


def select_entries(
    out_root: Path, originals: Sequence[tuple[Path, str]], profile: PackageProfile
) -> list[tuple[str, Path]]:
    """Return the (arcname, source) pairs a package profile takes (manifest.json always), sorted by arcname."""
    candidates: dict[str, Path] = {}
    for name in _files_under(out_root):
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


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _format_sums(digests: Iterable[tuple[str, str]]) -> str:
    return "".join(f"{digest}  {check_arcname(name)}\n" for name, digest in sorted(digests))


def sha256sums_text(entries: Iterable[tuple[str, Path]]) -> str:
    """Return ``sha256sum -c`` lines ("<hex>  <name>") for the entries, sorted by name."""
    return _format_sums((name, _sha256(path)) for name, path in entries)


def _write_atomically(target: Path, write) -> None:
    """Call ``write(binary_file)`` on a temp file beside ``target``, then move it into place."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_checksums(folder: Path) -> Path:
    """Write ``folder/SHA256SUMS`` covering every file below it except itself; return its path."""
    names = [n for n in _files_under(folder) if n != CHECKSUMS]
    text = sha256sums_text((n, folder / n) for n in names)
    target = folder / CHECKSUMS
    _write_atomically(target, lambda handle: handle.write(text.encode("utf-8")))
    return target


def _clamp(moment: datetime) -> datetime:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return min(max(moment.astimezone(UTC), ZIP_EPOCH), ZIP_LATEST)


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
    uri = str(doc.get("uri", ""))
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
    made = []
    for profile in profiles:
        file_name = f"{slug}-{profile.name}.zip"
        if "/" in file_name or _arcname_problem(file_name):
            raise InputError(f"{file_name!r}: not a usable package file name (check slug, profile)")
        target = folder / file_name
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
                    digests[source] = _sha256(source)
            sums = _format_sums((name, digests[src]) for name, src in entries).encode("utf-8")
            _write_atomically(
                target, partial(_write_zip, entries=entries, sums=sums, date_time=date_time)
            )
        except OSError as exc:
            where = exc.filename or target
            raise BuildError(
                f"{where}: cannot write package {file_name}: {exc.strerror or exc}"
            ) from exc
        href, size = Path(PACKAGES_DIR, file_name), target.stat().st_size
        made.append(Rendition(profile.name, href, "application/zip", size, role="package"))
    return tuple(made)


def _parse_sums(text: str) -> tuple[dict[str, str], list[str]]:
    """Read SHA256SUMS text into {name: hex digest}, with one problem per bad line."""
    listed: dict[str, str] = {}
    problems = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        match = _SUM_LINE.fullmatch(line)
        if not match:
            problems.append(f"SHA256SUMS line {number}: not in '<sha256>  <name>' form")
        elif _arcname_problem(match[2]):
            problems.append(f"SHA256SUMS line {number}: unsafe name {match[2]!r}")
        elif match[2] in listed:
            problems.append(f"{match[2]}: listed twice in SHA256SUMS")
        else:
            listed[match[2]] = match[1].lower()
    return listed, problems


class _Unreadable(Exception):
    """An entry that cannot be read; its message is the reason."""


def _compare(listed: dict[str, str], present: Iterable[str], digest_of) -> list[str]:
    """Check each listed name against ``digest_of(name)``, which may raise _Unreadable."""
    present = set(present) - {CHECKSUMS}
    problems = []
    for name, expected in listed.items():
        if name not in present:
            problems.append(f"{name}: missing")
            continue
        try:
            if digest_of(name) != expected:
                problems.append(f"{name}: checksum mismatch")
        except _Unreadable as exc:
            problems.append(f"{name}: {exc}")
    problems += [f"{_show(n)}: not listed in SHA256SUMS" for n in sorted(present - listed.keys())]
    return problems


def _verify_folder(folder: Path) -> list[str]:
    sums = folder / CHECKSUMS
    if not sums.is_file():
        return ["SHA256SUMS: missing"]
    try:
        listed, problems = _parse_sums(sums.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return ["SHA256SUMS: not UTF-8 text"]

    def digest_of(name: str) -> str:
        try:
            return _sha256(folder / name)
        except OSError as exc:
            raise _Unreadable(f"cannot read ({exc.strerror})") from exc

    return problems + _compare(listed, _files_under(folder), digest_of)


def _verify_zip(path: Path) -> list[str]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return [f"{path.name}: not a zip file"]
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        names = [i.filename for i in infos]
        problems = [
            f"{_show(n)}: more than one entry with this name"
            for n in sorted({n for n in names if names.count(n) > 1})
        ]
        sums_info = next((i for i in infos if i.filename == CHECKSUMS), None)
        if sums_info is None:
            return [*problems, "SHA256SUMS: missing"]
        if sums_info.file_size > _MAX_SUMS_BYTES:
            return [*problems, "SHA256SUMS: too large to be a checksum list"]
        try:
            listed, bad_lines = _parse_sums(archive.read(sums_info).decode("utf-8"))
        except UnicodeDecodeError:
            return [*problems, "SHA256SUMS: not UTF-8 text"]
        except _READ_ERRORS as exc:
            return [*problems, f"SHA256SUMS: damaged ({single_line(str(exc))})"]

        def digest_of(name: str) -> str:
            try:
                with archive.open(name) as entry:
                    return hashlib.file_digest(entry, "sha256").hexdigest()
            except _READ_ERRORS as exc:
                raise _Unreadable(f"damaged ({single_line(str(exc))})") from exc

        return problems + bad_lines + _compare(listed, names, digest_of)


def verify(path: Path) -> list[str]:
    """Check an output folder or a package zip against its SHA256SUMS; return one line a problem."""
    if path.is_dir():
        return _verify_folder(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder to verify")
    return _verify_zip(path)
