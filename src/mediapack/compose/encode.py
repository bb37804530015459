"""Encoding a composition: its moviepy frames, checked and handed to video.frames, and its progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from itertools import islice
from pathlib import Path

import numpy as np
from moviepy import VideoClip

from ..errors import BuildError
from ..ffmpeg import FFmpeg
from ..settings import Settings
from ..video.frames import AudioTrack, encode_frames


def encode_clip(clip: VideoClip, frames: int, fps: Fraction, size: tuple[int, int], target: Path,
                settings: Settings, ff: FFmpeg, source: Path, audio: AudioTrack | None,
                on_progress: Callable[[float], None] | None) -> None:
    """Pipe ``frames`` frames of ``clip`` into ffmpeg; the file appears only when complete."""
    # Half a frame of slack, so iter_frames' int(duration * fps) cannot round the last frame away.
    clip = clip.with_duration(float((frames + Fraction(1, 2)) / fps))
    chunks = _frame_bytes(islice(clip.iter_frames(fps=float(fps), dtype="uint8"), frames), size)
    encode_frames(chunks, size, fps, float(frames / fps), target, settings, ff, source, audio, on_progress)


def _frame_bytes(frames: Iterator[np.ndarray], size: tuple[int, int]) -> Iterator[memoryview]:
    for frame in frames:
        # A frame of another size would shift every later one in the raw stream: fail instead.
        if frame.shape != (size[1], size[0], 3):
            raise BuildError(f"composition frame is {frame.shape[1]}x{frame.shape[0]}, "
                             f"not {size[0]}x{size[1]}")
        yield np.ascontiguousarray(frame).data


def progress_part(on_progress: Callable[[float], None] | None, index: int, count: int
                  ) -> Callable[[float], None] | None:
    """Report the ``index``-th of ``count`` equal parts of a job as a share of the whole."""
    if on_progress is None:
        return None
    return lambda fraction: on_progress((index + fraction) / count)
