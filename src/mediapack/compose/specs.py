"""What decides a composition's bytes, for its cache key: settings, ffmpeg, fonts and every input."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..ffmpeg import FFmpeg
from ..files import file_digest
from ..model import BuiltMedia, ComposeRequest, MediaItem, Story
from ..settings import Settings, encoding_spec
from .fonts import FONTS, font_file


def slideshow_spec(story: Story, photos: Sequence[BuiltMedia], request: ComposeRequest, settings: Settings,
                   ff: FFmpeg) -> dict:
    """Return every input that decides the slideshow's bytes, for the rendition cache key."""
    bed = story.folder / request.audio_bed if request.audio_bed else None
    return {**_common_spec(settings, ff), "seconds_per_photo": request.seconds_per_photo,
            "formats": request.formats,
            "title": (story.headline, story.byline, story.section, story.language),  # names listed as it lists
            "photos": [(file_digest(story.folder / b.item.file), b.item.caption, b.item.credit, b.poi)
                       for b in photos],
            "audio_bed": file_digest(bed) if bed else None}


def social_spec(item: MediaItem, story_folder: Path, settings: Settings, ff: FFmpeg) -> dict:
    """Return what, besides the video's bytes, decides its social cuts' bytes, for the rendition cache key."""
    subtitles = file_digest(story_folder / item.subtitles) if item.subtitles else None
    return {**_common_spec(settings, ff), "credit": item.credit, "subtitles": subtitles, "focus": item.focus}


def _common_spec(settings: Settings, ff: FFmpeg) -> dict:
    fonts = [file_digest(font_file(name)) for name in FONTS]
    return {"video": encoding_spec(settings.video), "threads": settings.ffmpeg.threads, "ffmpeg": ff.version,
            "fonts": fonts}


