"""The rendition store: entries of files under their keys, verified by digest when read, pruned by use.

Like Git's object store, an entry is checked when it is read: every file's sha256 is recorded when
the entry is stored, and a fetch hashes each file as it copies it (one read; hashing runs at about
1.4 GB/s here). A damaged entry is never published: it is discarded, the build makes the files again,
and says so. An entry's entry.json is touched each time it is used, so ``prune`` can drop the ones
unused for longest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import UsageError
from .files import file_digest, plain, remember_digest
from .model import Rendition

ENTRY_FILE = "entry.json"
# The Cache Directory Tagging Specification's tag: backup tools skip the folder, and prune knows it is ours.
TAG_FILE = "CACHEDIR.TAG"
_TAG = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
        b"# This file is a cache directory tag created by mediapack: its renditions can be made again.\n")
_KEY = re.compile(r"[0-9a-f]{64}")
_LEFTOVER = re.compile(r"\.[0-9a-f]{12}\..+")  # a store's or a discard's temporary folder
_CHUNK = 1 << 20
_LEFTOVER_SECONDS = 24 * 3600  # a staging or damaged folder older than this belongs to no running build


@dataclass(frozen=True)
class CacheEntry:
    """Renditions (paths relative to the media folder) and the focal point found when they were made."""

    renditions: tuple[Rendition, ...]
    poi: tuple[int, int] | None


@dataclass(frozen=True)
class Pruned:
    """What ``prune`` removed and what it left."""

    removed: int
    freed_bytes: int
    kept: int
    kept_bytes: int


class RenditionCache:
    """Stores each media item's rendition files under ``root/<key[:2]>/<key>/``; ``root=None`` disables it."""

    def __init__(self, root: Path | None):
        self.root = root
        self.warnings: list[str] = []  # damaged entries found by this build, for its summary

    def fetch(self, key: str, media_dir: Path, rel_dir: Path) -> CacheEntry | None:
        """Copy a cached entry's files into ``media_dir``, each verified by its digest; None on a miss."""
        if self.root is None:
            return None
        folder = self.root / key[:2] / key
        if not (folder / ENTRY_FILE).is_file():
            return None
        try:
            data = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
            renditions = tuple(_rendition(r, rel_dir) for r in data["renditions"])
            poi = tuple(data["poi"]) if data.get("poi") else None
            digests = {r.path.name: data["digests"][r.path.name] for r in renditions}
        except (OSError, ValueError, KeyError, TypeError):
            self._discard(folder, rel_dir, "its record is unreadable or from an older mediapack")
            return None
        media_dir.mkdir(parents=True, exist_ok=True)
        for rendition in renditions:
            name = rendition.path.name
            try:
                digest = _copy_and_digest(folder / name, media_dir / name)
            except FileNotFoundError:
                for copied in renditions:  # removed by a concurrent discard: make the renditions instead
                    (media_dir / copied.path.name).unlink(missing_ok=True)
                return None
            if digest != digests[name] or (media_dir / name).stat().st_size != rendition.size_bytes:
                for copied in renditions:
                    (media_dir / copied.path.name).unlink(missing_ok=True)
                self._discard(folder, rel_dir, f"{name} does not match its digest")
                return None
            remember_digest(media_dir / name, digest)  # the packages and SHA256SUMS need not read it again
        _touch(folder / ENTRY_FILE)
        return CacheEntry(renditions, poi)  # type: ignore[arg-type]

    def store(self, key: str, media_dir: Path, entry: CacheEntry) -> None:
        """Save the files of ``entry`` from ``media_dir``; concurrent writers of one key are harmless."""
        if self.root is None:
            return
        folder = self.root / key[:2] / key
        if (folder / ENTRY_FILE).is_file():
            return
        folder.parent.mkdir(parents=True, exist_ok=True)
        if not (self.root / TAG_FILE).is_file():
            _write_tag(self.root / TAG_FILE)
        staging = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", dir=folder.parent))
        try:
            digests = {}
            for rendition in entry.renditions:
                name = rendition.path.name
                digests[name] = file_digest(media_dir / name)  # hashed once: SHA256SUMS reuses it
                shutil.copyfile(media_dir / name, staging / name)
            data = {"renditions": [plain(r) for r in entry.renditions], "poi": entry.poi, "digests": digests}
            (staging / ENTRY_FILE).write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
            os.replace(staging, folder)  # atomic; fails harmlessly if another build got there first
        except OSError:
            pass
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def prune(self, older_than: float | None = None, max_bytes: int | None = None) -> Pruned:
        """Remove entries unused for ``older_than`` seconds, then the least recently used past ``max_bytes``.

        Only what a mediapack cache holds is touched: ``<2 hex>/<64 hex>/`` entries and their temporary
        folders. A folder that is not a cache (no tag, no entry) is refused: UsageError.
        """
        if self.root is None or not self.root.is_dir():
            return Pruned(0, 0, 0, 0)
        now = time.time()
        entries, leftovers = [], []
        for shard in sorted(p for p in self.root.iterdir() if p.is_dir() and len(p.name) == 2):
            for folder in sorted(p for p in shard.iterdir() if p.is_dir()):
                if _LEFTOVER.fullmatch(folder.name):  # a store or discard in progress, or one a killed build left
                    leftovers.append(folder)
                elif _KEY.fullmatch(folder.name) and folder.name[:2] == shard.name:
                    record = folder / ENTRY_FILE  # without one: damaged; counted as unused since it changed
                    used = (record if record.is_file() else folder).stat().st_mtime
                    entries.append((used, _size(folder), folder))
        if not entries and not leftovers and not (self.root / TAG_FILE).is_file() and any(self.root.iterdir()):
            raise UsageError(f"{self.root}: not a mediapack cache (no {TAG_FILE}, no entries): nothing removed")
        for folder in leftovers:
            if now - folder.stat().st_mtime > _LEFTOVER_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        entries.sort()  # least recently used first
        removed = freed = 0
        total = sum(size for _, size, _ in entries)
        for used, size, folder in entries:
            too_old = older_than is not None and now - used > older_than
            too_big = max_bytes is not None and total > max_bytes
            if not (too_old or too_big):
                continue
            self._remove(folder)
            removed, freed, total = removed + 1, freed + size, total - size
        return Pruned(removed, freed, len(entries) - removed, total)

    def _discard(self, folder: Path, rel_dir: Path, reason: str) -> None:
        """Move a damaged entry out of the way (atomically, for concurrent readers), delete it, say so."""
        self.warnings.append(f"cache: the entry for {rel_dir.as_posix()} was damaged ({reason}); "
                             "it was discarded and the files made again")
        self._remove(folder)

    def _remove(self, folder: Path) -> None:
        try:
            doomed = Path(tempfile.mkdtemp(prefix=f".{folder.name[:12]}.damaged-", dir=folder.parent))
        except OSError:
            return
        try:
            os.replace(folder, doomed / folder.name)
        except OSError:
            pass  # another build discarded it first
        shutil.rmtree(doomed, ignore_errors=True)


def _copy_and_digest(source: Path, target: Path) -> str:
    """Copy a file, hashing it on the way: one read, where a copy then a hash would read it twice."""
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def _write_tag(path: Path) -> None:
    try:
        path.write_bytes(_TAG)
    except OSError:
        pass  # a read-only cache still serves; the entries alone say it is a cache


def _touch(path: Path) -> None:
    try:
        os.utime(path)  # when it was last used, for prune
    except OSError:
        pass  # a read-only cache still serves


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _rendition(data: dict, rel_dir: Path) -> Rendition:
    values = {f.name: data[f.name] for f in fields(Rendition) if f.name in data}
    values["path"] = rel_dir / Path(data["path"]).name
    return Rendition(**values)
