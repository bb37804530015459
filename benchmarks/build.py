"""The build a user runs: whole commands in fresh processes, default options, against baselines of this run.

Run: uv run --group bench python benchmarks/build.py [--photos N] [--repeat N] [--skip-video]

Rows (every time is the median of --repeat runs of a fresh process; ratios are the figures):

  photos    twelve 24 MP JPEGs: `mediapack build` (default options, an empty cache and --out) against
            the naive Pillow script of benchmarks/photos.py run as a program (target >= 6x)
  help      `mediapack --help` against `python -c pass` (target <= 0.3 s, with cached bytecode)
  rebuild   a story of a 30 s 1080p video and three photos: a cold build, then the same command again
            (nothing changed: target <= 3% of the cold build), then into a fresh --out from the warm
            cache; the same for the example story (assets/harbour-ferry)

Bytecode: the dependencies are compiled as uv installs them (compile-bytecode in pyproject.toml); the
project's own source, installed editable, is compiled once here before timing, as a second run would
find it. Test media are generated once into $TMPDIR/mediapack-bench/.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).parent))
from photos import SETTINGS, bench_photos

from video import source_clip

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "assets" / "harbour-ferry"
MEDIAPACK = [sys.executable, "-m", "mediapack"]
NAIVE = """
import sys
from pathlib import Path
sys.path.insert(0, {bench!r})
from photos import naive
out = Path(sys.argv[1])
for source in sys.argv[2:]:
    folder = out / Path(source).stem
    folder.mkdir(parents=True)
    naive(Path(source), folder)
"""


def timed(argv: list[str], cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command in a fresh process; return its wall time and what it printed."""
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, argv))} failed:\n{proc.stderr}")
    return seconds, proc


def median_of(repeat: int, make_argv, prepare=lambda i: None) -> float:
    times = []
    for i in range(repeat):
        prepare(i)
        times.append(timed(make_argv(i))[0])
    return statistics.median(times)


def photo_story(folder: Path, photos: list[Path]) -> Path:
    (folder / "photos").mkdir(parents=True)
    items = []
    for i, photo in enumerate(photos):
        shutil.copyfile(photo, folder / "photos" / photo.name)
        items.append(f"  - {{id: p{i:02d}, file: photos/{photo.name}, caption: Caption {i}, "
                     "credit: A. Photographer/Agency, alt: A photo}")
    (folder / "story.md").write_text("---\nheadline: Twelve photos\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                                     + "\n".join(items) + "\n---\nBody.\n", encoding="utf-8")
    return folder


def video_story(folder: Path, clip: Path, photos: list[Path]) -> Path:
    (folder / "video").mkdir(parents=True)
    shutil.copyfile(clip, folder / "video" / "clip.mp4")
    photo_story(folder, photos)
    text = (folder / "story.md").read_text(encoding="utf-8").replace(
        "media:\n", "media:\n  - {id: clip, file: video/clip.mp4, caption: A clip, credit: A. Videographer}\n")
    (folder / "story.md").write_text(text.replace("Twelve photos", "A video and photos"), encoding="utf-8")
    return folder


def photos_row(work: Path, count: int, repeat: int) -> dict:
    sources = bench_photos(count, (6000, 4000))
    story = photo_story(work / "photos-story", sources)
    naive_argv = [sys.executable, "-c", NAIVE.format(bench=str(Path(__file__).parent))]

    def fresh(i: int) -> None:
        for name in (f"naive-{i}", f"out-{i}", f".cache-{i}"):
            shutil.rmtree(work / name, ignore_errors=True)

    theirs = median_of(repeat, lambda i: [*naive_argv, str(work / f"naive-{i}"), *map(str, sources)], fresh)
    ours = median_of(repeat, lambda i: [*MEDIAPACK, "build", str(story), "--out", str(work / f"out-{i}"),
                                        "--cache", str(work / f".cache-{i}")], fresh)
    return {"naive": theirs, "mediapack": ours, "ratio": theirs / ours}


def help_row(repeat: int) -> dict:
    python = median_of(repeat, lambda i: [sys.executable, "-c", "pass"])
    helped = median_of(repeat, lambda i: [*MEDIAPACK, "--help"])
    return {"python": python, "help": helped}


def rebuild_row(work: Path, name: str, story: Path, repeat: int) -> dict:
    out, cache = work / f"{name}-out", work / f"{name}-cache"
    cold = timed([*MEDIAPACK, "build", str(story), "--out", str(out), "--cache", str(cache)])[0]
    again = median_of(repeat, lambda i: [*MEDIAPACK, "build", str(story), "--out", str(out), "--cache",
                                         str(cache), "--json"])
    _, proc = timed([*MEDIAPACK, "build", str(story), "--out", str(out), "--cache", str(cache), "--json"])
    assert json.loads(proc.stdout)["stories"][0]["up_to_date"], "an unchanged rebuild is up to date"
    fresh_out = median_of(repeat, lambda i: [*MEDIAPACK, "build", str(story), "--out", str(work / f"{name}-{i}"),
                                             "--cache", str(cache)])
    return {"cold": cold, "unchanged": again, "fresh_out": fresh_out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-video", action="store_true", help="leave out the 30 s video story")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "src", quiet=1)  # as a second run finds it (uv compiles the dependencies)
    print(f"load average at the start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="build-bench-") as tmp:
        work = Path(tmp)
        row = photos_row(work, args.photos, args.repeat)
        webps = sum("webp" in size.formats for size in SETTINGS.sizes)
        print(f"\n{args.photos} x 24 MP JPEGs ({len(SETTINGS.sizes)} sizes, WebP for {webps}, a square), fresh processes:")
        print(f"  naive Pillow script        {row['naive']:7.2f} s")
        print(f"  mediapack build (defaults) {row['mediapack']:7.2f} s   {row['ratio']:.2f}x faster (target >= 6)")
        row = help_row(args.repeat * 3)
        print(f"\nmediapack --help             {row['help']:7.3f} s   (python -c pass: {row['python']:.3f} s;"
              " target <= 0.3 s)")
        stories = [("example", EXAMPLE)]
        if not args.skip_video:
            clip = source_clip(imageio_ffmpeg.get_ffmpeg_exe(), 30)
            stories.insert(0, ("video", video_story(work / "video-story", clip, bench_photos(3, (6000, 4000)))))
        for name, story in stories:
            row = rebuild_row(work, name, story, args.repeat)
            label = "30 s 1080p video + 3 photos" if name == "video" else "the example story"
            print(f"\n{label}:")
            print(f"  cold build                          {row['cold']:7.2f} s")
            print(f"  the same command again (unchanged)  {row['unchanged']:7.3f} s   "
                  f"{row['unchanged'] / row['cold']:6.1%} of the cold build (target <= 3%)")
            print(f"  into a fresh --out, warm cache      {row['fresh_out']:7.3f} s   "
                  f"{row['fresh_out'] / row['cold']:6.1%} of the cold build")


if __name__ == "__main__":
    main()
