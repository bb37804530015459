"""Cache keys: what decides each stage's bytes (source, settings, algorithm version), credit splicing included."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compose.specs import slideshow_spec, social_spec
from .files import file_digest, plain
from .i18n import legacy_code_page, subtitles_language
from .model import PHOTO, BuiltMedia, ComposeRequest, MediaInfo, MediaItem, Story
from .photo.crops import Crop
from .photo.resample import RESAMPLER
from .settings import Settings, encoding_spec, without_limits

if TYPE_CHECKING:
    from .ffmpeg import FFmpeg

# Bump a kind's number whenever its code changes what it writes: old entries then miss by themselves.
# photo 2: entries hold renditions without credit metadata; each build splices the credit in.
# photo 3: libswscale resampling (photo/resample.py). photo 4: sizes above a photo capped at its own size.
# photo 5: JPEG and WebP renditions are cached without credit even beside AVIF ones (IIM is spliced too).
# video 3: x264 subme 1 for rungs of 1080 lines and more.
# social 1: social cuts in entries of their own (they were part of their video's). Social cuts and the
# slideshow share compose/encode.py, clips.py and text.py: a change there bumps "composition" and "social".
# composition 2, social 2: right-to-left text shaped and right-aligned, in Vazirmatn; ZWNJ kept; names listed
# as the story's language lists them.
# hls 1: the ladder's rungs as fMP4 HLS by stream copy (video/hls.py), in entries of their own.
# photo 6: the lead photo's crops, and focus: [x, y]. crop 1: a video poster's crops (photo/crops.py).
ALGORITHM_VERSION = {"photo": 6, "video": 3, "audio": 2, "composition": 2, "social": 2, "animation": 1,
                     "original": 1, "hls": 1, "crop": 1}
# Photo formats whose credit metadata is spliced in after encoding (AVIF gets it from the encoder).
_SPLICED_FORMATS = frozenset({"jpg", "webp"})
SPLICED_TYPES = frozenset({"image/jpeg", "image/webp"})


def rendition_key(kind: str, source_digest: str, spec: Any) -> str:
    """Return the cache key for one media item's renditions made with ``spec``."""
    payload = json.dumps({"kind": kind, "algorithm": ALGORITHM_VERSION[kind], "source": source_digest,
                          "spec": plain(spec)}, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def media_key(story: Story, item: MediaItem, info: MediaInfo, settings: Settings, ff: FFmpeg | None,
              crops: tuple[Crop, ...] = ()) -> str:
    """Return an item's cache key: its source bytes, the settings that shape its files, the algorithm.

    A photo's key also holds the crops it gets (the lead's) and its focus, which moves them.
    """
    spec = _media_spec(story, item, info, settings, ff)
    if info.kind == PHOTO:
        spec = (spec, crops, item.focus)
    return rendition_key(info.kind, file_digest(story.folder / item.file), spec)


def crop_key(picture: Path, item: MediaItem, crops: tuple[Crop, ...], settings: Settings) -> str:
    """Return the key of a picture's crops (a video's poster, as made): its bytes, the crops, the focus."""
    spec = (crops, item.focus, settings.photos.jpeg_quality, RESAMPLER)
    return rendition_key("crop", file_digest(picture), spec)


def social_key(story: Story, item: MediaItem, info: MediaInfo, settings: Settings, ff: FFmpeg) -> str:
    """Return the key of a video's social cuts: what made the video's ladder, and what the cuts add to it."""
    spec = (_media_spec(story, item, info, settings, ff), social_spec(item, story.folder, settings, ff))
    return rendition_key("social", file_digest(story.folder / item.file), spec)


def hls_key(rungs: Sequence[Path], captions_language: str | None, language: str, settings: Settings,
            ff: FFmpeg) -> str:
    """Return the key of a video's HLS: the bytes of the rungs it is cut from (however they were made),
    the keyframe interval its segments follow, its captions' language (None: no captions), the sound's, ffmpeg."""
    spec = {"rungs": [(path.name, file_digest(path)) for path in rungs], "captions": captions_language,
            "keyframe_seconds": settings.video.keyframe_seconds, "language": language, "ffmpeg": ff.version}
    return rendition_key("hls", "", spec)


def animation_key(story: Story, item: MediaItem, settings: Settings, ff: FFmpeg) -> str:
    """Return the key of an animated photo's looping MP4: its bytes, the x264 settings, ffmpeg's version."""
    spec = (encoding_spec(settings.video), settings.ffmpeg.threads, settings.photos.max_pixels, ff.version)
    return rendition_key("animation", file_digest(story.folder / item.file), spec)


def slideshow_key(story: Story, photos: Sequence[BuiltMedia], request: ComposeRequest, settings: Settings,
                  ff: FFmpeg) -> str:
    """Return the slideshow's key: every photo and text it shows, its settings and fonts."""
    return rendition_key("composition", "", slideshow_spec(story, photos, request, settings, ff))


def credit_is_spliced(settings: Settings) -> bool:
    """Whether photo renditions are cached without credit metadata, which is added on every build."""
    return all(fmt in _SPLICED_FORMATS for size in settings.photos.sizes for fmt in size.formats)


def without_credit(item: MediaItem) -> MediaItem:
    """Return the item without the text that photo renditions embed, so a caption edit is not a cache miss."""
    return replace(item, caption=None, credit=None, creator=None, copyright=None, alt=None)


def _media_spec(story: Story, item: MediaItem, info: MediaInfo, settings: Settings, ff: FFmpeg | None) -> object:
    if info.kind == PHOTO:
        spec: object = (without_limits(settings.photos), RESAMPLER)  # the resampler's version changes output
        if not credit_is_spliced(settings):
            spec = (spec, item.caption, item.credit, item.creator, item.copyright, item.alt)
        return spec
    # The code page a subtitle file not in UTF-8 is read in follows its language (see webvtt.text_encoding).
    subtitles = ((file_digest(story.folder / item.subtitles),
                  legacy_code_page(subtitles_language(item.subtitles, story.language))) if item.subtitles else None)
    video = encoding_spec(settings.video)
    return (video, settings.ffmpeg.threads, item.poster_at, subtitles, ff.version if ff else None)
