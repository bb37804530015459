"""Encoding frames made in Python (compositions, animated photos): rgb24 piped into ffmpeg, x264 as the ladder."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg as ffgraph  # ffmpeg-python builds the graph; mediapack.ffmpeg runs it

from ..ffmpeg import FFmpeg, compile_graph, file_arg, graph_input
from ..settings import Settings, VideoRung
from .outputs import encode_to_files
from .plan import aac_options, h264_options


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


def encode_frames(frames: Iterable[bytes | memoryview], size: tuple[int, int], fps: Fraction, seconds: float,
                  target: Path, settings: Settings, ff: FFmpeg, source: Path, audio: AudioTrack | None = None,
                  on_progress: Callable[[float], None] | None = None) -> None:
    """Pipe rgb24 frames of ``size`` into an H.264 MP4 at ``target``; the file appears only when complete."""
    partial = target.with_name(target.name + ".partial")
    args = build_encode_args(size, fps, seconds, partial, settings, audio)
    encode_to_files(ff, args, source, seconds, settings, on_progress, {partial: target}, frames)
