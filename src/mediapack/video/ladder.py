"""The video ladder: one ffmpeg run writes the H.264 rungs, posters and thumbnail sprite; audio goes to M4A."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import InputError, single_line
from ..ffmpeg import FFmpeg, encoders
from ..files import write_atomic
from ..model import VIDEO, MediaInfo, MediaItem, Rendition, rendition_dir
from ..settings import Settings
from .outputs import M4A, MP4, encode_to_files, image_rendition, measure_mp4, text_rendition
from .plan import SpriteLayout, build_audio_args, build_ladder_args, ladder_for, sprite_layout
from .webvtt import timestamp, write_webvtt


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
                    ff: FFmpeg, on_progress: Callable[[float], None] | None = None, *,
                    language: str = "en") -> tuple[Rendition, ...]:
    """Write the ladder, posters, thumbnail sprite and tracks of one video (subtitles in ``language``) into media/<id>/."""
    source = story_folder / item.file
    if info.kind != VIDEO or not info.width or not info.height:
        raise InputError(single_line(f"{source}: not a video"))
    rel = rendition_dir(item.id)
    folder = out_root / rel
    folder.mkdir(parents=True, exist_ok=True)
    ladder = ladder_for(info, settings.video)
    files = {rung.name: f"{rung.name}.mp4" for rung, _, _ in ladder}
    files["poster"] = "poster.jpg"
    if "libwebp" in encoders(ff):  # optional in an ffmpeg of the user's choosing (see `mediapack doctor`)
        files["poster-webp"] = "poster.webp"
    files["thumbnails"] = "thumbnails.jpg"
    partials = {name: folder / f"{file}.partial" for name, file in files.items()}
    captions = _captions(item, story_folder, folder, rel, language)  # bad subtitles fail before the long encode
    args = build_ladder_args(source, info, ladder, partials, settings, poster_at=_poster_time(item, info))
    encode_to_files(ff, args, source, info.duration, settings, on_progress,
                    {partials[n]: folder / f for n, f in files.items()})
    layout = sprite_layout(info, settings.video)
    write_atomic(folder / "thumbnails.vtt", thumbnails_vtt(layout, info.duration or 0.0).encode("utf-8"))
    renditions = [measure_mp4(rung.name, folder / files[rung.name], rel, MP4) for rung, _, _ in ladder]
    renditions += [image_rendition(name, folder / files[name], rel, "poster") for name in ("poster", "poster-webp")
                   if name in files]
    renditions += [image_rendition("thumbnails", folder / "thumbnails.jpg", rel, "thumbnails"),
                   text_rendition("thumbnails-vtt", folder / "thumbnails.vtt", rel, "thumbnails")]
    return tuple(renditions + captions)


def package_audio(item: MediaItem, info: MediaInfo, story_folder: Path, out_root: Path, settings: Settings,
                  ff: FFmpeg, on_progress: Callable[[float], None] | None = None, *,
                  language: str = "en") -> tuple[Rendition, ...]:
    """Write an audio item as AAC stereo ``audio.m4a`` (and its captions) into media/<id>/."""
    source = story_folder / item.file
    rel = rendition_dir(item.id)
    folder = out_root / rel
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / "audio.m4a"
    partial = folder / "audio.m4a.partial"
    captions = _captions(item, story_folder, folder, rel, language)
    args = build_audio_args(source, info, partial, settings)
    encode_to_files(ff, args, source, info.duration, settings, on_progress, {partial: final})
    return (measure_mp4("audio", final, rel, M4A), *captions)


def _captions(item: MediaItem, story_folder: Path, folder: Path, rel: Path, language: str) -> list[Rendition]:
    if not item.subtitles:
        return []
    dest = write_webvtt(story_folder / item.subtitles, folder / "captions.vtt", language)
    return [text_rendition("captions", dest, rel, "captions")]


def _poster_time(item: MediaItem, info: MediaInfo) -> float | None:
    if item.poster_at is None:
        return None
    last = max(0.0, (info.duration or 0.0) - 2 / (info.frame_rate or 25.0))
    return min(max(0.0, item.poster_at), last)
