"""The video ladder of a 30 s 1080p30 camera-like clip: mediapack's one ffmpeg run against the usual ways.

Run: uv run python benchmarks/video.py [--seconds N] [--skip-moviepy] [--repeat N]

Every approach makes the default ladder (1080p, 720p, 480p, 360p) with the design's encoder settings
(H.264 High, veryfast, CRF 23 with maxrate/bufsize caps, a keyframe every 2 s, AAC 128 kb/s stereo
48 kHz, +faststart). mediapack changes one thing: its 1080p rung uses x264 subme 1 at CRF 23.5 (see
FROM_1080 in video/plan.py), so a last block compares each rung's bytes and VMAF with (c)'s:

  (a) moviepy      VideoFileClip -> resized -> write_videofile, once per rung (the naive baseline;
                   x264 threads left to moviepy, as a naive script would)
  (b) per rung     one ffmpeg process per rung, then one for the posters and one for the sprite
  (c) hand-written one ffmpeg command, split to the four rungs (the bar: mediapack within 5% of it)
  (d) mediapack    transcode_video: the four rungs, JPEG + WebP poster and sprite in one process
  (e) 1080p alone  the top rung by itself, with mediapack's options for it: the floor
  (f) decode only  ffmpeg -f null: what reading the source costs

(a), (b), (c) and (e) leave x264's thread count to ffmpeg, as a person would (3 frame threads on
2 cores); mediapack runs each x264 on one thread (its ffmpeg.threads default), the only count that
gives byte-identical files once maxrate/bufsize engage, and gets its parallelism from encoding the
rungs side by side. Each approach runs in its own child process; its wall time, CPU time (user +
system, less sensitive to other load than wall time) and peak memory come from wait4(). For
mediapack, the time is that of the transcode_video call (not the interpreter's start-up), and CPU and
peak memory are those of its ffmpeg (the children of a fresh interpreter), the peak measured at 10 s
and at full length to show it does not grow with the duration. (c) and (d) run --repeat times,
alternately; the faster run of each is compared, and their outputs are checked for identical bytes.
The source clips are generated once and kept in $TMPDIR/mediapack-bench/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mediapack.ffmpeg import locate_ffmpeg
from mediapack.model import MediaItem
from mediapack.probe import probe_av
from mediapack.settings import Settings
from mediapack.video.plan import FROM_1080, ladder_for, sprite_layout, target_fps

SETTINGS = Settings()
VIDEO = SETTINGS.video
BENCH = Path(tempfile.gettempdir()) / "mediapack-bench"
GENERATOR_VERSION = 1
TARGETS = {"moviepy": 4.0, "per-rung": 1.45, "hand-written": 1.05, "memory_mb": 600}


@dataclass(frozen=True)
class Measured:
    """One approach's cost: wall seconds, CPU seconds, peak RSS in MB, bytes written and their digest."""

    seconds: float
    cpu: float
    peak_mb: float
    output_bytes: int
    digest: str = ""


def written(out: Path) -> tuple[int, str]:
    """Return the size and a digest of the video files in ``out``."""
    digest, size = hashlib.sha256(), 0
    for path in sorted(out.rglob("*.mp4")):
        data = path.read_bytes()
        digest.update(path.name.encode() + data)
        size += len(data)
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file()), digest.hexdigest()[:12]


# --- the source ----------------------------------------------------------------------------------

def source_clip(ffmpeg: str, seconds: int) -> Path:
    """Return a cached camera-like 1080p30 clip: panning detail, sensor noise, high bitrate, stereo."""
    path = BENCH / f"camera-1080p30-{seconds}s-v{GENERATOR_VERSION}.mp4"
    if path.is_file():
        return path
    BENCH.mkdir(parents=True, exist_ok=True)
    print(f"generating {path} (once) ...", flush=True)
    # A slow pan over a test pattern larger than the frame, with temporal grain: hard to encode.
    picture = ("testsrc2=size=2112x1188:rate=30,crop=1920:1080:x='96+96*sin(t/3)':y='54+54*cos(t/4)',"
               "noise=alls=12:allf=t+u,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p")
    sound = ("anoisesrc=c=pink:a=0.05:r=48000:seed=7[n];sine=f=220:r=48000[l];sine=f=330:r=48000[r];"
             "[l][r]join=inputs=2:channel_layout=stereo[t];[n]pan=stereo|c0=c0|c1=c0[p];"
             "[t][p]amix=inputs=2:normalize=0[a]")
    partial = path.with_name(path.name + ".partial")
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", picture,
                    "-filter_complex", sound, "-map", "0:v", "-map", "[a]", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-maxrate", "40M",
                    "-bufsize", "80M", "-profile:v", "high", "-g", "30", "-colorspace", "bt709",
                    "-color_primaries", "bt709", "-color_trc", "bt709", "-c:a", "aac", "-b:a", "256k",
                    "-f", "mp4", str(partial)], check=True)
    os.replace(partial, path)
    return path


