"""HLS packaging against the ladder's encode, on the 30 s 1080p30 clip of benchmarks/video.py.

Run: uv run python benchmarks/hls.py [--seconds N] [--repeat N]

The ladder is encoded once with transcode_video (the default 1080p/720p/480p/360p ladder, posters and
sprite: what a build does before HLS); then package_hls cuts its rungs into fMP4 HLS by stream copy,
--repeat times (the fastest run counts, and every run must give the same bytes). Printed: HLS
packaging as a share of the encode, in wall time and in CPU time (of the ffmpeg children, from
getrusage: less sensitive to other load than wall time), and the bytes HLS adds against the MP4s.
Expected: a few per cent of the time; about the ladder's size again in bytes, less the sound of all
rungs but one (the audio is one rendition group, not muxed into every rung).
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from mediapack.ffmpeg import locate_ffmpeg
from mediapack.model import MediaItem
from mediapack.probe import probe_av
from mediapack.video.hls import HLS_DIR, package_hls
from mediapack.video.ladder import transcode_video
from video import SETTINGS, source_clip  # benchmarks/video.py: the same generated clip


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(work) -> tuple[float, float, object]:
    """Run ``work``; return its wall seconds, its children's CPU seconds and its result."""
    cpu, wall = children_cpu(), time.perf_counter()
    result = work()
    return time.perf_counter() - wall, children_cpu() - cpu, result


def digest(folder: Path) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        sha.update(path.name.encode() + data)
        size += len(data)
    return size, sha.hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ff = locate_ffmpeg()
    source = source_clip(str(ff.path), args.seconds)
    info = probe_av(source)
    out = Path(tempfile.mkdtemp(prefix="mediapack-hls-bench-"))
    try:
        print(f"ladder of {source.name} ({info.width}x{info.height}, {info.duration:.1f} s) ...", flush=True)
        item = MediaItem(id="clip", file=Path(source.name))
        encode_wall, encode_cpu, renditions = timed(
            lambda: transcode_video(item, info, source.parent, out, SETTINGS, ff))
        rungs = [r for r in renditions if r.role == "rendition" and r.content_type == "video/mp4"]
        mp4_bytes = sum(r.size_bytes for r in rungs)
        runs = []
        for _ in range(args.repeat):
            shutil.rmtree(out / "media" / "clip" / HLS_DIR, ignore_errors=True)
            wall, cpu, _ = timed(lambda: package_hls(rungs, None, out, "en", "English", SETTINGS, ff))
            runs.append((wall, cpu, digest(out / "media" / "clip" / HLS_DIR)))
        outputs = {run[2] for run in runs}
        hls_bytes, _ = runs[0][2]
        wall, cpu = min(run[0] for run in runs), min(run[1] for run in runs)
        print(f"\n{'':24}{'wall s':>10}{'CPU s':>10}")
        print(f"{'ladder encode':24}{encode_wall:10.2f}{encode_cpu:10.2f}")
        print(f"{'HLS packaging (best)':24}{wall:10.2f}{cpu:10.2f}")
        print(f"\nHLS / encode: wall {wall / encode_wall:.1%}, CPU {cpu / encode_cpu:.1%} (expected: a few per cent)")
        print(f"bytes: MP4 rungs {mp4_bytes:,}, HLS {hls_bytes:,} = {hls_bytes / mp4_bytes:.3f} of the MP4s "
              f"({len(list((out / 'media' / 'clip' / HLS_DIR).iterdir()))} files)")
        print(f"the {args.repeat} packagings gave {'the same bytes' if len(outputs) == 1 else 'DIFFERENT bytes'}")
        print("\nmaster.m3u8:\n" + (out / "media" / "clip" / HLS_DIR / "master.m3u8").read_text(encoding="utf-8"))
        if len(outputs) != 1:
            sys.exit(1)
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
