"""Rebuild cost: a cold build of the example story, then an unchanged rebuild and a caption edit.

Run: uv run python benchmarks/rebuild.py [--story DIR] [--runs N]

All three builds use one fresh cache folder, in this run, on a copy of the story (the caption edit
changes the copy's story.md). The cold build is the baseline; the table gives each build's seconds,
its ratio to the cold build (targets: unchanged rebuild <= 0.05, caption edit about the same), and
how many renditions were made and how many came from the cache. Builds run in-process through
``build()``; one more row runs the unchanged rebuild as a CI job would (``python -m mediapack build
--json``), including the interpreter's start-up. When assets/harbour-ferry is missing, a similar
story (three 3000x2000 photos, a 14 s 1280x720 video) is generated instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageDraw

from mediapack.build import build
from mediapack.config import load_settings
from mediapack.context import BuildOptions

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "harbour-ferry"


def generated_story(folder: Path) -> Path:
    """Write a story like the example one: three photos and a 14 s 720p video with sound."""
    (folder / "photos").mkdir(parents=True)
    media = []
    for index in range(3):
        img = Image.linear_gradient("L").resize((3000, 2000)).convert("RGB")
        draw = ImageDraw.Draw(img)
        for step in range(40):
            x, y = (step * 367 + index * 101) % 2800, (step * 211 + index * 53) % 1800
            draw.ellipse([x, y, x + 180, y + 120], fill=(step * 6 % 255, 90 + index * 40, 200 - step * 4))
        img.save(folder / "photos" / f"p{index}.jpg", quality=90)
        media.append(f"  - {{id: p{index}, file: photos/p{index}.jpg, caption: \"Photo {index}\", credit: A, "
                     "alt: Shapes}")
    (folder / "video").mkdir()
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=14",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=14",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(folder / "video" / "clip.mp4")], check=True)
    media.append("  - {id: clip, file: video/clip.mp4, caption: \"A clip\", credit: B}")
    text = "---\nheadline: Generated rebuild story\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
    (folder / "story.md").write_text(text + "\n".join(media) + "\n---\nBody.\n", encoding="utf-8")
    return folder


def edit_first_caption(story_md: Path, mark: str) -> None:
    """Prefix the first media caption in the front matter with ``mark``."""
    text = story_md.read_text(encoding="utf-8")
    edited, count = re.subn(r'(caption: ")(?:Edited \d+: )?', rf"\g<1>Edited {mark}: ", text, count=1)
    if not count:
        raise SystemExit(f"{story_md}: no quoted caption to edit")
    story_md.write_text(edited, encoding="utf-8")


def timed_build(story: Path, out: Path, cache: Path) -> tuple[float, int, int]:
    settings = load_settings(story)
    started = time.perf_counter()
    result = build(story, out, settings, BuildOptions(cache_dir=cache))
    return time.perf_counter() - started, result.built, result.cached


def timed_cli(story: Path, out: Path, cache: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mediapack", "build", str(story), "--out", str(out),
                           "--cache", str(cache), "--json"], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    summary = json.loads(proc.stdout)["stories"][0]
    return seconds, summary["built"], summary["cached"]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--story", type=Path, default=EXAMPLE, help="story folder (default: the example story)")
    parser.add_argument("--runs", type=int, default=3, help="repeats of each warm build; the median is shown")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="mediapack-rebuild-") as tmp:
        work = Path(tmp)
        if (args.story / "story.md").is_file():
            story = work / "story"
            shutil.copytree(args.story, story)
            print(f"story: {args.story}")
        else:
            print(f"story: {args.story} not found; generating one")
            story = generated_story(work / "story")
        cache, out = work / ".mediapack-cache", work / "dist"
        rows = [("cold build (baseline)", *timed_build(story, out, cache))]
        cold_tree = tree(next(p for p in out.iterdir() if not p.name.startswith(".")))
        warm = [timed_build(story, out, cache) for _ in range(args.runs)]
        final = next(p for p in out.iterdir() if not p.name.startswith("."))
        identical = tree(final) == cold_tree
        rows.append(("unchanged rebuild", statistics.median(w[0] for w in warm), *warm[-1][1:]))
        rows.append(("unchanged rebuild, CLI process", *timed_cli(story, out, cache)))
        edits = []
        for run in range(args.runs):
            edit_first_caption(story / "story.md", str(run + 1))
            edits.append(timed_build(story, out, cache))
        rows.append(("caption edit", statistics.median(e[0] for e in edits), *edits[-1][1:]))
    cold = rows[0][1]
    print(f"\n{'build':<32}{'seconds':>9}{'ratio':>8}{'made':>6}{'cached':>8}")
    for name, seconds, made, cached in rows:
        print(f"{name:<32}{seconds:>9.2f}{seconds / cold:>8.3f}{made:>6}{cached:>8}")
    print(f"\nwarm/cold = {rows[1][1] / cold:.3f} (target <= 0.05); caption-edit/cold = {rows[3][1] / cold:.3f}")
    print(f"rebuilt output byte-identical to the cold build: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
