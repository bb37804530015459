"""The cluster's overhead: eight stories on a two-worker local Dask cluster against the local pool, --jobs 2.

Run: uv run python benchmarks/cluster.py [--repeat N] [--photos N] [--video-seconds S]

Both rows time the whole `mediapack build` command of the eight stories in a fresh process, with an
empty --out and --no-cache (every rendition is made each time):

  local     mediapack build S1 … S8 --jobs 2              (the baseline)
  cluster   mediapack build S1 … S8 --cluster tcp://…     (a LocalCluster of two worker processes of one
            thread each, started once before timing, as a cluster already running would be)

One untimed round warms both up (a running cluster's workers have imported mediapack already).
Each round runs both commands back to back, in turn first, so load from elsewhere on the machine falls
on both; the figures are the ratio of the medians and the median of each round's ratio (target <= 1.10). Each story holds --photos photos of 2400x1600 and
a --video-seconds 640x360 clip; the media are generated once into $TMPDIR/mediapack-bench-cluster/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
from distributed import LocalCluster
from PIL import Image, ImageDraw

STORIES = 8
MEDIAPACK = [sys.executable, "-m", "mediapack"]


def make_story(folder: Path, index: int, photos: int, video_seconds: float) -> Path:
    """Write one story: ``photos`` distinct 2400x1600 JPEGs and a 640x360 clip with sound."""
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for n in range(photos):
        picture = Image.linear_gradient("L").resize((2400, 1600)).convert("RGB")
        draw = ImageDraw.Draw(picture)
        for k in range(12):  # shapes that differ in every photo, so no two encode alike
            x, y = (index * 331 + n * 97 + k * 173) % 2200, (index * 151 + n * 61 + k * 89) % 1400
            draw.ellipse([x, y, x + 200 + k * 9, y + 160 + n * 7], fill=((k * 40) % 256, (n * 70) % 256, index * 30))
        picture.save(folder / f"p{n}.jpg", quality=92)
        items.append(f"  - {{id: p{n}, file: p{n}.jpg, caption: Photo {n}, credit: A. Photographer, alt: Shapes}}")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={video_seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency={300 + index * 20}:duration={video_seconds}",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(folder / "clip.mp4")], check=True)
    items.append("  - {id: clip, file: clip.mp4, caption: A clip, credit: A. Camera}")
    (folder / "story.md").write_text(f"---\nheadline: Benchmark story {index}\npublished: 2026-06-20T09:30:00Z\n"
                                     "media:\n" + "\n".join(items) + "\n---\nSome text.\n", encoding="utf-8")
    return folder


def timed(argv: list[str]) -> float:
    """Run a command in a fresh process and return its wall time; stop the benchmark if it fails."""
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{proc.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (medians are compared)")
    parser.add_argument("--photos", type=int, default=4, help="photos in each story")
    parser.add_argument("--video-seconds", type=float, default=4.0, help="length of each story's clip")
    args = parser.parse_args()

    media = Path(tempfile.gettempdir()) / "mediapack-bench-cluster" / f"{args.photos}x-{args.video_seconds:g}s"
    stories = [media / f"story-{i}" for i in range(STORIES)]
    for i, folder in enumerate(stories):
        if not (folder / "story.md").is_file():
            make_story(folder, i, args.photos, args.video_seconds)
    out = Path(tempfile.mkdtemp(prefix="mediapack-bench-cluster-out-"))
    try:
        with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster:
            commands = {
                "local": [*MEDIAPACK, "build", *map(str, stories), "--no-cache", "--quiet", "--jobs", "2"],
                "cluster": [*MEDIAPACK, "build", *map(str, stories), "--no-cache", "--quiet", "--cluster",
                            cluster.scheduler_address],
            }
            for name, argv in commands.items():  # untimed: the workers import mediapack, the disk cache fills
                timed([*argv, "--out", str(out / f"{name}-warm-up")])
                shutil.rmtree(out / f"{name}-warm-up")
            times: dict[str, list[float]] = {name: [] for name in commands}
            for run in range(args.repeat):
                order = list(commands) if run % 2 == 0 else list(reversed(commands))  # neither always first
                for name in order:
                    argv = commands[name]
                    target = out / f"{name}-{run}"
                    times[name].append(timed([*argv, "--out", str(target)]))
                    shutil.rmtree(target)
                    print(f"round {run + 1} {name:8} {times[name][-1]:6.2f} s", file=sys.stderr)
            # The fixed cost alone: the same command again, every story up to date (with the cache, so the
            # build records are read): the cluster's client imports distributed, connects, and each story
            # makes one round trip to a worker.
            unchanged: dict[str, list[float]] = {name: [] for name in commands}
            for name, argv in commands.items():
                timed([a for a in argv if a != "--no-cache"] + ["--out", str(out / name)])
            for run in range(args.repeat):
                for name in list(commands) if run % 2 == 0 else list(reversed(commands)):
                    unchanged[name].append(timed([a for a in commands[name] if a != "--no-cache"]
                                                 + ["--out", str(out / name)]))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    local, cluster_time = statistics.median(times["local"]), statistics.median(times["cluster"])
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{STORIES} stories ({args.photos} photos of 2400x1600 and a {args.video_seconds:g} s clip each), "
          f"medians of {args.repeat}")
    print(f"  local pool, --jobs 2           {local:7.2f} s   (runs: {', '.join(f'{t:.2f}' for t in times['local'])})")
    print(f"  two-worker LocalCluster        {cluster_time:7.2f} s   "
          f"(runs: {', '.join(f'{t:.2f}' for t in times['cluster'])})")
    rounds = [c / lo for c, lo in zip(times["cluster"], times["local"], strict=True)]
    same_local, same_cluster = statistics.median(unchanged["local"]), statistics.median(unchanged["cluster"])
    print(f"  cluster / local, of medians    {cluster_time / local:7.3f}   (target <= 1.10)")
    print(f"  cluster / local, median round  {statistics.median(rounds):7.3f}   "
          f"(rounds: {', '.join(f'{r:.3f}' for r in rounds)})")
    print(f"the same command again, all {STORIES} stories up to date: local {same_local:.2f} s, cluster "
          f"{same_cluster:.2f} s: the cluster's fixed cost is {same_cluster - same_local:.2f} s, "
          f"{(same_cluster - same_local) / local:.1%} of the local build")


if __name__ == "__main__":
    main()
