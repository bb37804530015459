"""What verifying a cache entry costs: a verified fetch against the plain copy it replaced, in this run.

Run: uv run python benchmarks/cache.py [--megabytes 600] [--runs 5]

One cache entry like a 1080p video's (a ladder of MP4s, posters, captions: a few big files and some
small ones, ``--megabytes`` in all) is stored once; then each approach copies it into a fresh media
folder, ``--runs`` times, and the best time of each is kept (the first copy warms the page cache, so
every row reads from memory, the cache's usual case on a CI runner that has just restored it):

- plain copy: ``shutil.copyfile`` of every file, what a fetch did before entries were verified;
- copy, then hash: the obvious way to verify, which reads every file twice;
- verified fetch: ``RenditionCache.fetch``, which hashes each file as it copies it (one read).

The figure is the verified fetch's ratio to the plain copy; the hashing rate is printed beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from mediapack.cache import CacheEntry, RenditionCache
from mediapack.files import file_digest
from mediapack.model import Rendition

# The share of an entry each file takes, like a 1080p ladder's: four rungs, a poster, captions, a sprite.
SHARES = {"1080p.mp4": 0.45, "720p.mp4": 0.25, "480p.mp4": 0.15, "360p.mp4": 0.1, "thumbnails.jpg": 0.04,
          "poster.jpg": 0.008, "poster.webp": 0.0015, "captions.vtt": 0.0003, "thumbnails.vtt": 0.0002}


def make_entry(folder: Path, megabytes: int) -> tuple[Path, CacheEntry]:
    """Write the files of one entry (incompressible bytes) and describe them."""
    folder.mkdir(parents=True)
    renditions = []
    for name, share in SHARES.items():
        size = max(1, int(megabytes * 1e6 * share))
        with (folder / name).open("wb") as out:
            left = size
            while left:
                out.write(os.urandom(min(left, 1 << 24)))
                left -= min(left, 1 << 24)
        renditions.append(Rendition(name=name.split(".")[0], path=Path(name), content_type="video/mp4",
                                    size_bytes=size))
    return folder, CacheEntry(tuple(renditions), None)


def best(runs: int, approach, target_root: Path) -> float:
    """The best wall time of ``runs`` copies into fresh folders."""
    times = []
    for run in range(runs):
        target = target_root / f"run-{run}"
        started = time.perf_counter()
        approach(target)
        times.append(time.perf_counter() - started)
        shutil.rmtree(target)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=600)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mediapack-cache-bench-") as tmp:
        root = Path(tmp)
        source, entry = make_entry(root / "made", args.megabytes)
        cache = RenditionCache(root / "cache")
        cache.store("ab" + "0" * 62, source, entry)
        stored = root / "cache" / "ab" / ("ab" + "0" * 62)
        names = list(SHARES)
        total = sum(r.size_bytes for r in entry.renditions)

        def plain(target: Path) -> None:
            target.mkdir()
            for name in names:
                shutil.copyfile(stored / name, target / name)

        def copy_then_hash(target: Path) -> None:
            plain(target)
            for name in names:
                file_digest(target / name)

        def verified(target: Path) -> None:
            assert cache.fetch("ab" + "0" * 62, target, Path("media/clip")) is not None

        def hashing_only(_target: Path) -> None:
            _target.mkdir()
            for name in names:
                with (stored / name).open("rb") as f:
                    hashlib.file_digest(f, "sha256")

        plain(root / "warm")  # read it all once: every row reads from the page cache
        shutil.rmtree(root / "warm")
        rows = [("plain copy (before)", best(args.runs, plain, root)),
                ("copy, then hash", best(args.runs, copy_then_hash, root)),
                ("verified fetch (now)", best(args.runs, verified, root))]
        hashing = best(args.runs, hashing_only, root)
    base = rows[0][1]
    print(f"cache entry of {len(names)} files, {total / 1e6:.0f} MB; best of {args.runs} runs each")
    print(f"{'approach':<24}{'seconds':>9}{'ratio':>8}{'GB/s':>8}")
    for label, seconds in rows:
        print(f"{label:<24}{seconds:>9.3f}{seconds / base:>8.2f}{total / seconds / 1e9:>8.2f}")
    print(f"{'sha256 alone':<24}{hashing:>9.3f}{hashing / base:>8.2f}{total / hashing / 1e9:>8.2f}")


if __name__ == "__main__":
    main()
