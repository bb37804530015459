"""Photo renditions of twelve 24 MP JPEGs: mediapack against a naive Pillow baseline and pyvips.

Run: uv run --group bench python benchmarks/photos.py [--photos N] [--size WxH] [--repeat N]

Every approach makes the design's full set from each photo (large 2048, medium 1024, small 640 and
thumb 320, each JPEG + WebP, and a 300x300 square) with the same encoder settings, so the
ratios measure the pipeline, not the encoders:

  naive        full decode, then a LANCZOS resize from the full image per rendition, one process
  mediapack    make_photo_renditions (draft + libswscale cascade + focal point + metadata), one process
  mediapack    the same in two worker processes
  pyvips       thumbnail (shrink-on-load) with a cascade, in two worker processes

Each approach runs in a fresh child process so its peak memory (ru_maxrss) is its own.
The test photos are generated once (deterministic) and kept in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from mediapack.model import MediaItem
from mediapack.photo.credit import xmp_packet
from mediapack.photo.renditions import WEBP_METHOD, make_photo_renditions
from mediapack.settings import PhotoSettings

SETTINGS = PhotoSettings()  # the design's rendition set and qualities
SQUARE = SETTINGS.square
JPEG = {"quality": SETTINGS.jpeg_quality, "optimize": True, "progressive": True}
WEBP = {"quality": SETTINGS.webp_quality, "method": WEBP_METHOD}
CREDIT = {"caption": "Ferry at dawn, harbour lights behind", "credit": "A. Photographer/Agency",
          "creator": "A. Photographer", "copyright": "© 2026 Example News", "alt": "A ferry"}
GENERATOR_VERSION = 1
APPROACHES = (("naive Pillow, 1 process", "naive", 1), ("mediapack, 1 process", "mediapack", 1),
              ("mediapack, 2 processes", "mediapack", 2), ("pyvips thumbnail, 2 processes", "pyvips", 2))


# --- test photos -------------------------------------------------------------------------------

def make_test_photo(path: Path, size: tuple[int, int], seed: int) -> Path:
    """Write a photo-like JPEG (gradients, multi-scale noise, shapes, grain) at quality 90."""
    rng = random.Random(seed)
    w, h = size

    def noise(mode: str, dims: tuple[int, int]) -> Image.Image:
        return Image.frombytes(mode, dims, rng.randbytes(dims[0] * dims[1] * len(mode)))

    def octave(divisor: int) -> Image.Image:  # smooth blotches, like out-of-focus texture
        return noise("RGB", (max(2, w // divisor), max(2, h // divisor))).resize((w, h), Image.BICUBIC)

    img = Image.merge("RGB", [Image.linear_gradient("L").resize((w, h)),
                              Image.radial_gradient("L").resize((w, h)),
                              Image.linear_gradient("L").rotate(90).resize((w, h))])
    for divisor, weight in ((400, 0.5), (100, 0.25), (25, 0.12)):
        img = Image.blend(img, octave(divisor), weight)
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(w), rng.randrange(h)
        box = [x, y, x + rng.randrange(w // 40, w // 4), y + rng.randrange(h // 40, h // 4)]
        rng.choice([draw.ellipse, draw.rectangle])(box, fill=tuple(rng.randrange(256) for _ in "rgb"))
    for _ in range(60):
        draw.line([rng.randrange(w), rng.randrange(h), rng.randrange(w), rng.randrange(h)],
                  fill=tuple(rng.randrange(256) for _ in "rgb"), width=rng.randrange(2, 16))
    img = img.filter(ImageFilter.BoxBlur(1))  # soft edges, as a lens gives
    img = Image.blend(img, octave(3), 0.08)
    img = Image.blend(img, noise("L", (w, h)).convert("RGB"), 0.04)  # sensor grain
    tmp = path.with_suffix(".tmp")
    img.save(tmp, "JPEG", quality=90)
    os.replace(tmp, path)
    return path


def bench_photos(count: int, size: tuple[int, int]) -> list[Path]:
    """Return ``count`` generated photos, making the ones not already in the cache folder."""
    folder = Path(tempfile.gettempdir()) / "mediapack-bench" / f"photos-{size[0]}x{size[1]}-v{GENERATOR_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo-{i:02d}.jpg" for i in range(count)]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"generating {len(missing)} test photos in {folder} …", file=sys.stderr)
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(make_test_photo, missing, [size] * len(missing),
                          [paths.index(p) for p in missing]))
    return paths


# --- the approaches, each run in a child process -------------------------------------------------

def fit(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    scale = long_edge / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def naive(source: Path, out: Path) -> None:
    """Decode in full, then resize from the full image for every rendition."""
    with Image.open(source) as img:
        full = img.convert("RGB")
    for size in SETTINGS.sizes:
        if size.long_edge > max(full.size):
            continue
        small = full.resize(fit(full.size, size.long_edge), Image.LANCZOS)
        small.save(out / f"{size.name}.jpg", **JPEG)
        if "webp" in size.formats:
            small.save(out / f"{size.name}.webp", **WEBP)
    side = min(full.size)
    left, top = (full.width - side) // 2, (full.height - side) // 2
    square = full.resize((SQUARE, SQUARE), Image.LANCZOS, box=(left, top, left + side, top + side))
    square.save(out / "square.jpg", **JPEG)


def ours(source: Path, out: Path) -> None:
    """Make every rendition with mediapack, metadata included."""
    item = MediaItem(out.name, Path(source.name), **CREDIT)
    make_photo_renditions(item, source, out.parent.parent, SETTINGS)


def vips(source: Path, out: Path) -> None:
    """Shrink-on-load to the largest size, then cascade down; attention crop for the square."""
    import pyvips

    packet = xmp_packet(**CREDIT)
    jpeg = {"Q": SETTINGS.jpeg_quality, "optimize_coding": True, "interlace": True, "keep": "xmp"}
    webp = {"Q": SETTINGS.webp_quality, "effort": WEBP_METHOD, "keep": "xmp"}
    header = pyvips.Image.new_from_file(str(source))  # reads the header only
    long_side = max(header.width, header.height)
    made = []
    for size in sorted(SETTINGS.sizes, key=lambda s: -s.long_edge):
        if size.long_edge > long_side:
            continue
        if not made:
            image = pyvips.Image.thumbnail(str(source), size.long_edge, height=size.long_edge)
        else:
            image = made[-1].thumbnail_image(size.long_edge, height=size.long_edge)
        made.append(image.copy_memory())  # render once; the smaller sizes start from it
        made[-1].set_type(pyvips.GValue.blob_type, "xmp-data", packet)
        made[-1].jpegsave(str(out / f"{size.name}.jpg"), **jpeg)
        if "webp" in size.formats:
            made[-1].webpsave(str(out / f"{size.name}.webp"), **webp)
    big_enough = [image for image in made if min(image.width, image.height) >= SQUARE] or made[:1]
    square = big_enough[-1].thumbnail_image(SQUARE, height=SQUARE, crop="attention")
    square.jpegsave(str(out / "square.jpg"), **jpeg)


def run_one(job: tuple[str, Path, Path]) -> None:
    name, source, out_root = job
    out = out_root / "media" / source.stem  # where make_photo_renditions puts an item's files
    out.mkdir(parents=True, exist_ok=True)
    {"naive": naive, "mediapack": ours, "pyvips": vips}[name](source, out)


def child(name: str, workers: int, sources: list[Path], out_root: Path) -> dict:
    """Time one approach over every photo; return seconds, peak memory and output bytes."""
    if name == "pyvips":
        os.environ["VIPS_CONCURRENCY"] = "1"  # the pool gives the parallelism, as it does for ours
        import pyvips  # noqa: F401 - loaded before the clock starts, as Pillow is

    jobs = [(name, source, out_root) for source in sources]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    if workers == 1:
        for job in jobs:
            run_one(job)
    else:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(run_one, jobs))
    seconds = time.perf_counter() - started
    own, workers_usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds,
            "cpu": sum(u.ru_utime + u.ru_stime for u in (own, workers_usage)) - cpu_before,
            "rss_self": own.ru_maxrss, "rss_workers": workers_usage.ru_maxrss,
            "bytes": sum(p.stat().st_size for p in out_root.rglob("*") if p.is_file())}


# --- the parent: run each approach, check quality, print the table -------------------------------

def psnr(path: Path, reference: Image.Image) -> float:
    """Return the luma PSNR (dB) of a written rendition against a reference of the same size."""
    with Image.open(path) as img:  # luma only: 4:2:0 chroma loss would swamp resampling differences
        diff = ImageChops.difference(img.convert("L"), reference.convert("L"))
    mse = ImageStat.Stat(diff).rms[0] ** 2
    return float("inf") if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def edges(img: Image.Image) -> float:
    """Return the mean edge strength of an image's luma: lower means softer."""
    return ImageStat.Stat(img.convert("L").filter(ImageFilter.FIND_EDGES)).mean[0]


