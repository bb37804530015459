"""What the lead photo's crops (16:9, 4:3, 1:1 at 1200 px and the 1200x630 share image) add to its renditions.

Run: uv run --group bench python benchmarks/crops.py [--size WxH] [--repeat N]

Three ways to make one photo's files, best of N interleaved rounds, in this one process:

  renditions         make_photo_renditions without crops (every photo but the lead)
  with crops         make_photo_renditions with the lead's four crops, cut from the images it already holds
  separate crops     the renditions, then the four crops from a second full decode (the naive way)

It prints each as a ratio of "renditions" measured in the same run (absolute times are noise on a shared machine).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).parent))
from photos import make_test_photo

from mediapack.model import MediaItem
from mediapack.photo.crops import crop_box, lead_crops
from mediapack.photo.renditions import make_photo_renditions
from mediapack.settings import PhotoSettings

SETTINGS = PhotoSettings()
ITEM = MediaItem("lead", Path("lead.jpg"), focus=(0.6, 0.4))


def renditions(source: Path, out: Path) -> None:
    make_photo_renditions(ITEM, source, out, SETTINGS)


def with_crops(source: Path, out: Path) -> None:
    make_photo_renditions(ITEM, source, out, SETTINGS, lead_crops(SETTINGS.crop_width))


def separate_crops(source: Path, out: Path) -> None:
    make_photo_renditions(ITEM, source, out, SETTINGS)
    with Image.open(source) as opened:
        img = ImageOps.exif_transpose(opened).convert("RGB")
    centre = (ITEM.focus[0] * img.width, ITEM.focus[1] * img.height)
    for crop in lead_crops(SETTINGS.crop_width):
        box = crop_box(img.size, crop.ratio, centre)
        size = (crop.width, round(crop.width * crop.ratio[1] / crop.ratio[0]))
        img.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0).save(
            out / f"{crop.name}.jpg", quality=SETTINGS.jpeg_quality, optimize=True, progressive=True)


APPROACHES = (("renditions", renditions), ("with crops", with_crops), ("separate crops", separate_crops))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="6000x4000", help="the test photo's size (default 6000x4000, 24 MP)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the best of each is kept")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        source = make_test_photo(Path(tmp) / "lead.jpg", size, seed=1)
        best = {name: float("inf") for name, _ in APPROACHES}
        for round_ in range(args.repeat):
            for name, run in APPROACHES:
                out = Path(tmp) / f"out-{round_}-{name.replace(' ', '-')}"
                out.mkdir()
                started = time.perf_counter()
                run(source, out)
                best[name] = min(best[name], time.perf_counter() - started)
    base = best["renditions"]
    print(f"one {size[0]}x{size[1]} JPEG, best of {args.repeat}; ratios to 'renditions' ({base:.2f} s here)")
    for name, _ in APPROACHES:
        print(f"  {name:16} {best[name] / base:5.2f}x")


if __name__ == "__main__":
    main()
