"""What an ffmpeg run leaves: partial files moved into place, and each output file described as a Rendition."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from PIL import Image

from ..errors import BuildError, single_line
from ..ffmpeg import FFmpeg, run
from ..model import Rendition
from ..probe import codec_strings, probe_av
from ..settings import Settings

MP4, M4A, VTT = "video/mp4", "audio/mp4", "text/vtt"


def encode_to_files(ff: FFmpeg, args: list[str], source: Path, duration: float | None, settings: Settings,
                    on_progress: Callable[[float], None] | None, moves: dict[Path, Path],
                    chunks: Iterable[bytes] | None = None) -> None:
    """Run ffmpeg into partial files and move them into place; leave no partial file behind."""
    timeout = settings.ffmpeg.timeout + settings.ffmpeg.timeout_per_second * (duration or 0.0)
    try:
        run(ff, args, timeout=timeout, source=source, duration=duration, on_progress=on_progress,
            chunks=chunks)
        for partial, final in moves.items():
            if not partial.is_file() or partial.stat().st_size == 0:
                raise BuildError(single_line(f"{source}: ffmpeg wrote no {final.name}"))
        for partial, final in moves.items():
            os.replace(partial, final)
    finally:
        for partial in moves:
            partial.unlink(missing_ok=True)


def measure_mp4(name: str, path: Path, rel: Path, content_type: str, role: str = "rendition") -> Rendition:
    """Describe a written MP4/M4A from the file itself."""
    found = probe_av(path)
    video_codec, audio_codec = codec_strings(path)
    bitrate = round(found.size_bytes * 8 / found.duration) if found.duration else None
    return Rendition(name=name, path=rel / path.name, content_type=content_type, size_bytes=found.size_bytes,
                     role=role, width=found.width or None, height=found.height or None,
                     duration=found.duration, video_codec=video_codec, audio_codec=audio_codec,
                     frame_rate=found.frame_rate, bitrate=bitrate)


def image_rendition(name: str, path: Path, rel: Path, role: str) -> Rendition:
    """Describe a written poster or sprite from the file itself."""
    with Image.open(path) as img:
        width, height = img.size
        content_type = Image.MIME[img.format]
    return Rendition(name=name, path=rel / path.name, content_type=content_type, size_bytes=path.stat().st_size,
                     role=role, width=width, height=height)


def text_rendition(name: str, path: Path, rel: Path, role: str) -> Rendition:
    """Describe a written WebVTT file."""
    return Rendition(name=name, path=rel / path.name, content_type=VTT, size_bytes=path.stat().st_size,
                     role=role)
