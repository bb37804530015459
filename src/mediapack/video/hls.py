"""HLS from the ladder, by stream copy: fMP4 (CMAF) segments of every rung and of its sound, and a master.

No frame is encoded again: the rungs already share a keyframe every ``keyframe_seconds``, so ffmpeg's hls
muxer cuts each one at the same instants into segments of about six seconds. Files, in media/<id>/hls/:
``master.m3u8``; per rung ``<rung>.m3u8``, ``<rung>-init.mp4``, ``<rung>-00000.m4s``...; the sound once,
as an audio rendition group (``audio.m3u8``...) rather than muxed into every rung: Apple's authoring
specification asks for it, players switch rungs without touching the sound, and it is stored once,
not once per rung; and ``captions.m3u8``, a subtitles playlist pointing at the page's ``captions.vtt``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError, single_line
from ..ffmpeg import FFmpeg, input_args, run
from ..files import write_atomic
from ..model import Rendition
from ..settings import Settings
from .playlists import (
    Alternative,
    Variant,
    master_playlist,
    read_media_playlist,
    starting_order,
    subtitles_playlist,
)
from .tags import track_language

HLS_DIR = "hls"
MASTER = "master.m3u8"
M3U8 = "application/vnd.apple.mpegurl"
TARGET_SECONDS = 6.0  # Apple's authoring specification: target duration 6 s
_AUDIO, _CAPTIONS = "audio", "captions"  # reserved names (settings.RESERVED_VIDEO_NAMES): no rung takes them
_TYPES = {".m3u8": M3U8, ".mp4": "video/mp4", ".m4s": "video/iso.segment"}


@dataclass(frozen=True)
class Captions:
    """A video's captions.vtt and the language they are in: the subtitles file's, not always the story's."""

    rendition: Rendition
    language: str  # BCP 47, e.g. "en" of clip.en.srt
    name: str  # shown in the player's menu, e.g. "English"


def segment_seconds(keyframe_seconds: float) -> float:
    """Return the segment length: the most whole keyframe intervals that fit in 6 s (at least one)."""
    return keyframe_seconds * max(1, math.floor(TARGET_SECONDS / keyframe_seconds + 1e-9))


def build_hls_args(rungs: Sequence[tuple[str, Path]], seconds: float, language: str, *, audio: bool) -> list[str]:
    """Return argv for one ffmpeg run, in the HLS folder, that segments each rung's video and the first
    rung's audio. Its outputs are named relative to that folder: the hls muxer reads a segment name as a
    pattern, and a '%' in the folder's own path (which it cannot escape) would be read as part of one."""
    args: list[str] = []
    for _, path in rungs:
        args += input_args(path, fmt="mov")
    outputs = [(f"{index}:v:0", name) for index, (name, _) in enumerate(rungs)]
    outputs += [("0:a:0", _AUDIO)] if audio else []
    for stream, name in outputs:
        args += ["-map", stream, "-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1",
                 "-metadata:s:0", f"language={language}", "-fflags", "+bitexact",
                 "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", f"{seconds:g}", "-hls_playlist_type", "vod",
                 "-hls_flags", "independent_segments", "-hls_fmp4_init_filename", f"{name}-init.mp4",
                 "-hls_segment_filename", f"{name}-%05d.m4s", f"file:{name}.m3u8"]
    return args


def package_hls(rungs: Sequence[Rendition], captions: Captions | None, out_root: Path, language: str,
                language_label: str, settings: Settings, ff: FFmpeg,
                on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write the HLS of a video's ladder into media/<id>/hls/; return the master first, then every other file.

    ``language`` and ``language_label`` name the sound (the story's language); the captions name their own.
    """
    ranked = sorted(rungs, key=lambda r: -((r.width or 0) * (r.height or 0)))
    rel = ranked[0].path.parent / HLS_DIR
    folder = out_root / rel
    folder.mkdir(parents=True, exist_ok=True)
    duration = ranked[0].duration or 0.0
    audio = ranked[0].audio_codec is not None
    args = build_hls_args([(r.name, out_root / r.path) for r in ranked],
                          segment_seconds(settings.video.keyframe_seconds), track_language(language), audio=audio)
    timeout = settings.ffmpeg.timeout + settings.ffmpeg.timeout_per_second * duration
    run(ff, args, timeout=timeout, source=out_root / ranked[0].path, duration=duration, on_progress=on_progress,
        cwd=folder)
    variants = [_variant(folder, r) for r in ranked]
    sound = subtitles = None
    if audio:
        sound = Alternative(f"{_AUDIO}.m3u8", language, language_label,
                            read_media_playlist(folder / f"{_AUDIO}.m3u8", f"{_AUDIO}.m3u8"), ranked[0].audio_codec)
    if captions is not None:
        write_atomic(folder / f"{_CAPTIONS}.m3u8",
                     subtitles_playlist(f"../{captions.rendition.path.name}", duration).encode("utf-8"))
        subtitles = Alternative(f"{_CAPTIONS}.m3u8", captions.language, captions.name)
    write_atomic(folder / MASTER, master_playlist(starting_order(variants), sound, subtitles).encode("utf-8"))
    top = ranked[0]
    master = Rendition(name="master", path=rel / MASTER, content_type=M3U8, size_bytes=(folder / MASTER).stat().st_size,
                       role="stream", width=top.width, height=top.height, duration=top.duration,
                       video_codec=top.video_codec, audio_codec=top.audio_codec, frame_rate=top.frame_rate)
    parts = [Rendition(name=path.stem, path=rel / path.name, content_type=_TYPES[path.suffix],
                       size_bytes=path.stat().st_size, role="stream-part")
             for path in sorted(folder.iterdir()) if path.name != MASTER]
    return (master, *parts)


def _variant(folder: Path, rung: Rendition) -> Variant:
    """Describe a rung's media playlist as a variant; refuse a segment longer than the target duration."""
    playlist = read_media_playlist(folder / f"{rung.name}.m3u8", f"{rung.name}.m3u8")
    too_long = [s for s in playlist.segments if round(s.duration) > playlist.target_duration]
    if not playlist.segments or too_long:
        raise BuildError(single_line(f"{folder / playlist.uri}: ffmpeg cut no segments or segments longer "
                                     f"than the target duration ({playlist.target_duration} s)"))
    if not (rung.video_codec and rung.width and rung.height):
        raise BuildError(single_line(f"{rung.path}: no H.264 stream to package as HLS"))
    return Variant(playlist, rung.width, rung.height, rung.frame_rate, rung.video_codec)