def quality(source: Path, outputs: dict[str, Path]) -> dict[str, dict[str, tuple[float, float]]]:
    """Compare each approach's JPEGs of one photo with a full-resolution LANCZOS reference:
    luma PSNR, and edge strength as a share of the reference's."""
    with Image.open(source) as img:
        full = img.convert("RGB")
    scores = {}
    for label, out in outputs.items():
        scores[label] = {}
        for size in SETTINGS.sizes:
            path = out / "media" / source.stem / f"{size.name}.jpg"
            if path.exists():
                with Image.open(path) as img:
                    reference = full.resize(img.size, Image.LANCZOS)
                    sharpness = edges(img) / edges(reference)
                scores[label][size.name] = (psnr(path, reference), sharpness)
    return scores


def run_approach(name: str, workers: int, sources: list[Path], out_root: Path) -> dict:
    shutil.rmtree(out_root, ignore_errors=True)
    out_root.mkdir(parents=True)
    argv = [sys.executable, __file__, "--child", name, "--workers", str(workers), "--out", str(out_root),
            *map(str, sources)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def megabytes(kilobytes: int) -> str:
    return f"{kilobytes / 1024:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=12, help="how many test photos (default 12)")
    parser.add_argument("--size", default="6000x4000", help="test photo size, WxH (default 6000x4000)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every approach, interleaved; the fastest round counts (default 1)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("sources", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.workers, args.sources, args.out)))
        return
    try:
        import pyvips  # noqa: F401
    except ImportError:
        sys.exit("pyvips is missing: run with `uv run --group bench python benchmarks/photos.py`")
    size = tuple(int(v) for v in args.size.lower().split("x"))
    sources = bench_photos(args.photos, size)
    for source in sources:  # warm the page cache so no approach pays for the first read
        source.read_bytes()
    work = sources[0].parent.parent / "out"
    load_before = os.getloadavg()[0]
    results, outputs = {}, {}
    for round_number in range(1, args.repeat + 1):
        for label, name, workers in APPROACHES:
            outputs[label] = work / f"{name}-{workers}"
            result = run_approach(name, workers, sources, outputs[label])
            print(f"  round {round_number}, {label}: {result['seconds']:.2f} s", file=sys.stderr)
            if label not in results or result["seconds"] < results[label]["seconds"]:
                results[label] = result
    print_table(results, sources, size, load_before)
    print(f"\n{sources[0].name}'s JPEGs against a full-resolution LANCZOS resize: luma PSNR (dB) and "
          "edge strength (% of the reference's; lower is softer)")
    for label, scores in quality(sources[0], outputs).items():
        print(f"  {label:32s} " + "  ".join(f"{k} {db:4.1f} {share:4.0%}" for k, (db, share) in scores.items()))


def print_table(results: dict[str, dict], sources: list[Path], size: tuple[int, ...], load_before: float
                ) -> None:
    """Print seconds, throughput, ratios, CPU time, peak memory and output size per approach."""
    naive_s = results[APPROACHES[0][0]]["seconds"]
    vips_s = results[APPROACHES[-1][0]]["seconds"]
    print(f"\n{len(sources)} photos {size[0]}x{size[1]} -> {len(SETTINGS.sizes)} sizes + square, "
          f"JPEG q{SETTINGS.jpeg_quality} progressive, WebP q{SETTINGS.webp_quality} method {WEBP_METHOD}; "
          f"{os.cpu_count()} cores, 1-minute load average {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after\n")
    header = f"{'approach':32s} {'seconds':>8s} {'photos/s':>9s} {'vs naive':>9s} {'/ pyvips':>9s} " \
             f"{'CPU s':>7s} {'peak RSS':>14s} {'output':>9s}"
    print(header)
    print("-" * len(header))
    for label, name, workers in APPROACHES:
        r = results[label]
        rss = megabytes(r["rss_self"]) if workers == 1 else f"{workers} x {megabytes(r['rss_workers'])}"
        print(f"{label:32s} {r['seconds']:8.2f} {len(sources) / r['seconds']:9.2f} "
              f"{naive_s / r['seconds']:8.2f}x {r['seconds'] / vips_s:8.2f}x {r['cpu']:7.2f} {rss:>14s} "
              f"{r['bytes'] / 2**20:7.1f} MB")
    print("\nvs naive: throughput against the naive baseline (target: mediapack 2 processes >= 6x)")
    print("/ pyvips: time against pyvips in 2 processes (target: mediapack 2 processes <= 1.2x)")
    print("CPU s: user + system time of the approach's processes (less sensitive to other load)")
    print("peak RSS: ru_maxrss of the one process, or of the largest worker")


if __name__ == "__main__":
    main()
