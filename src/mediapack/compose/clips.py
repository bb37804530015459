"""The moviepy clips of the compositions: pan-and-zoom photos, cross-fades, overlays, video frames."""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import av
import numpy as np
from moviepy import ImageClip, VideoClip
from moviepy.Effect import Effect
from PIL import Image

from ..errors import InputError, single_line
from ..ffmpeg import file_arg
from ..model import MediaInfo
from ..probe import main_stream_index
from ..video.plan import demuxer
from .text import Still

ZOOM = 1.08  # how far the pan-and-zoom moves in; photos are pre-scaled with this much margin
_FOCUS_SAMPLES = 8  # frames of a video looked at to find where the action is
_FOCUS_HEIGHT = 72  # rows of the small grey copies the focus search works on


@dataclass
class Overlays(Effect):
    """Blend stills over a clip, each from ``start`` to ``end`` seconds (``(start, end, still)`` triples)."""

    items: tuple[tuple[float, float, Still], ...]

    def apply(self, clip: VideoClip) -> VideoClip:
        """Return the clip with the stills blended over their own boxes only."""
        def blend(t: float) -> np.ndarray:
            frame = clip.get_frame(t)
            for start, end, still in self.items:
                if start <= t < end:
                    frame = still.blend_onto(frame)
            return frame
        return lazy_clip(blend, clip.size, clip.duration)


class RecentPhotos:
    """Photos prepared when first needed; only the ``limit`` most recently used stay in memory."""

    def __init__(self, limit: int = 2):  # two: the pictures on either side of a cross-fade
        self.limit = limit
        self.loaded: OrderedDict[object, Image.Image] = OrderedDict()

    def get(self, key: object, load: Callable[[], Image.Image]) -> Image.Image:
        """Return the picture for ``key``, calling ``load`` if it is not in memory."""
        if key in self.loaded:
            self.loaded.move_to_end(key)
        else:
            self.loaded[key] = load()
            while len(self.loaded) > self.limit:
                self.loaded.popitem(last=False)
        return self.loaded[key]


def lazy_clip(frame_function: Callable[[float], np.ndarray], size: tuple[int, int], duration: float
              ) -> VideoClip:
    """Return a VideoClip that renders nothing until asked (moviepy's constructor would, for the size)."""
    clip = VideoClip(duration=duration)
    clip.frame_function, clip.size = frame_function, size
    return clip


def cover_size(source: tuple[int, int], target: tuple[int, int], margin: float = ZOOM) -> tuple[int, int]:
    """Return the size ``source`` scales to so it covers ``target`` enlarged by ``margin``."""
    scale = max(target[0] * margin / source[0], target[1] * margin / source[1])
    return max(target[0], math.ceil(source[0] * scale)), max(target[1], math.ceil(source[1] * scale))


def pan_and_zoom(picture: Callable[[], Image.Image], focus: tuple[float, float], size: tuple[int, int],
                 duration: float, *, zoom_in: bool = True) -> VideoClip:
    """Move a window over a pre-scaled photo from the whole frame towards ``focus`` (fractions of the photo).

    ``picture`` returns the photo scaled once to ``cover_size``; each frame resamples only the
    window's box, at most ``ZOOM`` times the output size, with a box filter: exact to the
    sub-pixel, so the motion is smooth, and about half the work of a bilinear filter at these scales.
    """
    width, height = size

    def frame(t: float) -> np.ndarray:
        photo = picture()
        wide = min(photo.width / width, photo.height / height)  # the widest window, in output sizes
        close = max(1.0, wide / ZOOM)
        u = min(1.0, max(0.0, t / duration)) if duration > 0 else 1.0
        u = u * u * (3 - 2 * u)  # ease in and out: no jolt where the cross-fades meet
        if not zoom_in:
            u = 1.0 - u
        k = wide + (close - wide) * u
        half_w, half_h = width * k / 2, height * k / 2
        x = _clamp(photo.width * (0.5 + (focus[0] - 0.5) * u), half_w, photo.width - half_w)
        y = _clamp(photo.height * (0.5 + (focus[1] - 0.5) * u), half_h, photo.height - half_h)
        box = (x - half_w, y - half_h, x + half_w, y + half_h)
        return np.asarray(photo.resize(size, Image.Resampling.BOX, box=box))

    return lazy_clip(frame, size, duration)


