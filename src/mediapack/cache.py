"""The rendition cache: keys (what decides each stage's bytes, credit splicing included) and the store."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compose.specs import slideshow_spec, social_spec
from .config import Settings, without_limits
from .files import file_digest
from .model import PHOTO, BuiltMedia, ComposeRequest, MediaInfo, MediaItem, Rendition, Story
from .photo.resample import RESAMPLER

if TYPE_CHECKING:
    from .ffmpeg import FFmpeg

# Bump a kind's number whenever its code changes what it writes: old entries then miss by themselves.
# photo 2: entries hold renditions without credit metadata; each build splices the credit in.
# photo 3: libswscale resampling (photo/resample.py). photo 4: sizes above a photo capped at its own size. video 3: x264 subme 1 for rungs of 1080 lines and more.
# social 1: social cuts in entries of their own (they were part of their video's). Social cuts and the
# slideshow share compose/encode.py, clips.py and text.py: a change there bumps "composition" and "social".
ALGORITHM_VERSION = {"photo": 4, "video": 3, "audio": 2, "composition": 1, "social": 1, "animation": 1}
ENTRY_FILE = "entry.json"
# Photo formats whose credit metadata is spliced in after encoding (AVIF gets it from the encoder).
_SPLICED_FORMATS = frozenset({"jpg", "webp"})
SPLICED_TYPES = frozenset({"image/jpeg", "image/webp"})


def rendition_key(kind: str, source_digest: str, spec: Any) -> str:
    """Return the cache key for one media item's renditions made with ``spec``."""
    payload = json.dumps({"kind": kind, "algorithm": ALGORITHM_VERSION[kind], "source": source_digest,
                          "spec": _plain(spec)}, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def media_key(story: Story, item: MediaItem, info: MediaInfo, settings: Settings, ff: FFmpeg | None) -> str:
    """Return an item's cache key: its source bytes, the settings that shape its files, the algorithm."""
    spec = _media_spec(story, item, info, settings, ff)
    return rendition_key(info.kind, file_digest(story.folder / item.file), spec)


def social_key(story: Story, item: MediaItem, info: MediaInfo, settings: Settings, ff: FFmpeg) -> str:
    """Return the key of a video's social cuts: what made the video's ladder, and what the cuts add to it."""
    spec = (_media_spec(story, item, info, settings, ff), social_spec(item, story.folder, settings, ff))
    return rendition_key("social", file_digest(story.folder / item.file), spec)


def animation_key(story: Story, item: MediaItem, settings: Settings, ff: FFmpeg) -> str:
    """Return the key of an animated photo's looping MP4: its bytes, the x264 settings, ffmpeg's version."""
    spec = (without_limits(settings.video), settings.ffmpeg.threads, settings.photos.max_pixels, ff.version)
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
    subtitles = file_digest(story.folder / item.subtitles) if item.subtitles else None
    video = without_limits(settings.video)
    return (video, settings.ffmpeg.threads, item.poster_at, subtitles, ff.version if ff else None)


@dataclass(frozen=True)
class CacheEntry:
    """Renditions (paths relative to the media folder) and the focal point found when they were made."""

    renditions: tuple[Rendition, ...]
    poi: tuple[int, int] | None


class RenditionCache:
    """Stores each media item's rendition files under ``root/<key[:2]>/<key>/``; ``root=None`` disables it."""

    def __init__(self, root: Path | None):
        self.root = root

    def fetch(self, key: str, media_dir: Path, rel_dir: Path) -> CacheEntry | None:
        """Copy a cached entry's files into ``media_dir`` and return it, or None on a miss."""
        if self.root is None:
            return None
        folder = self.root / key[:2] / key
        if not (folder / ENTRY_FILE).is_file():
            return None
        try:
            data = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
            renditions = tuple(_rendition(r, rel_dir) for r in data["renditions"])
            poi = tuple(data["poi"]) if data.get("poi") else None
            for rendition in renditions:
                if (folder / rendition.path.name).stat().st_size != rendition.size_bytes:
                    raise ValueError(f"{rendition.path.name}: size differs from the entry")
        except (OSError, ValueError, KeyError, TypeError):
            self._discard(folder)  # damaged (a bad disk, a partly restored CI cache): a miss, then replaced
            return None
        try:
            media_dir.mkdir(parents=True, exist_ok=True)
            for rendition in renditions:
                shutil.copyfile(folder / rendition.path.name, media_dir / rendition.path.name)
        except OSError:
            return None  # e.g. removed by a concurrent _discard: make the renditions instead
        return CacheEntry(renditions, poi)  # type: ignore[arg-type]

    def store(self, key: str, media_dir: Path, entry: CacheEntry) -> None:
        """Save the files of ``entry`` from ``media_dir``; concurrent writers of one key are harmless."""
        if self.root is None:
            return
        folder = self.root / key[:2] / key
        if (folder / ENTRY_FILE).is_file():
            return
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", dir=folder.parent))
        try:
            for rendition in entry.renditions:
                shutil.copyfile(media_dir / rendition.path.name, staging / rendition.path.name)
            data = {"renditions": [_plain(r) for r in entry.renditions], "poi": entry.poi}
            (staging / ENTRY_FILE).write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
            os.replace(staging, folder)  # atomic; fails harmlessly if another build got there first
        except OSError:
            pass
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _discard(self, folder: Path) -> None:
        """Move a damaged entry out of the way (atomically, for concurrent readers) and delete it."""
        try:
            doomed = Path(tempfile.mkdtemp(prefix=f".{folder.name[:12]}.damaged-", dir=folder.parent))
        except OSError:
            return
        try:
            os.replace(folder, doomed / folder.name)
        except OSError:
            pass  # another build discarded it first
        shutil.rmtree(doomed, ignore_errors=True)


def _plain(value: Any) -> Any:
    """Turn dataclasses, tuples and paths into JSON-ready values."""
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return value.as_posix()
    return value


def _rendition(data: dict, rel_dir: Path) -> Rendition:
    values = {f.name: data[f.name] for f in fields(Rendition) if f.name in data}
    values["path"] = rel_dir / Path(data["path"]).name
    return Rendition(**values)


