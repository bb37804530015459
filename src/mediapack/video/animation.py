"""Animated photos (GIF, WebP, APNG) as a silent looping H.264 MP4, what social platforms make of a GIF."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from itertools import accumulate
from pathlib import Path

from PIL import Image

from ..errors import InputError, single_line
from ..ffmpeg import FFmpeg
from ..model import MediaInfo, MediaItem, Rendition, rendition_dir
from ..photo.decode import frame_delays, open_photo, to_srgb
from ..settings import Settings
from .frames import encode_frames
from .outputs import MP4, measure_mp4

ANIMATION = "animation"  # the rendition's name and role; media/<id>/animation.mp4
MAX_FPS = 30  # GIF delays are in 1/100 s; faster than this is not smoother on a page
MAX_LONG_EDGE = 1280  # GIFs are rarely larger; a larger animation is scaled down to this
MIN_SIDE = 16  # as for any video (check.MIN_VIDEO_SIDE): a smaller animation is published as its still


def animation_size(info: MediaInfo) -> tuple[int, int]:
    """Return the MP4's size: the animation's own, at most MAX_LONG_EDGE long, even sides (never larger)."""
    scale = min(1.0, MAX_LONG_EDGE / max(info.width, info.height))
    return (max(2, 2 * math.floor(info.width * scale / 2)), max(2, 2 * math.floor(info.height * scale / 2)))


def can_loop(info: MediaInfo) -> bool:
    """Tell whether an animated photo makes a video: as a video, at least MIN_SIDE pixels each way."""
    return info.frames > 1 and min(animation_size(info)) >= MIN_SIDE


def animation_plan(info: MediaInfo, delays: list[int]) -> tuple[tuple[int, int], Fraction, list[int]]:
    """Return the even output size, a constant frame rate and, per output frame, the source frame it shows."""
    size = animation_size(info)
    fps = Fraction(min(MAX_FPS, max(1, round(1000 / min(delays)))))
    ticks = max(1, round(sum(delays) * fps / 1000))
    starts = list(accumulate([0, *delays[:-1]]))  # when each source frame starts, in ms
    shown, frame = [], 0
    for tick in range(ticks):
        at = tick * 1000 / fps
        while frame + 1 < len(starts) and starts[frame + 1] <= at:
            frame += 1
        shown.append(frame)
    return size, fps, shown


def make_animation(item: MediaItem, info: MediaInfo, story_folder: Path, out_root: Path, settings: Settings,
                   ff: FFmpeg, on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write media/<id>/animation.mp4: every frame of the animation at its own timing, silent, to loop."""
    source = story_folder / item.file
    folder, rel = out_root / rendition_dir(item.id), rendition_dir(item.id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{ANIMATION}.mp4"
    with open_photo(source, settings.photos.max_pixels) as img:
        size, fps, shown = animation_plan(info, frame_delays(source, img))
        seconds = len(shown) / fps
        encode_frames(_frames(source, img, shown, size), size, fps, float(seconds), target, settings, ff, source,
                      on_progress=on_progress)
    return (measure_mp4(ANIMATION, target, rel, MP4, role=ANIMATION),)


def _frames(source: Path, img: Image.Image, shown: list[int], size: tuple[int, int]) -> Iterator[bytes]:
    """Yield rgb24 bytes of the source frame each output frame shows, each frame decoded once."""
    current, pixels = -1, b""
    for index in shown:
        if index != current:
            try:
                img.seek(index)
                frame = to_srgb(source, img)
            except (OSError, EOFError, ValueError) as exc:
                raise InputError(single_line(f"{source}: frame {index} cannot be decoded ({exc})")) from None
            if frame.size != size:
                frame = frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            current, pixels = index, frame.tobytes()
        yield pixels