# --- the same encoder settings, written by hand ----------------------------------------------------

def rungs(source: Path) -> list[tuple[str, int, int, str, str]]:
    """Return (name, width, height, maxrate, bufsize) of the ladder mediapack makes of ``source``."""
    return [(r.name, w, h, r.maxrate, r.bufsize) for r, w, h in ladder_for(probe_av(source), VIDEO)]


def x264(maxrate: str, bufsize: str, gop: int) -> list[str]:
    return ["-c:v", "libx264", "-profile:v", VIDEO.profile, "-preset", VIDEO.preset, "-crf", str(VIDEO.crf),
            "-maxrate", maxrate, "-bufsize", bufsize, "-g", str(gop), "-keyint_min", str(gop),
            "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]


AAC = ["-c:a", "aac", "-b:a", VIDEO.audio_bitrate, "-ac", "2", "-ar", str(VIDEO.audio_rate)]


def per_rung_commands(ffmpeg: str, source: Path, out: Path) -> list[list[str]]:
    """(b): one process per rung, one for the JPEG and WebP posters, one for the sprite."""
    head = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    gop = gop_of(source)
    commands = [[*head, "-i", str(source), "-vf", f"scale={w}:{h}", "-map", "0:v", "-map", "0:a",
                 *x264(maxrate, bufsize, gop), *AAC, str(out / f"{name}.mp4")]
                for name, w, h, maxrate, bufsize in rungs(source)]
    _, w, h, _, _ = rungs(source)[0]
    commands.append([*head, "-t", "10", "-i", str(source), "-filter_complex",
                     f"[0:v]fps=2,scale={w}:{h},thumbnail=n=20,split[j][w]", "-map", "[j]", "-frames:v", "1",
                     "-q:v", str(VIDEO.poster_quality), str(out / "poster.jpg"), "-map", "[w]", "-frames:v",
                     "1", "-c:v", "libwebp", "-quality", str(VIDEO.poster_webp_quality), str(out / "poster.webp")])
    layout = sprite_layout(probe_av(source), VIDEO)
    sprite = (f"fps={1 / layout.interval},scale={layout.tile_width}:{layout.tile_height},"
              f"tile={layout.columns}x{layout.rows}")
    commands.append([*head, "-i", str(source), "-vf", sprite, "-frames:v", "1", str(out / "thumbnails.jpg")])
    return commands


def hand_written_command(ffmpeg: str, source: Path, out: Path) -> list[str]:
    """(c): the single command a person would write: split once, scale the three lower rungs."""
    ladder = rungs(source)
    labels = [f"v{i}" for i in range(len(ladder))]
    graph = [f"[0:v]split={len(ladder)}" + "".join(f"[s{i}]" for i in range(len(ladder)))]
    for i, (_, w, h, _, _) in enumerate(ladder):
        graph.append(f"[s{i}]scale={w}:{h}[{labels[i]}]" if i else f"[s{i}]null[{labels[i]}]")
    argv = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-filter_complex", ";".join(graph)]
    for label, (name, _, _, maxrate, bufsize) in zip(labels, ladder, strict=True):
        argv += ["-map", f"[{label}]", "-map", "0:a", *x264(maxrate, bufsize, gop_of(source)), *AAC,
                 str(out / f"{name}.mp4")]
    return argv


def top_rung_command(ffmpeg: str, source: Path, out: Path) -> list[str]:
    """(e): the 1080p rung alone, with the x264 options mediapack gives that rung: the floor."""
    name, _, _, maxrate, bufsize = rungs(source)[0]
    ours = []
    if VIDEO.preset in FROM_1080:
        params, crf_offset = FROM_1080[VIDEO.preset]
        ours = ["-x264-params", params, "-crf", str(VIDEO.crf + crf_offset)]  # the later -crf wins
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-map", "0:v", "-map", "0:a",
            *x264(maxrate, bufsize, gop_of(source)), *ours, *AAC, str(out / f"{name}.mp4")]


def gop_of(source: Path) -> int:
    return round(target_fps(probe_av(source), VIDEO) * 2)


