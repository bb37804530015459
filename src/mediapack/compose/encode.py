"""Encoding a composition: moviepy frames piped into ffmpeg with the ladder's x264 settings, and its audio."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from itertools import islice
from pathlib import Path

import ffmpeg as ffgraph  # ffmpeg-python builds the graph; mediapack.ffmpeg runs it
import numpy as np
from moviepy import VideoClip

from ..config import Settings, VideoRung
from ..errors import BuildError
from ..ffmpeg import FFmpeg, compile_graph, file_arg, graph_input
from ..video.outputs import encode_to_files
from ..video.plan import aac_options, h264_options  # as the ladder encodes


@dataclass(frozen=True)
class AudioTrack:
    """An audio stream ffmpeg lays under the frames: padded with silence or cut to fit, then faded out."""

    path: Path
    demuxer: str  # forced, as probing found it, so no other demuxer can read the file
    index: int
    fade: float = 0.0



def build_encode_args(size: tuple[int, int], fps: Fraction, seconds: float, target: Path, settings: Settings,
                      audio: AudioTrack | None = None) -> list[str]:
    """Return argv encoding rgb24 frames read from stdin, and ``audio``, with the ladder's x264 settings."""
    width, height = size
    frames_in = ffgraph.input("pipe:0", f="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}",
                              framerate=str(fps), protocol_whitelist="pipe")
    picture = (frames_in.video.filter("scale", out_color_matrix="bt709", out_range="tv")
               .filter("format", "yuv420p").filter("setsar", "1"))
    # The rate caps of the ladder rung this size would sit on.
    rung = min((r for r in settings.video.ladder if r.height >= min(size)), key=lambda r: r.height,
               default=VideoRung("composition", min(size), "0", "0"))
    options = h264_options(rung, fps, settings.video, settings.ffmpeg.threads)
    streams = [picture]
    if audio is not None:
        sound = (graph_input(audio.path, fmt=audio.demuxer)[str(audio.index)]
                 .filter("apad").filter("atrim", end=f"{seconds:.3f}"))
        if audio.fade:
            start = max(0.0, seconds - audio.fade)
            sound = sound.filter("afade", t="out", st=f"{start:.3f}", d=f"{audio.fade:.3f}")
        streams.append(sound)
        options.update(aac_options(settings.video))
    else:
        options["an"] = None
    return compile_graph(ffgraph.output(*streams, file_arg(target), **options))


def encode_clip(clip: VideoClip, frames: int, fps: Fraction, size: tuple[int, int], target: Path,
                settings: Settings, ff: FFmpeg, source: Path, audio: AudioTrack | None,
                on_progress: Callable[[float], None] | None) -> None:
    """Pipe ``frames`` frames of ``clip`` into ffmpeg; the file appears only when complete."""
    seconds = float(frames / fps)
    partial = target.with_name(target.name + ".partial")
    args = build_encode_args(size, fps, seconds, partial, settings, audio)
    # Half a frame of slack, so iter_frames' int(duration * fps) cannot round the last frame away.
    clip = clip.with_duration(float((frames + Fraction(1, 2)) / fps))
    chunks = _frame_bytes(islice(clip.iter_frames(fps=float(fps), dtype="uint8"), frames), size)
    encode_to_files(ff, args, source, seconds, settings, on_progress, {partial: target}, chunks)


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
