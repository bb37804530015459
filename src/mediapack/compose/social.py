"""Social cuts of the story video: cropped to 9:16 and 1:1 around the action, subtitles and credit burned in."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from ..errors import InputError, single_line
from ..ffmpeg import FFmpeg
from ..model import (
    VIDEO,
    BuiltMedia,
    MediaInfo,
    Rendition,
    rendition_dir,
)
from ..probe import main_stream_index, probe_av
from ..settings import Settings
from ..story.compose_request import FORMATS, SOCIAL_FORMATS
from ..video.frames import AudioTrack
from ..video.outputs import MP4, measure_mp4
from ..video.plan import demuxer, target_fps
from ..video.webvtt import read_subtitles
from .clips import Overlays, crop_box, focus_box, focus_map, video_clip
from .drawn import cue_intervals, read_cues
from .encode import encode_clip, progress_part
from .text import Still, boxed_text


def make_social_cuts(built: BuiltMedia, story_folder: Path, out_root: Path, settings: Settings, ff: FFmpeg,
                     on_progress: Callable[[float], None] | None = None, *,
                     language: str = "en") -> tuple[Rendition, ...]:
    """Write media/<id>/social-9x16.mp4 and social-1x1.mp4: cropped to the action (or the item's focus), subtitles burned in."""
    item = built.item
    source, info = _social_source(built, story_folder, out_root)
    cues = read_cues(read_subtitles(story_folder / item.subtitles, language)) if item.subtitles else []
    scores = None if item.focus else focus_map(source, info)
    fps = target_fps(info, settings.video)
    duration = info.duration or 0.0
    frames = max(1, math.floor(duration * fps + Fraction(1, 1000)))
    audio_index = main_stream_index(info, "audio")
    audio = AudioTrack(source, demuxer(info), audio_index) if audio_index is not None else None
    folder = out_root / rendition_dir(item.id)
    folder.mkdir(parents=True, exist_ok=True)
    renditions = []
    for index, name in enumerate(SOCIAL_FORMATS):
        width, height = FORMATS[name]
        crop = (focus_box((info.width, info.height), width / height, item.focus) if item.focus  # a person's choice
                else crop_box((info.width, info.height), width / height, scores))
        size = _shrink_to_fit(crop[2:], (width, height))
        overlays = _subtitle_overlays(cues, size)
        if (credit := boxed_text(size, item.credit or "", scale=30, anchor="top", max_lines=1)) is not None:
            overlays.append((0.0, math.inf, credit))
        clip = video_clip(source, info, crop, size, duration).with_effects([Overlays(tuple(overlays))])
        target = folder / f"social-{name}.mp4"
        encode_clip(clip, frames, fps, size, target, settings, ff, source, audio,
                    progress_part(on_progress, index, len(SOCIAL_FORMATS)))
        renditions.append(measure_mp4(f"social-{name}", target, folder.relative_to(out_root), MP4,
                                      "composition"))
    return tuple(renditions)


def _subtitle_overlays(cues: list[tuple[float, float, str]], size: tuple[int, int]
                       ) -> list[tuple[float, float, Still]]:
    """Schedule the subtitles: overlapping cues stacked in one box, each distinct box drawn once."""
    drawn: dict[tuple[str, ...], Still | None] = {}
    overlays = []
    for start, end, texts in cue_intervals(cues):
        if texts not in drawn:
            drawn[texts] = boxed_text(size, *texts, scale=46, anchor="bottom")
        if (still := drawn[texts]) is not None:
            overlays.append((start, end, still))
    return overlays


def _social_source(built: BuiltMedia, story_folder: Path, out_root: Path) -> tuple[Path, MediaInfo]:
    """Prefer the top ladder rendition: upright, constant-rate, deinterlaced, SDR, loudness-normalised."""
    ladder = [r for r in built.renditions if r.role == "rendition" and r.content_type == MP4
              and (out_root / r.path).is_file()]
    if ladder:
        top = out_root / max(ladder, key=lambda r: (r.width or 0) * (r.height or 0)).path
        return top, probe_av(top)
    source, info = story_folder / built.item.file, built.info
    if info.kind != VIDEO or not info.width or not info.height:
        raise InputError(single_line(f"{source}: not a video"))
    return source, info


def _shrink_to_fit(crop: tuple[int, int], limit: tuple[int, int]) -> tuple[int, int]:
    """Scale a crop down to fit ``limit``, never up; even sides for yuv420p."""
    scale = min(1.0, limit[0] / crop[0], limit[1] / crop[1])
    return max(2, 2 * math.floor(crop[0] * scale / 2)), max(2, 2 * math.floor(crop[1] * scale / 2))


