"""The captioned photo slideshow: mediapack's composition against a straightforward moviepy one.

Run: uv run python benchmarks/compose.py [--photos N] [--size WxH] [--seconds S] [--formats 16x9,9x16]
Quick run: uv run python benchmarks/compose.py --photos 2 --seconds 2 --formats 16x9

Both make the same slideshow (title card, each photo zooming in with its caption and credit as a
lower third, cross-fades, a fade to black; 25 fps; no audio) in each format, encoded by the same
ffmpeg with the same x264 settings (mediapack's preset, CRF, profile, yuv420p, threads):

  moviepy      ImageClip per photo with a per-frame ``resized(lambda t: ...)`` zoom of the full
               photo, TextClip captions composited on every frame (CompositeVideoClip), CrossFadeIn
               with padding, FadeOut, then ``write_videofile``: the baseline
  mediapack    make_slideshow: each photo decoded and scaled once, text drawn once, a box-filter
               resample of the moving window per frame, fades blended only where they happen,
               frames piped to ffmpeg

Wall-clock and CPU seconds (this process and its ffmpeg children) are printed with the ratios;
CPU time is the steadier figure when other work shares the machine. The build's photo stage
(renditions, focal points) runs before timing; both approaches read the original photos inside it.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

import av
from moviepy import ColorClip, CompositeVideoClip, ImageClip, TextClip, concatenate_videoclips, vfx
from PIL import Image, ImageDraw, ImageFilter

from mediapack.compose.fonts import BOLD, REGULAR, font_file
from mediapack.compose.slideshow import FADE_SECONDS, FPS, TITLE_SECONDS, make_slideshow
from mediapack.ffmpeg import locate_ffmpeg
from mediapack.model import BuiltMedia, ComposeRequest, MediaItem, Story
from mediapack.photo.renditions import make_photo_renditions
from mediapack.probe import probe_file
from mediapack.settings import Settings
from mediapack.story.compose_request import FORMATS

SETTINGS = Settings()
HEADLINE = "Harbour ferry returns after a winter of repairs"
BYLINE = ("Ann Writer", "Bo Reporter")
CAPTION = "The ferry leaves the breakwater on its first crossing of the season, {n} of {count}"
CREDIT = "A. Photographer/Example Agency"


def make_photo(path: Path, size: tuple[int, int], seed: int) -> Path:
    """Write a photo-like JPEG: a gradient sky, soft noise, shapes; deterministic for a seed."""
    rng = random.Random(seed)
    w, h = size
    img = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    noise = Image.frombytes("RGB", (w // 8, h // 8), rng.randbytes(w // 8 * h // 8 * 3))
    img = Image.blend(img, noise.resize((w, h), Image.Resampling.BICUBIC), 0.35)
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randrange(w // 40, w // 8)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    img.filter(ImageFilter.GaussianBlur(1.5)).save(path, quality=90)
    return path


def prepare(folder: Path, count: int, size: tuple[int, int]) -> tuple[Story, list[BuiltMedia]]:
    """Make the photos and run the photo stage (renditions, focal points), untimed."""
    folder.mkdir(parents=True, exist_ok=True)
    items, built = [], []
    for n in range(count):
        path = make_photo(folder / f"photo-{n + 1}.jpg", size, seed=n)
        item = MediaItem(f"photo-{n + 1}", Path(path.name), caption=CAPTION.format(n=n + 1, count=count),
                         credit=CREDIT)
        renditions, poi = make_photo_renditions(item, path, folder / "rendered", SETTINGS.photos)
        items.append(item)
        built.append(BuiltMedia(item, probe_file(path), renditions, poi))
    story = Story(folder=folder, source=folder / "story.md", headline=HEADLINE, slug="bench", body="",
                  byline=BYLINE, section="Local", media=tuple(items))
    return story, built


def moviepy_slideshow(story: Story, built: list[BuiltMedia], size: tuple[int, int], seconds: float,
                      target: Path) -> None:
    """The straightforward moviepy version of the same slideshow."""
    width, height = size
    title_seconds, fade = min(TITLE_SECONDS, seconds), min(FADE_SECONDS, seconds / 4)
    unit = min(size) / 1080
    headline = TextClip(font=str(font_file(BOLD)), text=story.headline, font_size=round(84 * unit),
                        color="white", method="caption", size=(round(width * 0.84), None), text_align="left")
    byline = TextClip(font=str(font_file(REGULAR)), text=", ".join(story.byline), font_size=round(38 * unit),
                      color="#cdd0d4")
    title = CompositeVideoClip([
        ColorClip(size, color=(16, 20, 26)),
        headline.with_position((round(width * 0.08), height // 2 - headline.h)),
        byline.with_position((round(width * 0.08), height // 2 + round(36 * unit))),
    ], size=size).with_duration(title_seconds)
    clips = [title]
    for photo in built:
        picture = ImageClip(str(story.folder / photo.item.file)).with_duration(seconds)
        cover = max(width / picture.w, height / picture.h)
        zoomed = picture.resized(lambda t, cover=cover: cover * (1.0 + 0.08 * t / seconds))
        caption = TextClip(font=str(font_file(REGULAR)), text=f"{photo.item.caption}\n{photo.item.credit}",
                           font_size=round(42 * unit), color="white", bg_color=(0, 0, 0, 150),
                           method="caption", size=(round(width * 0.9), None), text_align="left")
        layered = CompositeVideoClip([
            zoomed.with_position("center"),
            caption.with_duration(seconds).with_position(("center", height - caption.h - height // 16)),
        ], size=size).with_duration(seconds)
        clips.append(layered.with_effects([vfx.CrossFadeIn(fade)]))
    video = concatenate_videoclips(clips, method="compose", padding=-fade).with_effects([vfx.FadeOut(fade)])
    video.write_videofile(str(target), fps=FPS, codec="libx264", preset=SETTINGS.video.preset, audio=False,
                          threads=SETTINGS.ffmpeg.threads, logger=None, pixel_format="yuv420p",
                          ffmpeg_params=["-crf", str(SETTINGS.video.crf), "-movflags", "+faststart",
                                         "-profile:v", SETTINGS.video.profile])


def timed(label: str, work) -> tuple[float, float]:
    """Run ``work``; return wall and CPU seconds (this process and its finished children)."""
    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    print(f"  {label} …", flush=True)
    wall, used = time.perf_counter(), cpu()
    work()
    return time.perf_counter() - wall, cpu() - used


def describe(path: Path) -> str:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return f"{stream.codec_context.width}x{stream.codec_context.height} {stream.frames} frames"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--size", default="3000x2000", help="photo size, WxH")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per photo")
    parser.add_argument("--formats", default="16x9,9x16")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    formats = tuple(args.formats.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="mediapack-bench-compose-"))
    try:
        print(f"load average {os.getloadavg()[0]:.2f} (2 cores; other work skews wall-clock time)")
        story, built = prepare(workdir / "story", args.photos, size)
        ff = locate_ffmpeg()
        request = ComposeRequest(slideshow=True, seconds_per_photo=args.seconds, formats=formats)
        print(f"{args.photos} photos {args.size}, {args.seconds:g} s each, formats {', '.join(formats)}")
        baseline = timed("moviepy baseline", lambda: [
            moviepy_slideshow(story, built, FORMATS[name], args.seconds, workdir / f"moviepy-{name}.mp4")
            for name in formats])
        ours = timed("mediapack", lambda: make_slideshow(story, built, story.folder, workdir / "out", request,
                                                         SETTINGS, ff))
        for name in formats:
            print(f"  {name}: moviepy {describe(workdir / f'moviepy-{name}.mp4')}, "
                  f"mediapack {describe(workdir / 'out' / 'media' / 'slideshow' / f'{name}.mp4')}")
        print(f"\n{'approach':<20}{'wall s':>9}{'CPU s':>9}{'wall ratio':>12}{'CPU ratio':>11}")
        print(f"{'moviepy baseline':<20}{baseline[0]:>9.1f}{baseline[1]:>9.1f}{1:>12.2f}{1:>11.2f}")
        print(f"{'mediapack':<20}{ours[0]:>9.1f}{ours[1]:>9.1f}{baseline[0] / ours[0]:>12.2f}"
              f"{baseline[1] / ours[1]:>11.2f}")
        print(f"\nmediapack is {baseline[0] / ours[0]:.1f}x faster (wall clock), "
              f"{baseline[1] / ours[1]:.1f}x less CPU; target: at least 3x")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