# --- measuring -----------------------------------------------------------------------------------

def measure(commands: list[list[str]], out: Path) -> Measured:
    """Run ``commands`` one after another in a fresh ``out``; sum wall and CPU time, keep the peak RSS."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    seconds = cpu = peak = 0.0
    for argv in commands:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds += time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}")
        cpu += usage.ru_utime + usage.ru_stime
        peak = max(peak, usage.ru_maxrss / 1024)
    return Measured(seconds, cpu, peak, *written(out))


def child(kind: str, source: Path, out: Path) -> list[str]:
    return [sys.executable, __file__, "--child", kind, "--source", str(source), "--out", str(out)]


def run_moviepy(source: Path, out: Path) -> None:
    """(a), in a child process: the naive moviepy way, one full decode and encode per rung."""
    from moviepy import VideoFileClip

    for name, w, h, maxrate, bufsize in rungs(source):
        with VideoFileClip(str(source)) as clip:
            gop = str(gop_of(source))  # codec and preset go through moviepy's own arguments; threads as it likes
            params = ["-profile:v", VIDEO.profile, "-crf", str(VIDEO.crf), "-maxrate", maxrate, "-bufsize", bufsize,
                      "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-pix_fmt", "yuv420p",
                      "-movflags", "+faststart"]
            clip.resized(new_size=(w, h)).write_videofile(
                str(out / f"{name}.mp4"), codec="libx264", preset=VIDEO.preset, audio_codec="aac",
                audio_bitrate=VIDEO.audio_bitrate, audio_fps=VIDEO.audio_rate, ffmpeg_params=params, logger=None,
                temp_audiofile_path=str(out))  # not the current folder


def run_mediapack(source: Path, out: Path) -> None:
    """(d), in a child process: probe and transcode_video; print the time and the ffmpeg peak RSS."""
    from mediapack.video.ladder import transcode_video

    ff = locate_ffmpeg()
    started = time.perf_counter()
    info = probe_av(source)
    transcode_video(MediaItem(id="clip", file=Path(source.name)), info, source.parent, out, SETTINGS, ff)
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # its ffmpeg runs; the largest is the transcode
    print(json.dumps({"seconds": seconds, "ffmpeg_cpu": children.ru_utime + children.ru_stime,
                      "ffmpeg_peak_mb": children.ru_maxrss / 1024}))


def measure_mediapack(source: Path, out: Path) -> Measured:
    """Run (d) in a fresh interpreter; its time is that of the call, CPU and peak those of its ffmpeg."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    proc = subprocess.Popen(child("mediapack", source, out), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    stdout = proc.stdout.read()
    _, status, _ = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("mediapack failed")
    found = json.loads(stdout)
    return Measured(found["seconds"], found["ffmpeg_cpu"], found["ffmpeg_peak_mb"], *written(out))


def vmaf(ffmpeg: str, rendition: Path, source: Path) -> float:
    """Return the mean VMAF (v0.6.1, every 5th frame) of a rendition scaled up to the source's size."""
    info = probe_av(source)
    log = rendition.with_suffix(".vmaf.json")
    graph = (f"[0:v]scale={info.width}:{info.height}:flags=bicubic,setpts=PTS-STARTPTS[d];"
             f"[1:v]setpts=PTS-STARTPTS[r];[d][r]libvmaf=n_subsample=5:log_fmt=json:log_path={log}")
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-i", str(rendition), "-i", str(source),
                    "-lavfi", graph, "-f", "null", "-"], check=True)
    return json.loads(log.read_text())["pooled_metrics"]["vmaf"]["mean"]


def compare_renditions(ffmpeg: str, source: Path, ours: Path, theirs: Path) -> None:
    """Print each rung's bytes and VMAF for mediapack against the hand-written command."""
    print("\nper rung, (d) mediapack against (c) hand-written: bytes and VMAF (v0.6.1 against the source)")
    for name, *_ in rungs(source):
        mine, hand = next(ours.rglob(f"{name}.mp4")), theirs / f"{name}.mp4"
        a, b = vmaf(ffmpeg, mine, source), vmaf(ffmpeg, hand, source)
        print(f"  {name:>6}  {mine.stat().st_size:>10,d} B  VMAF {a:5.2f}   vs {hand.stat().st_size:>10,d} B  "
              f"VMAF {b:5.2f}   ({mine.stat().st_size / hand.stat().st_size - 1:+.2%} bytes, {a - b:+.2f} VMAF)")


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


