"""The video stage: one ffmpeg run writes the H.264 ladder, posters and thumbnail sprite; audio goes to M4A."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from PIL import Image

from .config import Settings
from .errors import BuildError, InputError, single_line
from .ffmpeg import FFmpeg, encoders, run
from .model import VIDEO, MediaInfo, MediaItem, Rendition
from .probe import codec_strings, probe_av
from .video_args import SpriteLayout, build_audio_args, build_ladder_args, ladder_for, sprite_layout
from .webvtt import timestamp, write_text, write_webvtt

MP4, M4A, VTT = "video/mp4", "audio/mp4", "text/vtt"


def thumbnails_vtt(layout: SpriteLayout, duration: float, image: str = "thumbnails.jpg") -> str:
    """Return a WebVTT thumbnail track pointing into the sprite with ``#xywh`` fragments."""
    cues = ["WEBVTT", ""]
    for i in range(layout.count):
        start, end = float(i * layout.interval), min(float((i + 1) * layout.interval), duration)
        x, y = i % layout.columns * layout.tile_width, i // layout.columns * layout.tile_height
        cues += [f"{timestamp(start)} --> {timestamp(max(end, start + 0.001))}",
                 f"{image}#xywh={x},{y},{layout.tile_width},{layout.tile_height}", ""]
    return "\n".join(cues)


def transcode_video(item: MediaItem, info: MediaInfo, story_folder: Path, out_root: Path, settings: Settings,
                    ff: FFmpeg, on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write the ladder, posters, thumbnail sprite and tracks of one video into media/<id>/."""
    source = story_folder / item.file
    if info.kind != VIDEO or not info.width or not info.height:
        raise InputError(single_line(f"{source}: not a video"))
    folder, rel = out_root / "media" / item.id, Path("media") / item.id
    folder.mkdir(parents=True, exist_ok=True)
    ladder = ladder_for(info, settings.video)
    files = {rung.name: f"{rung.name}.mp4" for rung, _, _ in ladder}
    files["poster"] = "poster.jpg"
    if "libwebp" in encoders(ff):  # optional in an ffmpeg of the user's choosing (see `mediapack doctor`)
        files["poster-webp"] = "poster.webp"
    files["thumbnails"] = "thumbnails.jpg"
    partials = {name: folder / f"{file}.partial" for name, file in files.items()}
    captions = _captions(item, story_folder, folder, rel)  # bad subtitles fail before the long encode
    args = build_ladder_args(source, info, ladder, partials, settings, poster_at=_poster_time(item, info))
    produce(ff, args, source, info.duration, settings, on_progress,
            {partials[n]: folder / f for n, f in files.items()})
    layout = sprite_layout(info, settings.video)
    write_text(folder / "thumbnails.vtt", thumbnails_vtt(layout, info.duration or 0.0))
    renditions = [measure_mp4(rung.name, folder / files[rung.name], rel, MP4) for rung, _, _ in ladder]
    renditions += [_image(name, folder / files[name], rel, "poster") for name in ("poster", "poster-webp")
                   if name in files]
    renditions += [_image("thumbnails", folder / "thumbnails.jpg", rel, "thumbnails"),
                   _text_rendition("thumbnails-vtt", folder / "thumbnails.vtt", rel, "thumbnails")]
    return tuple(renditions + captions)


def package_audio(item: MediaItem, info: MediaInfo, story_folder: Path, out_root: Path, settings: Settings,
                  ff: FFmpeg, on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write an audio item as AAC stereo ``audio.m4a`` (and its captions) into media/<id>/."""
    source = story_folder / item.file
    folder, rel = out_root / "media" / item.id, Path("media") / item.id
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / "audio.m4a"
    partial = folder / "audio.m4a.partial"
    captions = _captions(item, story_folder, folder, rel)
    args = build_audio_args(source, info, partial, settings)
    produce(ff, args, source, info.duration, settings, on_progress, {partial: final})
    return (measure_mp4("audio", final, rel, M4A), *captions)


def produce(ff: FFmpeg, args: list[str], source: Path, duration: float | None, settings: Settings,
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


def _image(name: str, path: Path, rel: Path, role: str) -> Rendition:
    with Image.open(path) as img:
        width, height = img.size
        content_type = Image.MIME[img.format]
    return Rendition(name=name, path=rel / path.name, content_type=content_type, size_bytes=path.stat().st_size,
                     role=role, width=width, height=height)


def _text_rendition(name: str, path: Path, rel: Path, role: str) -> Rendition:
    return Rendition(name=name, path=rel / path.name, content_type=VTT, size_bytes=path.stat().st_size,
                     role=role)


def _captions(item: MediaItem, story_folder: Path, folder: Path, rel: Path) -> list[Rendition]:
    if not item.subtitles:
        return []
    dest = write_webvtt(story_folder / item.subtitles, folder / "captions.vtt")
    return [_text_rendition("captions", dest, rel, "captions")]


def _poster_time(item: MediaItem, info: MediaInfo) -> float | None:
    if item.poster_at is None:
        return None
    last = max(0.0, (info.duration or 0.0) - 2 / (info.frame_rate or 25.0))
    return min(max(0.0, item.poster_at), last)
