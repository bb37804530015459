"""What every wing writes and reads with: atomic writes, JSON text safe to embed, UTC stamps, file digests."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, BinaryIO

from .errors import BuildError

FILE_MODE = 0o644  # every output is a published file; mkstemp's 0600 would make it private
_DEL_AND_C1 = re.compile(r"[\x7f-\x9f]")


@contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Yield a temporary file beside ``path``; it replaces ``path`` only if the block completes."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so no reader ever sees half a file; an OSError becomes a BuildError."""
    try:
        with atomic_writer(path) as handle:
            handle.write(data)
    except OSError as exc:
        raise BuildError(f"{path}: cannot write it: {exc.strerror or exc}") from exc
    return path


def json_text(obj: object, **options: object) -> str:
    """Serialise to JSON with DEL and C1 controls escaped too (json leaves them; U+009B is a terminal's CSI)."""
    return _DEL_AND_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, **options))


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; a naive one is taken to be UTC already. May raise OverflowError."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)


def offset_zone(moment: datetime) -> tzinfo | None:
    """Return the fixed zone a moment was written in ("+03:30"), or None for UTC or no zone at all."""
    offset = moment.utcoffset() if moment.tzinfo is not None else None
    return timezone(offset) if offset else None


def utc_stamp(moment: datetime) -> str:
    """Format a datetime as UTC with a "Z", e.g. "2026-06-20T09:30:00Z"."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_digest(path: Path) -> str:
    """Return the sha256 hex digest of a file's bytes, read in chunks (once per file version per run).

    A build keys a photo, then the slideshow that uses it, then hashes every output for the zips and
    SHA256SUMS: the same files. Size, mtime and inode tell a changed file from the one already hashed.
    """
    key = _version_of(path)
    if (known := _DIGESTS.get(key)) is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    remember_digest(path, digest.hexdigest(), key)
    return digest.hexdigest()


def remember_digest(path: Path, digest: str, key: tuple | None = None) -> None:
    """Note the digest of a file just written or verified, so file_digest need not read it again."""
    if len(_DIGESTS) > 16384:  # one run's files, many times over
        _DIGESTS.clear()
    _DIGESTS[key or _version_of(path)] = digest


def _version_of(path: Path) -> tuple:
    stat = path.stat()
    return os.path.realpath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino


_DIGESTS: dict[tuple, str] = {}


def plain(value: Any) -> Any:
    """Turn dataclasses, tuples and paths into JSON-ready values."""
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return value.as_posix()
    return value
