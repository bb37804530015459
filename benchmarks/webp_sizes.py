"""What WebP at every photo size costs and saves: the new default set against the old one (WebP at 1024 and 640 only).

Run: uv run python benchmarks/webp_sizes.py [--photos N] [--size WxH] [--repeat N]

Both sets are made by make_photo_renditions in this process, rounds interleaved (the fastest round of
each counts), from the photos benchmarks/photos.py generates. Printed as ratios measured in this run:
the build time and output bytes of the new set against the old, and what a reader's browser fetches
for the page's picture at 2048 px (large.webp against large.jpg), which the old set could not offer.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from photos import CREDIT, bench_photos

from mediapack.model import MediaItem
from mediapack.photo.renditions import make_photo_renditions
from mediapack.settings import PhotoSettings, PhotoSize

NEW = PhotoSettings()
OLD = replace(NEW, sizes=(PhotoSize("large", 2048, ("jpg",)), PhotoSize("medium", 1024, ("jpg", "webp")),
                          PhotoSize("small", 640, ("jpg", "webp")), PhotoSize("thumb", 320, ("jpg",))))


def make_set(settings: PhotoSettings, sources: list[Path], out: Path) -> tuple[float, dict[str, int]]:
    """Make every source's renditions into ``out``; return the seconds and bytes by file name."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    sizes: dict[str, int] = {}
    for index, source in enumerate(sources):
        item = MediaItem(id=f"p{index}", file=source, **CREDIT)
        renditions, _ = make_photo_renditions(item, source, out, settings)
        for r in renditions:
            sizes[r.path.name] = sizes.get(r.path.name, 0) + r.size_bytes
    return time.perf_counter() - started, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--size", default="6000x4000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    sources = bench_photos(args.photos, size)
    work = Path(tempfile.mkdtemp(prefix="mediapack-webp-"))
    best: dict[str, tuple[float, dict[str, int]]] = {}
    try:
        for round_number in range(1, args.repeat + 1):
            for name, settings in (("old", OLD), ("new", NEW)):
                seconds, sizes = make_set(settings, sources, work / name)
                print(f"  round {round_number}, {name} set: {seconds:.2f} s", file=sys.stderr)
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, sizes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (old_s, old_b), (new_s, new_b) = best["old"], best["new"]
    print(f"\n{len(sources)} photos {size[0]}x{size[1]}, best of {args.repeat} interleaved rounds, one process")
    print(f"build time, WebP at every size / WebP at 1024 and 640: {new_s / old_s:.2f}x "
          f"({new_s:.2f} s / {old_s:.2f} s)")
    print(f"output bytes, new set / old set: {sum(new_b.values()) / sum(old_b.values()):.2f}x")
    print(f"large.webp / large.jpg (what a 2x screen fetches for a 1024-px-wide picture): "
          f"{new_b['large.webp'] / new_b['large.jpg']:.2f}x")
    print(f"thumb.webp / thumb.jpg: {new_b['thumb.webp'] / new_b['thumb.jpg']:.2f}x")


if __name__ == "__main__":
    main()
