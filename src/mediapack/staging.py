"""Atomic output: a per-story lock, a staging folder swapped into place, and clean-up after a killed build."""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildError

LOCK_TIMEOUT = 1800.0  # seconds a build waits for another build of the same story


@contextmanager
def story_lock(out_dir: Path, slug: str, timeout: float, note: Callable[[str], None],
               check: Callable[[], None]) -> Iterator[Path]:
    """Hold ``OUT/.<slug>.lock`` so two builds never write one story at once; wait up to ``timeout`` s."""
    path = out_dir / f".{slug}.lock"
    deadline, told = time.monotonic() + timeout, False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise BuildError(f"{path}: another build of {slug} is still running after {timeout:g} s; "
                                 "wait for it to finish or raise --lock-timeout") from None
            if not told:
                note(f"{slug}: waiting for another build of this story to finish ({path})")
                told = True
            check()
            time.sleep(0.1)
            continue
        if _same_file(fd, path):
            break
        os.close(fd)  # the holder removed the file as it finished: lock the one now at ``path``
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)  # while still held, so a waiter holding the old file retries
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def clear_leftovers(out_dir: Path, slug: str) -> None:
    """Remove what a killed build of this story left; restore its previous output if it died mid-swap."""
    final, pattern = out_dir / slug, glob.escape(f".{slug}")
    for old in sorted(out_dir.glob(f"{pattern}.old-*")):
        if not final.exists():
            os.replace(old, final)
        else:
            shutil.rmtree(old, ignore_errors=True)
    for staging in out_dir.glob(f"{pattern}.building-*"):
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def staging_folder(out_dir: Path, slug: str) -> Iterator[Path]:
    """Yield a fresh hidden folder beside the story's output (``OUT/.<slug>.building-…``); remove it on failure."""
    clear_leftovers(out_dir, slug)
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.building-", dir=out_dir))
    try:
        os.chmod(staging, 0o755)  # mkdtemp's 0700 would make the published folder private
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def swap_into_place(staging: Path, final: Path) -> Path:
    """Replace ``final`` with ``staging`` so readers see either the old or the new output, never a mix."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    try:
        if final.exists():
            os.replace(final, old)
        os.replace(staging, final)
    except BaseException:
        if old.exists() and not final.exists():
            os.replace(old, final)  # interrupted between the two renames: put the previous output back
        raise
    shutil.rmtree(old, ignore_errors=True)
    return final
