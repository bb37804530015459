"""The story, its media and what the build makes of them, as frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

PHOTO, VIDEO, AUDIO = "photo", "video", "audio"
# The roles of a rendition that is a picture of the item (credited in its metadata, signed when set up).
PICTURE_ROLES = frozenset({"rendition", "poster", "thumbnails", "crop"})
MEDIA_DIR = Path("media")  # every item's renditions sit in media/<id>/ of the story's output


def rendition_dir(media_id: str) -> Path:
    """Return the folder of an item's renditions, relative to the story's output: ``media/<id>``."""
    return MEDIA_DIR / media_id


def lead_item_id(infos: Mapping[str, MediaInfo]) -> str | None:
    """Return the id of the item whose picture leads the story: the first photo, else the first video."""
    return next((i for i, info in infos.items() if info.kind == PHOTO),
                next((i for i, info in infos.items() if info.kind == VIDEO), None))


@dataclass(frozen=True)
class ComposeRequest:
    """What the story (or mediapack.toml) asks to compose; everything is off unless asked for."""

    slideshow: bool = False
    social: bool = False
    seconds_per_photo: float = 5.0
    audio_bed: Path | None = None  # relative to the story folder
    formats: tuple[str, ...] = ("16x9", "9x16")  # of the slideshow; social cuts are 9x16 and 1x1


@dataclass(frozen=True)
class MediaItem:
    """One entry of the front matter's ``media`` list, metadata fallback applied."""

    id: str
    file: Path  # relative to the story folder, already checked to stay inside it
    caption: str | None = None
    credit: str | None = None
    alt: str | None = None
    creator: str | None = None
    copyright: str | None = None
    subtitles: Path | None = None  # relative to the story folder
    poster_at: float | None = None
    license: str | None = None  # URL of the licence (item, else story, else [rights] in mediapack.toml)
    acquire_license_page: str | None = None  # URL of the page to license it from
    focus: tuple[float, float] | None = None  # the subject, as fractions (x, y) of the upright picture


@dataclass(frozen=True)
class Publisher:
    """The organisation that publishes the story ([publisher] in mediapack.toml), for JSON-LD and ninjs."""

    name: str
    url: str | None = None
    logo: str | None = None  # URL of its logo


@dataclass(frozen=True)
class Story:
    """A parsed, validated story folder."""

    folder: Path  # absolute
    source: Path  # absolute path of story.md
    headline: str
    slug: str
    body: str  # Markdown, with ``![[id]]`` placement lines still in it
    standfirst: str | None = None
    byline: tuple[str, ...] = ()  # the authors' names
    byline_urls: tuple[tuple[str, str], ...] = ()  # (name, url) of each author the byline gives a URL for
    section: str | None = None
    published: datetime | None = None  # timezone-aware
    updated: datetime | None = None
    language: str = "en"
    direction: str | None = None  # "rtl" or "ltr" from the front matter's dir; None: the language's own
    zone: tzinfo | None = None  # the offset ``published`` was written with (+03:30); None: UTC or none given
    copyright: str | None = None
    license: str | None = None  # the default of every item's licence URL
    acquire_license_page: str | None = None
    media: tuple[MediaItem, ...] = ()
    compose: ComposeRequest | None = None  # compositions asked for; None: none
    uri: str | None = None  # the stable ninjs identifier (front matter, else [manifest] uri_prefix + slug)
    subjects: tuple[str, ...] = ()  # IPTC Media Topic codes, e.g. "medtop:20000763"
    publisher: Publisher | None = None  # from [publisher] in mediapack.toml

    def item(self, media_id: str) -> MediaItem:
        """Return the media item with this id."""
        return next(m for m in self.media if m.id == media_id)


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a media file as PyAV sees it."""

    index: int
    type: str  # "video" | "audio" | "subtitle" | "data"
    codec: str
    default: bool = False


@dataclass(frozen=True)
class MediaInfo:
    """What probing found: the kind of media and its displayed properties."""

    path: Path
    kind: str  # PHOTO | VIDEO | AUDIO
    format: str  # container or image format, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "JPEG"
    width: int = 0  # displayed width (rotation and pixel aspect applied)
    height: int = 0
    duration: float | None = None  # seconds
    video_codec: str | None = None
    audio_codec: str | None = None
    frame_rate: float | None = None
    rotation: int = 0  # degrees clockwise the picture must turn to stand upright
    audio_channels: int = 0
    bit_depth: int = 8
    streams: tuple[StreamInfo, ...] = ()
    size_bytes: int = 0
    # Colour of the video as ffmpeg names it ("bt709", "bt2020", "smpte2084", ...); None: not tagged.
    color_transfer: str | None = None
    color_primaries: str | None = None
    color_space: str | None = None  # the YUV matrix, e.g. "bt709", "bt2020nc"
    still: bool = False  # a "video" of one picture (an image in a video container): never published as video
    frames: int = 0  # of an animated photo (GIF, WebP, PNG), which also becomes a looping video; 0: a still

    @property
    def has_audio(self) -> bool:
        return any(s.type == "audio" for s in self.streams)

    @property
    def is_hdr(self) -> bool:
        """True for PQ (HDR10, Dolby Vision base layers) and HLG video."""
        return self.color_transfer in ("smpte2084", "arib-std-b67")


@dataclass(frozen=True)
class Rendition:
    """One file the build wrote for a media item (or for the story, for packages)."""

    name: str  # short machine name, e.g. "720p", "medium-webp", "poster"
    path: Path  # relative to the story's output folder, e.g. media/raid-video/720p.mp4
    content_type: str  # MIME type
    size_bytes: int
    role: str = "rendition"  # "rendition" | "poster" | "thumbnails" | "captions" | "original" | "package"
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    video_codec: str | None = None  # RFC 6381 style, e.g. "avc1.640028"
    audio_codec: str | None = None
    frame_rate: float | None = None
    bitrate: int | None = None  # bits per second
    title: str = ""  # human link text, e.g. "720p MP4 · 0:15 · 2.1 MB"
    signed_by: str | None = None  # who signed its Content Credentials (C2PA); None: not signed


@dataclass(frozen=True)
class BuiltMedia:
    """A media item with its probe result and every rendition made from it."""

    item: MediaItem
    info: MediaInfo
    renditions: tuple[Rendition, ...]
    poi: tuple[int, int] | None = None  # focal point (x, y) in the displayed source
    from_cache: int = 0  # how many of the renditions were fetched from the cache, not made
    composed: bool = False  # made by the build (the slideshow), not a file of the story: downloads only


@dataclass(frozen=True)
class BuildResult:
    """What one story's build produced, for the summary and --json."""

    slug: str
    output: Path
    packages: tuple[Path, ...] = ()
    built: int = 0
    cached: int = 0
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    seconds: float = 0.0
    up_to_date: bool = False  # nothing it was made from had changed: the previous output stands
