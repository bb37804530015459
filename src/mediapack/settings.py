"""Settings as frozen dataclasses, each value's rule beside it (rules.py): what mediapack.toml can set."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from .files import plain
from .rules import between, bitrate, did_you_mean, http_url, one_of, setting, uri_prefix

X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                "placebo")
H264_PROFILES = ("baseline", "main", "high")  # the 8-bit 4:2:0 profiles; renditions are yuv420p
PHOTO_FORMATS = ("jpg", "webp", "avif")
# Names a size or rung cannot take: the renditions beside them already have these file names.
RESERVED_PHOTO_NAMES = frozenset({"square", "animation", "share"})  # and crop-*: the lead picture's crops
RESERVED_VIDEO_NAMES = frozenset({"poster", "poster-webp", "thumbnails", "thumbnails-vtt", "captions", "audio",
                                  "animation", "hls", "master", "share"})
AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)  # ffmpeg's AAC


def _aac_rate(value: int) -> str | None:
    if value in AAC_RATES:
        return None
    nearest = min(AAC_RATES, key=lambda rate: abs(rate - value))
    return f"must be a sample rate AAC takes ({', '.join(map(str, AAC_RATES))}), not {value} (did you mean {nearest}?)"


@dataclass(frozen=True)
class PhotoSize:
    """One photo rendition: its name, long edge in pixels and output formats."""

    name: str
    long_edge: int
    formats: tuple[str, ...] = ("jpg",)


@dataclass(frozen=True)
class PhotoSettings:
    """The [photos] table: sizes, the square crop, encoder qualities and input limits."""

    # WebP beside every JPEG, 2048 included: the page's <picture> offers WebP in every width, so a
    # high-density screen is not left with the soft 1024 one. (Sizes are part of the cache key.)
    sizes: tuple[PhotoSize, ...] = (
        PhotoSize("large", 2048, ("jpg", "webp")),
        PhotoSize("medium", 1024, ("jpg", "webp")),
        PhotoSize("small", 640, ("jpg", "webp")),
        PhotoSize("thumb", 320, ("jpg", "webp")),
    )
    square: int = setting(300, between(0, 4096, " px"))  # edge of the square crop; 0 turns it off
    # Width of the lead picture's 16:9, 4:3 and 1:1 crops (and each video poster's), where the source
    # allows; Google asks for article images at least 1200 px wide. The share image is 1200x630 whatever it is.
    crop_width: int = setting(1200, between(320, 4096, " px"))
    jpeg_quality: int = setting(85, between(1, 95))  # Pillow: above 95 only grows files
    webp_quality: int = setting(80, between(0, 100))
    avif_quality: int = setting(60, between(0, 100))
    max_pixels: int = 100_000_000  # decompression-bomb guard
    max_bytes: int = 500_000_000  # a larger photo file is refused before it is read


@dataclass(frozen=True)
class VideoRung:
    """One rung of the ladder: its name, the short side in pixels and rate caps."""

    name: str
    height: int
    maxrate: str
    bufsize: str


@dataclass(frozen=True)
class VideoSettings:
    """The [video] table: the ladder, x264 and AAC settings, posters, sprite, loudness and input limits."""

    ladder: tuple[VideoRung, ...] = (
        VideoRung("1080p", 1080, "6M", "12M"),
        VideoRung("720p", 720, "3M", "6M"),
        VideoRung("480p", 480, "1500k", "3M"),
        VideoRung("360p", 360, "800k", "1600k"),
    )
    preset: str = setting("veryfast", one_of(*X264_PRESETS))
    # At veryfast, ladder rungs of 1080+ lines use subme 1 at crf + 0.5 (video.plan.FROM_1080).
    crf: int = setting(23, between(0, 51))
    profile: str = setting("high", one_of(*H264_PROFILES))
    audio_bitrate: str = setting("128k", bitrate(16_000, 512_000))  # AAC stereo
    audio_rate: int = setting(48000, _aac_rate)
    keyframe_seconds: float = setting(2.0, between(0.1, 20, " s"))
    max_fps: float = setting(60.0, between(1, 240))
    thumbnail_interval: float = setting(5.0, between(0.1, 3600, " s"))  # seconds between sprite tiles
    thumbnail_width: int = setting(160, between(16, 1920, " px"))
    thumbnail_columns: int = setting(5, between(1, 100))
    poster_quality: int = setting(3, between(2, 31))  # ffmpeg -q:v for the JPEG poster (2 best .. 31 worst)
    poster_webp_quality: int = setting(80, between(0, 100))  # libwebp quality for poster.webp (0 worst .. 100 best)
    # EBU R128 loudness normalisation of the audio, in the same ffmpeg pass. Off by default: it reshapes
    # the dynamics of the source's sound, which a newsroom should choose, not find.
    loudness: bool = False
    # Integrated LUFS when loudness is on; -16 suits the web.
    loudness_target: float = setting(-16.0, between(-70, -5, " LUFS"))
    # HLS (fMP4) of the ladder by stream copy beside the MP4s, in media/<id>/hls/ (video/hls.py): seconds of
    # packaging, no encode. false: not made, and the output is what it was before HLS existed.
    hls: bool = True
    # Limits for untrusted sources (audio too): beyond them a file is refused, not encoded.
    max_pixels: int = 8192 * 4320  # displayed width x height: 8K
    max_duration: float = 4 * 3600.0  # seconds
    max_bytes: int = 20_000_000_000  # a larger file is refused before it is read


@dataclass(frozen=True)
class PackageProfile:
    """A zip of the story: which output paths (glob patterns) go in it."""

    name: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class FFmpegSettings:
    """The [ffmpeg] table: which binary, its timeouts and x264 threads."""

    path: str = ""  # empty: MEDIAPACK_FFMPEG, then imageio-ffmpeg's bundled binary
    timeout: float = 600.0  # floor, in seconds, for any one ffmpeg run
    timeout_per_second: float = 20.0  # added per second of source media
    # x264 threads per encoder (the ladder gives smaller rungs fewer; 0 lets ffmpeg choose). Only 1 keeps
    # encodes byte-identical: with more, x264's maxrate/bufsize control depends on thread timing. The
    # ladder's rungs encode side by side, so on a few cores 1 costs little time (see benchmarks/README.md).
    threads: int = setting(1, between(0, 64))


def _url_or_empty(value: str) -> str | None:
    return http_url(value) if value else None


@dataclass(frozen=True)
class RightsSettings:
    """The [rights] table: the licence every item has unless its story or its front matter says another."""

    license: str = setting("", _url_or_empty)  # URL of the licence, e.g. a Creative Commons deed
    acquire_license_page: str = setting("", _url_or_empty)  # URL of the page to license the media from


def _zone_name(value: str) -> str | None:
    """Rule: empty, or a time zone the IANA database names ("Asia/Tehran")."""
    if not value:
        return None
    from .zones import load_zone, zone_names  # reads the zone database only when a zone is set

    try:
        load_zone(value)
        return None
    except (LookupError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return (f'must be a time zone like "Asia/Tehran" or "Europe/Paris", not {value!r}'
                f"{did_you_mean(value, zone_names())}")


@dataclass(frozen=True)
class PageSettings:
    """The [page] table: the zone dates are shown in, and the newsroom's own wording of any label."""

    timezone: str = setting("", _zone_name)  # used when a story's published date is written in UTC
    labels: tuple[tuple[str, str], ...] = ()  # [page.labels]: key -> text, checked by messages.label_problem


