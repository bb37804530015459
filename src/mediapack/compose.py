"""Compositions, made only when asked: a captioned photo slideshow and social cuts of the story video."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import islice
from pathlib import Path

import ffmpeg as ffgraph  # ffmpeg-python builds the graph; mediapack.ffmpeg runs it
import numpy as np
from moviepy import VideoClip
from PIL import Image

from .cache import file_digest
from .compose_clips import (
    Overlays,
    Pictures,
    cover_size,
    crop_box,
    crossfade_sequence,
    focus_map,
    pan_and_zoom,
    still_clip,
    video_clip,
)
from .compose_request import FORMATS, SOCIAL_FORMATS, ComposeRequest, parse_compose
from .compose_text import BOLD, REGULAR, boxed_text, font_file, lower_third, read_cues, title_card
from .config import Settings, VideoRung, without_limits
from .errors import BuildError, InputError, single_line
from .ffmpeg import FFmpeg, compile_graph, file_arg, graph_input
from .model import AUDIO, VIDEO, BuiltMedia, MediaInfo, MediaItem, Rendition, Story
from .photos import decode_upright
from .probe import main_stream_index, probe_av, probe_file
from .video import MP4, measure_mp4, produce
from .video_args import aac_options, demuxer, h264_options, target_fps  # as the ladder encodes
from .webvtt import read_subtitles

__all__ = ["ComposeRequest", "build_encode_args", "make_slideshow", "make_social_cuts", "parse_compose",
           "slideshow_spec", "slideshow_timing", "social_spec"]

FPS = 25  # of the slideshow; a social cut keeps its video's rate
TITLE_SECONDS, FADE_SECONDS, BED_FADE_SECONDS = 3.0, 0.75, 2.0


@dataclass(frozen=True)
class AudioTrack:
    """An audio stream ffmpeg lays under the frames: padded with silence or cut to fit, then faded out."""

    path: Path
    demuxer: str  # forced, as probing found it, so no other demuxer can read the file
    index: int
    fade: float = 0.0


def slideshow_timing(seconds_per_photo: float) -> tuple[int, int, int]:
    """Return the frames of the title card, of each photo and of each cross-fade."""
    return (round(min(TITLE_SECONDS, seconds_per_photo) * FPS), round(seconds_per_photo * FPS),
            round(min(FADE_SECONDS, seconds_per_photo / 4) * FPS))


def make_slideshow(story: Story, photos: Sequence[BuiltMedia], story_folder: Path, out_root: Path,
                   request: ComposeRequest, settings: Settings, ff: FFmpeg,
                   on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write media/slideshow/<format>.mp4: a title card, then each photo moving to its focus, captioned."""
    if not photos:
        raise InputError(single_line(f"{story.source}: compose.slideshow: the story has no photos"))
    bed = _audio_bed(story_folder / request.audio_bed) if request.audio_bed else None
    title, per_photo, fade = slideshow_timing(request.seconds_per_photo)
    frames = title + len(photos) * (per_photo - fade)
    folder = out_root / "media" / "slideshow"
    folder.mkdir(parents=True, exist_ok=True)
    renditions = []
    for index, name in enumerate(request.formats):
        size = FORMATS[name]
        pictures = Pictures()
        clips = [still_clip(title_card(size, story.headline, story.byline, story.section), title / FPS)]
        clips += [_photo_clip(built, story_folder, size, per_photo / FPS, pictures, settings,
                              zoom_in=n % 2 == 0) for n, built in enumerate(photos)]
        target = folder / f"{name}.mp4"
        _encode(crossfade_sequence(clips, fade / FPS), frames, Fraction(FPS), size, target, settings, ff,
                story.source, bed, _part(on_progress, index, len(request.formats)))
        renditions.append(measure_mp4(f"slideshow-{name}", target, folder.relative_to(out_root), MP4,
                                      "composition"))
    return tuple(renditions)


