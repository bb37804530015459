"""SHA256SUMS: safe entry names, writing a folder's checksums, and verifying a folder or a zip against them."""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from ..errors import BIDI_CONTROLS, InputError, is_control, single_line
from ..files import file_digest, write_atomic

CHECKSUMS = "SHA256SUMS"
_SUM_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")
_MAX_SUMS_BYTES = 16 << 20  # a SHA256SUMS larger than this is not one we wrote
# What reading a damaged, truncated, encrypted or exotic zip entry can raise.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def arcname_problem(name: str) -> str | None:
    """Return why ``name`` is unsafe as a package entry or checksum name, or None if it is safe."""
    if not name:
        return "empty name"
    if name.startswith("/"):
        return "absolute path"
    if "\\" in name:
        return "backslash in name"
    if any(
        is_control(c) or c in BIDI_CONTROLS for c in name
    ):
        return "control character in name"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "empty, '.' or '..' path segment"
    return None


def check_arcname(name: str) -> str:
    """Return ``name`` if it is a safe relative entry name; raise InputError otherwise."""
    reason = arcname_problem(name)
    if reason:
        raise InputError(f"{name!r}: cannot go into a package: {reason}")
    return name


def _show(name: str) -> str:
    """Show a name on one line: as-is when safe, quoted with escapes when not."""
    return name if arcname_problem(name) is None else repr(name)


def files_under(root: Path) -> list[str]:
    """Return the posix paths, relative to ``root``, of every file below it, sorted."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        base = Path(folder).relative_to(root)
        found += [(base / f).as_posix() for f in files if (Path(folder) / f).is_file()]
    return sorted(found)



def sha256_of(path: Path) -> str:
    """Return the sha256 hex digest of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def format_sums(digests: Iterable[tuple[str, str]]) -> str:
    """Return ``sha256sum -c`` lines for (name, hex digest) pairs, sorted by name."""
    return "".join(f"{digest}  {check_arcname(name)}\n" for name, digest in sorted(digests))


def sha256sums_text(entries: Iterable[tuple[str, Path]]) -> str:
    """Return ``sha256sum -c`` lines ("<hex>  <name>") for the entries, sorted by name.

    Digests come from files.file_digest: a file the packages already hashed is not read again.
    """
    return format_sums((name, file_digest(path)) for name, path in entries)



def write_checksums(folder: Path) -> Path:
    """Write ``folder/SHA256SUMS`` covering every file below it except itself; return its path."""
    names = [n for n in files_under(folder) if n != CHECKSUMS]
    return write_atomic(folder / CHECKSUMS, sha256sums_text((n, folder / n) for n in names).encode("utf-8"))



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
        elif arcname_problem(match[2]):
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
        if not (folder / "manifest.json").is_file():
            raise InputError(f"{folder}: not an output folder of mediapack (it holds no SHA256SUMS)")
        return ["SHA256SUMS: missing"]
    try:
        listed, problems = _parse_sums(sums.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return ["SHA256SUMS: not UTF-8 text"]

    def digest_of(name: str) -> str:
        try:
            return sha256_of(folder / name)
        except OSError as exc:
            raise _Unreadable(f"cannot read ({exc.strerror})") from exc

    return problems + _compare(listed, files_under(folder), digest_of)


def _verify_zip(path: Path) -> list[str]:
    is_zip = False
    try:
        with path.open("rb") as handle:
            is_zip = handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        if not is_zip:
            raise InputError(f"{path}: neither an output folder nor a package zip") from None
        return [f"{path.name}: damaged: it starts as a zip but cannot be read as one (cut short?)"]
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