# --- report --------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of the source clip (default 30)")
    parser.add_argument("--skip-moviepy", action="store_true", help="leave out the slow moviepy baseline")
    parser.add_argument("--repeat", type=int, default=2, help="runs of (c) and (d), alternately (default 2)")
    parser.add_argument("--skip-vmaf", action="store_true", help="leave out the per-rung VMAF comparison")
    parser.add_argument("--child", choices=("moviepy", "mediapack"), help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "moviepy":
        return run_moviepy(args.source, args.out)
    if args.child == "mediapack":
        return run_mediapack(args.source, args.out)

    ffmpeg = str(locate_ffmpeg().path)
    source = source_clip(ffmpeg, args.seconds)
    short = source_clip(ffmpeg, min(10, args.seconds))
    info = probe_av(source)
    print(f"source: {info.width}x{info.height} {info.frame_rate:g} fps, {info.duration:.1f} s, "
          f"{info.size_bytes * 8 / info.duration / 1e6:.1f} Mb/s, {info.audio_channels} ch audio ({source})")
    print(f"cores: {os.cpu_count()}, load average at start: {load()}\n")
    results: dict[str, Measured] = {}
    digests: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="video-bench-", dir=BENCH) as tmp:
        work = Path(tmp)
        decode = [[ffmpeg, "-hide_banner", "-loglevel", "error", "-i", str(source), "-f", "null", "-"]]
        plan = [("(f) decode only", lambda: measure(decode, work / "f")),
                ("(e) 1080p rung alone", lambda: measure([top_rung_command(ffmpeg, source, work / "e")], work / "e"))]
        # The two that must be within 5% of each other run twice, alternately; the faster run of each counts.
        for _ in range(args.repeat):
            plan += [("(c) hand-written split", lambda: measure([hand_written_command(ffmpeg, source, work / "c")],
                                                                work / "c")),
                     ("(d) mediapack", lambda: measure_mediapack(source, work / "d"))]
        plan.append(("(b) ffmpeg per rung", lambda: measure(per_rung_commands(ffmpeg, source, work / "b"), work / "b")))
        if not args.skip_moviepy:
            plan.append(("(a) moviepy per rung", lambda: measure([child("moviepy", source, work / "a")], work / "a")))
        for label, run in plan:
            before = load()
            m = run()
            print(f"{label:<24} {m.seconds:8.1f} s  cpu {m.cpu:7.1f} s  peak {m.peak_mb:6.0f} MB  "
                  f"out {m.output_bytes / 1e6:6.1f} MB  (load {before} -> {load()})", flush=True)
            digests.setdefault(label, set()).add(m.digest)
            if label not in results or m.seconds < results[label].seconds:
                results[label] = m
        if not args.skip_vmaf:
            compare_renditions(ffmpeg, source, work / "d", work / "c")
        peak_short = measure_mediapack(short, work / "d-short").peak_mb
    ours = results["(d) mediapack"]
    print("\nratios of the best runs (wall time; CPU time in brackets; mediapack's CPU is its ffmpeg's)")

    def ratio(label: str, num: Measured, den: Measured, target: str) -> None:
        print(f"  {label:<40} {num.seconds / den.seconds:6.2f}x  [{num.cpu / den.cpu:5.2f}x]   {target}")

    if "(a) moviepy per rung" in results:
        ratio("(a) moviepy / (d) mediapack", results["(a) moviepy per rung"], ours, f"target >= {TARGETS['moviepy']}")
    ratio("(b) per rung / (d) mediapack", results["(b) ffmpeg per rung"], ours, f"target >= {TARGETS['per-rung']}")
    ratio("(d) mediapack / (c) hand-written", ours, results["(c) hand-written split"],
          f"target <= {TARGETS['hand-written']}")
    ratio("(d) mediapack / (e) 1080p alone (floor)", ours, results["(e) 1080p rung alone"], "")
    ratio("(d) mediapack / (f) decode only", ours, results["(f) decode only"], "")
    print(f"\nmediapack ffmpeg peak memory: {peak_short:.0f} MB at {min(10, args.seconds)} s, "
          f"{ours.peak_mb:.0f} MB at {args.seconds} s (target < {TARGETS['memory_mb']} MB, flat)")
    for label in ("(c) hand-written split", "(d) mediapack"):
        if args.repeat > 1:
            same = "identical" if len(digests[label]) == 1 else "DIFFERENT"
            print(f"{label}: the video files of its {args.repeat} runs are {same}")
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