def make_social_cuts(item: MediaItem, info: MediaInfo, built: BuiltMedia, story_folder: Path, out_root: Path,
                     request: ComposeRequest, settings: Settings, ff: FFmpeg,
                     on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write media/<id>/social-9x16.mp4 and social-1x1.mp4: cropped to the action, subtitles burned in."""
    source, info = _social_source(item, info, built, story_folder, out_root)
    cues = read_cues(read_subtitles(story_folder / item.subtitles)) if item.subtitles else []
    scores = focus_map(source, info)
    fps = target_fps(info, settings.video)
    duration = info.duration or 0.0
    frames = max(1, math.floor(duration * fps + Fraction(1, 1000)))
    audio_index = main_stream_index(info, "audio")
    audio = AudioTrack(source, demuxer(info), audio_index) if audio_index is not None else None
    folder = out_root / "media" / item.id
    folder.mkdir(parents=True, exist_ok=True)
    renditions = []
    for index, name in enumerate(SOCIAL_FORMATS):
        width, height = FORMATS[name]
        crop = crop_box((info.width, info.height), width / height, scores)
        size = _fit(crop[2:], (width, height))
        overlays = [(start, end, still) for start, end, text in cues
                    if (still := boxed_text(size, text, scale=46, anchor="bottom")) is not None]
        if (credit := boxed_text(size, item.credit or "", scale=30, anchor="top", max_lines=1)) is not None:
            overlays.append((0.0, math.inf, credit))
        clip = video_clip(source, info, crop, size, duration).with_effects([Overlays(tuple(overlays))])
        target = folder / f"social-{name}.mp4"
        _encode(clip, frames, fps, size, target, settings, ff, source, audio,
                _part(on_progress, index, len(SOCIAL_FORMATS)))
        renditions.append(measure_mp4(f"social-{name}", target, folder.relative_to(out_root), MP4,
                                      "composition"))
    return tuple(renditions)


def slideshow_spec(story: Story, photos: Sequence[BuiltMedia], request: ComposeRequest, settings: Settings,
                   ff: FFmpeg) -> dict:
    """Return every input that decides the slideshow's bytes, for the rendition cache key."""
    bed = story.folder / request.audio_bed if request.audio_bed else None
    return {**_common_spec(settings, ff), "seconds_per_photo": request.seconds_per_photo,
            "formats": request.formats, "title": (story.headline, story.byline, story.section),
            "photos": [(file_digest(story.folder / b.item.file), b.item.caption, b.item.credit, b.poi)
                       for b in photos],
            "audio_bed": file_digest(bed) if bed else None}


def social_spec(item: MediaItem, story_folder: Path, settings: Settings, ff: FFmpeg) -> dict:
    """Return what, besides the video's bytes, decides its social cuts' bytes, for the rendition cache key."""
    subtitles = file_digest(story_folder / item.subtitles) if item.subtitles else None
    return {**_common_spec(settings, ff), "credit": item.credit, "subtitles": subtitles}


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


def _photo_clip(built: BuiltMedia, story_folder: Path, size: tuple[int, int], seconds: float,
                pictures: Pictures, settings: Settings, *, zoom_in: bool) -> VideoClip:
    """Pan and zoom over a photo towards its focal point, with its caption and credit as a lower third."""
    source = story_folder / built.item.file
    full = (built.info.width, built.info.height)
    focus = ((built.poi[0] + 0.5) / full[0], (built.poi[1] + 0.5) / full[1]) if built.poi else (0.5, 0.5)

    def load() -> Image.Image:  # once per photo and format, when its first frame is wanted
        upright = decode_upright(source, max(cover_size(full, size)), settings.photos.max_pixels)
        return upright.resize(cover_size(upright.size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)

    clip = pan_and_zoom(lambda: pictures.get(source, load), focus, size, seconds, zoom_in=zoom_in)
    caption = lower_third(size, built.item.caption, built.item.credit)
    return clip.with_effects([Overlays(((0.0, math.inf, caption),))]) if caption else clip


def _audio_bed(path: Path) -> AudioTrack:
    info = probe_file(path)
    index = main_stream_index(info, "audio") if info.kind in (AUDIO, VIDEO) else None
    if index is None:
        raise InputError(single_line(f"{path}: compose.audio_bed: has no audio stream"))
    return AudioTrack(path, demuxer(info), index, BED_FADE_SECONDS)


def _social_source(item: MediaItem, info: MediaInfo, built: BuiltMedia, story_folder: Path, out_root: Path
                   ) -> tuple[Path, MediaInfo]:
    """Prefer the top ladder rendition: upright, constant-rate, deinterlaced, SDR, loudness-normalised."""
    ladder = [r for r in built.renditions if r.role == "rendition" and r.content_type == MP4
              and (out_root / r.path).is_file()]
    if ladder:
        top = out_root / max(ladder, key=lambda r: (r.width or 0) * (r.height or 0)).path
        return top, probe_av(top)
    source = story_folder / item.file
    if info.kind != VIDEO or not info.width or not info.height:
        raise InputError(single_line(f"{source}: not a video"))
    return source, info


def _encode(clip: VideoClip, frames: int, fps: Fraction, size: tuple[int, int], target: Path,
            settings: Settings, ff: FFmpeg, source: Path, audio: AudioTrack | None,
            on_progress: Callable[[float], None] | None) -> None:
    """Pipe ``frames`` frames of ``clip`` into ffmpeg; the file appears only when complete."""
    seconds = float(frames / fps)
    partial = target.with_name(target.name + ".partial")
    args = build_encode_args(size, fps, seconds, partial, settings, audio)
    # Half a frame of slack, so iter_frames' int(duration * fps) cannot round the last frame away.
    clip = clip.with_duration(float((frames + Fraction(1, 2)) / fps))
    chunks = _frame_bytes(islice(clip.iter_frames(fps=float(fps), dtype="uint8"), frames), size)
    produce(ff, args, source, seconds, settings, on_progress, {partial: target}, chunks)


def _frame_bytes(frames: Iterator[np.ndarray], size: tuple[int, int]) -> Iterator[memoryview]:
    for frame in frames:
        # A frame of another size would shift every later one in the raw stream: fail instead.
        if frame.shape != (size[1], size[0], 3):
            raise BuildError(f"composition frame is {frame.shape[1]}x{frame.shape[0]}, "
                             f"not {size[0]}x{size[1]}")
        yield np.ascontiguousarray(frame).data


def _common_spec(settings: Settings, ff: FFmpeg) -> dict:
    fonts = [file_digest(font_file(name)) for name in (REGULAR, BOLD)]
    return {"video": without_limits(settings.video), "threads": settings.ffmpeg.threads, "ffmpeg": ff.version,
            "fonts": fonts}


def _fit(crop: tuple[int, int], limit: tuple[int, int]) -> tuple[int, int]:
    """Scale a crop down to fit ``limit``, never up; even sides for yuv420p."""
    scale = min(1.0, limit[0] / crop[0], limit[1] / crop[1])
    return max(2, 2 * math.floor(crop[0] * scale / 2)), max(2, 2 * math.floor(crop[1] * scale / 2))


def _part(on_progress: Callable[[float], None] | None, index: int, count: int
          ) -> Callable[[float], None] | None:
    if on_progress is None:
        return None
    return lambda fraction: on_progress((index + fraction) / count)