@dataclass(frozen=True)
class PublisherSettings:
    """The [publisher] table: the organisation named as publisher in the page's JSON-LD and the manifest."""

    name: str = ""  # required once the table sets anything
    url: str = setting("", _url_or_empty)  # its home page
    logo: str = setting("", _url_or_empty)  # URL of its logo (Google: a PNG/JPEG/WebP, at most 600x60 shown)


@dataclass(frozen=True)
class ManifestSettings:
    """The [manifest] table: how partners identify the story in ninjs."""

    # The story's ninjs uri is this plus its slug (a story's own ``uri:`` wins); empty: urn:mediapack:<slug>.
    uri_prefix: str = setting("", uri_prefix)


@dataclass(frozen=True)
class SigningSettings:
    """The [signing] table: who signs the renditions' Content Credentials (C2PA), and whom verify trusts.

    Only a trusted mediapack.toml (a parent folder's, or --config) may set it; paths are relative to it.
    """

    cert: str = ""  # PEM certificate chain, the signer's first; empty: MEDIAPACK_C2PA_CERT, else no signing
    key: str = field(default="", repr=False)  # its PEM private key (ES256, ES384, PS256, Ed25519), a path or text
    timestamp_url: str = setting("", _url_or_empty)  # RFC 3161 timestamp authority; empty: offline
    trust_anchors: str = ""  # PEM root certificates verify and doctor trust


def is_pem_text(value: str) -> bool:
    """Whether a [signing] value (or its environment variable) is PEM text itself rather than a file's path."""
    return "-----BEGIN" in value or "\n" in value or "\r" in value  # an openssl export starts "Bag Attributes"


@dataclass(frozen=True)
class Settings:
    """Every setting, merged from the mediapack.toml files that apply to a story."""

    photos: PhotoSettings = field(default_factory=PhotoSettings)
    video: VideoSettings = field(default_factory=VideoSettings)
    ffmpeg: FFmpegSettings = field(default_factory=FFmpegSettings)
    rights: RightsSettings = field(default_factory=RightsSettings)
    publisher: PublisherSettings = field(default_factory=PublisherSettings)
    manifest: ManifestSettings = field(default_factory=ManifestSettings)
    page: PageSettings = field(default_factory=PageSettings)
    signing: SigningSettings = field(default_factory=SigningSettings)
    packages: tuple[PackageProfile, ...] = (
        PackageProfile("web", ("index.html", "embed.html", "article.txt", "manifest.json", "media/**")),
        PackageProfile("full", ("**",)),
    )
    strict: bool = False
    # What the packages hold of the story's own files ([packages] originals): see publish/originals.py.
    originals: str = setting("sanitised", one_of("sanitised", "untouched", "none"))
    # The [compose] table and the file it came from; checked against each story (its audio_bed lives there).
    compose: tuple[Path, dict[str, Any]] | None = None
    sources: tuple[Path, ...] = ()  # the config files that were read, outermost first


# Limits a story folder's own mediapack.toml may lower but not raise: it arrives with the untrusted story.
LIMITS = ("photos.max_pixels", "photos.max_bytes", "video.max_pixels", "video.max_duration", "video.max_bytes",
          "ffmpeg.timeout", "ffmpeg.timeout_per_second")
_Limited = TypeVar("_Limited", "PhotoSettings", "VideoSettings")


def encoding_spec(video: VideoSettings) -> dict[str, Any]:
    """Return the video settings that shape encoded bytes, for cache keys: no limits, and not ``hls``, so
    switching HLS on or off re-encodes nothing (and keys stay those of the settings before it existed)."""
    spec = plain(without_limits(video))
    del spec["hls"]
    return spec


def without_limits(settings: _Limited) -> _Limited:
    """Return photo or video settings with the input limits zeroed, for cache keys: limits change no output."""
    return replace(settings, **{name: type(getattr(settings, name))(0) for name in ("max_pixels", "max_bytes",
                                "max_duration") if hasattr(settings, name)})