def still_clip(pixels: np.ndarray, duration: float) -> VideoClip:
    """Return a clip showing the same picture for ``duration`` seconds."""
    return ImageClip(pixels, duration=duration)


def crossfade_sequence(clips: Sequence[VideoClip], fade: float) -> VideoClip:
    """Play clips back to back, each fading in over the last ``fade`` seconds of the one before; end on black.

    moviepy's ``CrossFadeIn`` inside a ``CompositeVideoClip`` gives the same picture, but blends
    full-frame float masks on every frame; here only the frames inside a fade are blended.
    """
    starts = [0.0]
    for clip in clips[:-1]:
        starts.append(starts[-1] + clip.duration - fade)
    total = starts[-1] + clips[-1].duration

    def frame(t: float) -> np.ndarray:
        i = max(0, bisect.bisect_right(starts, t) - 1)
        local = t - starts[i]
        current = clips[i].get_frame(min(local, clips[i].duration))
        if i and local < fade:
            current = mix(clips[i - 1].get_frame(t - starts[i - 1]), current, local / fade)
        if fade and total - t < fade:
            current = dim(current, (total - t) / fade)
        return current

    return lazy_clip(frame, clips[0].size, total)


def mix(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """Return ``a`` cross-faded towards ``b`` by ``weight`` (0..1), in 8-bit fixed point."""
    w = round(min(1.0, max(0.0, weight)) * 256)
    out = a.astype(np.int16)
    step = b.astype(np.int16)
    step -= out
    step *= w
    step >>= 8
    out += step
    return out.astype(np.uint8)


def dim(frame: np.ndarray, level: float) -> np.ndarray:
    """Return ``frame`` faded towards black (``level`` 1 = unchanged, 0 = black)."""
    out = frame.astype(np.uint16)
    out *= round(min(1.0, max(0.0, level)) * 256)
    out >>= 8
    return out.astype(np.uint8)


# --- a story video as a moviepy clip ----------------------------------------------------------------

def video_clip(path: Path, info: MediaInfo, crop: tuple[int, int, int, int], size: tuple[int, int],
               duration: float) -> VideoClip:
    """Return the video, upright, cropped to ``crop`` (x, y, w, h in displayed pixels) and scaled to ``size``.

    Frames are decoded in order with PyAV (in-process: no second ffmpeg), scaled by libswscale so
    the crop comes out at ``size``, and sliced with numpy.
    """
    reader = _FrameReader(path, info, crop, size)
    return lazy_clip(reader.frame_at, size, duration)


class _FrameReader:
    """Sequential access to a video's frames by time; starts over if asked for an earlier time."""

    def __init__(self, path: Path, info: MediaInfo, crop: tuple[int, int, int, int], size: tuple[int, int]):
        self.path, self.info, self.size = path, info, size
        scale = size[0] / crop[2]
        self.scaled = (max(size[0], round(info.width * scale)), max(size[1], round(info.height * scale)))
        self.offset = (min(round(crop[0] * scale), self.scaled[0] - size[0]),
                       min(round(crop[1] * scale), self.scaled[1] - size[1]))
        self.frames: Iterator[tuple[float, av.VideoFrame]] | None = None
        self.current: tuple[float, np.ndarray] | None = None
        self.upcoming: tuple[float, av.VideoFrame] | None = None

    def frame_at(self, t: float) -> np.ndarray:
        if self.frames is None or (self.current is not None and t < self.current[0]):
            self.frames, self.current, self.upcoming = _decode(self.path, self.info), None, None
            self.upcoming = next(self.frames, None)
        while self.upcoming is not None and (self.current is None or self.upcoming[0] <= t + 1e-6):
            when, frame = self.upcoming
            self.current = (when, self._picture(frame))
            self.upcoming = next(self.frames, None)
        if self.current is None:
            raise InputError(single_line(f"{self.path}: no frame could be decoded"))
        return self.current[1]

    def _picture(self, frame: av.VideoFrame) -> np.ndarray:
        width, height = self.scaled
        if self.info.rotation in (90, 270):
            width, height = height, width
        pixels = frame.reformat(width=width, height=height, format="rgb24",
                                interpolation="BICUBIC").to_ndarray()
        pixels = np.rot90(pixels, k=-self.info.rotation // 90) if self.info.rotation else pixels
        x, y = self.offset
        return np.ascontiguousarray(pixels[y:y + self.size[1], x:x + self.size[0]])


def _decode(path: Path, info: MediaInfo) -> Iterator[tuple[float, av.VideoFrame]]:
    """Yield (seconds from the first frame, frame) for the main video stream."""
    container = _open(path, info)
    with container:
        stream = container.streams[main_stream_index(info, "video")]
        first = None
        try:
            for frame in container.decode(stream):
                when = frame.time if frame.time is not None else 0.0
                first = when if first is None else first
                yield when - first, frame
        except av.FFmpegError as exc:
            raise InputError(single_line(f"{path}: cannot decode: {exc.strerror or exc}")) from None


def _open(path: Path, info: MediaInfo):
    # The demuxer probing chose, forced: nothing else (a playlist, a concat script) may read the file.
    options = {"protocol_whitelist": "file"}
    return av.open(file_arg(path), mode="r", format=demuxer(info), options=options)


def focus_map(path: Path, info: MediaInfo) -> np.ndarray:
    """Return a small upright map of where a video has detail and motion, from a few sampled frames."""
    samples = []
    container = _open(path, info)
    with container:
        stream = container.streams[main_stream_index(info, "video")]
        height = _FOCUS_HEIGHT
        width = max(2, round(height * info.width / info.height))
        if info.rotation in (90, 270):
            width, height = height, width
        duration = info.duration or 0.0
        for i in range(_FOCUS_SAMPLES):
            at = duration * (i + 0.5) / _FOCUS_SAMPLES
            try:
                if stream.time_base:
                    container.seek(int(at / stream.time_base), stream=stream)
                frame = next(container.decode(stream), None)
            except (av.FFmpegError, StopIteration):
                frame = None
            if frame is not None:
                grey = frame.reformat(width=width, height=height, format="gray").to_ndarray()
                samples.append(np.rot90(grey, k=-info.rotation // 90).astype(np.float32))
    if not samples:
        raise InputError(single_line(f"{path}: no frame could be decoded"))
    detail = sum(np.abs(np.diff(s, axis=0, prepend=s[:1])) + np.abs(np.diff(s, axis=1, prepend=s[:, :1]))
                 for s in samples) / len(samples)
    motion = (sum(np.abs(b - a) for a, b in pairwise(samples)) / (len(samples) - 1)
              if len(samples) > 1 else 0.0)
    return detail + 2.0 * motion  # what moves matters more than texture


def crop_box(source: tuple[int, int], aspect: float, scores: np.ndarray) -> tuple[int, int, int, int]:
    """Return the even-sized window of width/height ``aspect`` over ``source`` holding the most score."""
    width, height = source
    w, h = _even_window(source, aspect)
    horizontal = w < width
    profile = scores.sum(axis=0 if horizontal else 1)
    span, length = (w, width) if horizontal else (h, height)
    window = max(1, round(len(profile) * span / length))
    sums = np.convolve(profile, np.ones(window), mode="valid")
    # Of the equally good windows (a static shot, flat sides), take the one nearest the centre.
    ties = np.flatnonzero(sums >= sums.max() * (1 - 1e-6)) if len(sums) else np.zeros(1, dtype=int)
    best = int(ties[np.argmin(np.abs(ties - (len(sums) - 1) / 2))])
    start = round(best * length / len(profile))
    start = min(max(0, start - start % 2), length - span)
    return (start, 0, w, h) if horizontal else (0, start, w, h)


def focus_box(source: tuple[int, int], aspect: float, focus: tuple[float, float]) -> tuple[int, int, int, int]:
    """Return the even-sized window of width/height ``aspect`` centred on ``focus`` (fractions), inside ``source``."""
    width, height = source
    w, h = _even_window(source, aspect)
    x = round(_clamp(focus[0] * width - w / 2, 0, width - w))
    y = round(_clamp(focus[1] * height - h / 2, 0, height - h))
    return x - x % 2, y - y % 2, w, h


def _even_window(source: tuple[int, int], aspect: float) -> tuple[int, int]:
    """Return the largest even-sized (w, h) of width/height ``aspect`` that fits inside ``source``."""
    width, height = source
    if width / height > aspect:
        w, h = min(width, round(height * aspect)), height
    else:
        w, h = width, min(height, round(width / aspect))
    return max(2, w - w % 2), max(2, h - h % 2)


def _clamp(value: float, low: float, high: float) -> float:
    return low if high < low else min(max(value, low), high)
