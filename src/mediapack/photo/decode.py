"""Decoding photos: what Pillow sees (format, displayed size, depth) and upright 8-bit sRGB pixels."""

from __future__ import annotations

import importlib
import io
import math
import struct
import warnings
import zlib
from functools import cache
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError

from ..errors import InputError, single_line
from ..model import PHOTO, MediaInfo
from ..settings import PhotoSettings, PhotoSize
from .profiles import profile_from_cicp

PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "TIFF", "AVIF", "MPO", "HEIF"}
_OPENERS = ("AVIF", "GIF", "HEIF", "JPEG", "PNG", "TIFF", "WEBP")  # Pillow opens MPO through JPEG
for _plugin in ("Avif", "Gif", "Jpeg", "Mpo", "Png", "Tiff", "WebP"):  # registering just these spares
    importlib.import_module(f"PIL.{_plugin}ImagePlugin")  # open() from importing all ~45 plugins
# iPhone photos: libheif through pillow-heif, which turns them upright (irot/imir and EXIF) as it opens them.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
# A corrupt EXIF block reads as no orientation (upright), and sanitising drops it whole (check says so):
# Pillow's UserWarning, naming its own file in site-packages, told the producer nothing more.
warnings.filterwarnings("ignore", r"(Possibly c|C)orrupt EXIF", UserWarning)
_ACCEPTED = "JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIC/HEIF or MPO"
ANIMATED_FORMATS = {"GIF", "PNG", "WEBP"}  # whose frames are an animation (an MPO's are a stereo pair)
MAX_ANIMATION_PIXELS = 1_000_000_000  # frames x width x height of an animated photo: decoding a second each
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# Pillow recognises these, but they are moving pictures: leave them to video probing.
_MOVING_FORMATS = {"MPEG", "FLI"}
_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF87a", "GIF"),
          (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, struct.error,
                  zlib.error, Image.DecompressionBombError, Image.DecompressionBombWarning)

_T = Image.Transpose
# EXIF orientation -> (transpose that makes it upright, clockwise rotation it implies)
_ORIENTATIONS = {2: (_T.FLIP_LEFT_RIGHT, 0), 3: (_T.ROTATE_180, 180), 4: (_T.FLIP_TOP_BOTTOM, 180),
                 5: (_T.TRANSPOSE, 90), 6: (_T.ROTATE_270, 90), 7: (_T.TRANSVERSE, 270),
                 8: (_T.ROTATE_90, 270)}
TURNS = {_T.TRANSPOSE, _T.ROTATE_270, _T.TRANSVERSE, _T.ROTATE_90}  # these swap width and height


def probe_photo(path: Path, max_pixels: int, *, decode: bool = True) -> MediaInfo | None:
    """Describe a photo as displayed; None if Pillow does not recognise the file as an image.

    ``decode`` decodes it through to its end (a JPEG at an eighth of its size), which finds truncation.
    """
    try:
        img = _open(path, max_pixels)
    except UnidentifiedImageError:
        if fmt := sniff_format(path):
            raise InputError(f"{path}: not a readable {fmt} image (corrupt header)") from None
        return None
    with img:
        if img.format in _MOVING_FORMATS:
            return None
        if img.format not in PHOTO_FORMATS:
            raise InputError(f"{path}: {img.format} images are not accepted; use {_ACCEPTED}")
        width, height = _check_pixels(path, img, max_pixels)
        bit_depth = _bit_depth(path, img)
        if decode:
            _load(path, img, _draft_size((width, height), 0, 0))  # a full decode finds truncation
        orientation = _orientation(img)
        fmt = img.format
        # pillow-heif turns HEIF upright as it opens it; say how far it turned, as for a JPEG.
        turned = _ORIENTATIONS.get(img.info.get("original_orientation"), (None, 0))[1] if fmt == "HEIF" else 0
        animated = fmt in ANIMATED_FORMATS and getattr(img, "is_animated", False)  # an MPO's frames are not
        delays = frame_delays(path, img) if animated else []
    if orientation in (5, 6, 7, 8):  # the transposes in TURNS
        width, height = height, width
    return MediaInfo(path=path, kind=PHOTO, format=fmt, width=width, height=height,
                     rotation=_ORIENTATIONS.get(orientation, (None, 0))[1] or turned,
                     size_bytes=path.stat().st_size, bit_depth=bit_depth, frames=len(delays),
                     duration=sum(delays) / 1000 if delays else None)


def frame_delays(path: Path, img: Image.Image) -> list[int]:
    """Return how long, in ms, each frame of an animated GIF, WebP or PNG shows; InputError if too big.

    A delay under 20 ms is shown as 100 ms, as browsers do (GIF makers wrote 0 for "as fast as you can").
    """
    frames = getattr(img, "n_frames", 1)
    if frames * img.width * img.height > MAX_ANIMATION_PIXELS:
        raise InputError(f"{path}: an animation of {frames} frames of {img.width}x{img.height} is too big to "
                         f"play as a video (over {MAX_ANIMATION_PIXELS:,} pixels in all); publish it as a video")
    delays = []
    try:
        for index in range(frames):
            img.seek(index)
            if "duration" not in img.info:
                img.load()  # WebP tells a frame's duration only once it is decoded
            delay = img.info.get("duration")
            delays.append(round(delay) if isinstance(delay, int | float) and delay >= 20 else 100)
        img.seek(0)
    except _DECODE_ERRORS as exc:
        raise InputError(f"{path}: corrupt animation ({single_line(str(exc), 120)})") from None
    return delays



def decode_srgb(source: Path, settings: PhotoSettings, crop_width: int = 0
                ) -> tuple[Image.Image, Image.Transpose | None, tuple[int, int]]:
    """Return sRGB pixels as stored (JPEG: drafted), the transpose to upright, and the upright size.

    ``crop_width``: crops that wide are made too, so the short side is decoded at least that long.
    """
    try:
        img = _open(source, settings.max_pixels, _OPENERS)
    except UnidentifiedImageError:
        raise InputError(f"{source}: not a readable photo; use {_ACCEPTED}") from None
    with img:
        stored = _check_pixels(source, img, settings.max_pixels)
        long_side, short_side = max(stored), min(stored)
        # The largest size that fits; the photo's own size when a size is above it (capped there).
        need_long = max((min(s.long_edge, long_side) for s in settings.sizes), default=long_side)
        need_short = min(max(settings.square, crop_width), short_side)
        _load(source, img, _draft_size(stored, need_long, need_short))
        orientation = _orientation(img)
        rgb = to_srgb(source, img)
    transpose, _ = _ORIENTATIONS.get(orientation, (None, 0))
    rgb.info = {}  # nothing from the source (EXIF, GPS, XMP, ICC) may reach a rendition
    return rgb, transpose, stored[::-1] if transpose in TURNS else stored


def open_photo(path: Path, max_pixels: int) -> Image.Image:
    """Open a photo lazily with the decoders mediapack accepts; any failure is an InputError."""
    try:
        return _open(path, max_pixels, _OPENERS)
    except UnidentifiedImageError:
        raise InputError(f"{path}: not a readable photo; use {_ACCEPTED}") from None


def _open(path: Path, max_pixels: int, formats: tuple[str, ...] | None = None) -> Image.Image:
    """Open a photo lazily; UnidentifiedImageError passes through, any other failure is an InputError."""
    try:
        return Image.open(path, formats=formats)
    except UnidentifiedImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{path}: image is over the pixel limit of {max_pixels}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except _DECODE_ERRORS as exc:  # e.g. a PNG text chunk inflating past Pillow's MAX_TEXT_CHUNK
        raise InputError(f"{path}: corrupt or unsafe image ({single_line(str(exc), 120)})") from None


def _check_pixels(path: Path, img: Image.Image, max_pixels: int) -> tuple[int, int]:
    width, height = img.size
    if width * height > max_pixels:
        raise InputError(f"{path}: {width}x{height} image is over the pixel limit of {max_pixels}"
                         " (photos.max_pixels)")
    if width < 1 or height < 1:
        raise InputError(f"{path}: image has no pixels")
    return width, height


def _draft_size(stored: tuple[int, int], need_long: int, need_short: int) -> tuple[int, int]:
    """Return the smallest stored-frame size that still covers the needed long and short edges."""
    scale = min(1.0, max(need_long / max(stored), need_short / min(stored)))
    return max(1, math.ceil(stored[0] * scale)), max(1, math.ceil(stored[1] * scale))


def _load(path: Path, img: Image.Image, draft: tuple[int, int]) -> None:
    """Decode the first frame (JPEG: DCT-scaled toward ``draft``); any failure is an InputError."""
    fmt = img.format
    try:
        if fmt in ("JPEG", "MPO") and draft != img.size:
            img.draft(img.mode, draft)
        img.load()
    except _DECODE_ERRORS as exc:
        said = "its data ends before the picture does" if "truncated" in str(exc) else single_line(str(exc), 120)
        raise InputError(f"{path}: corrupt or truncated {fmt} image ({said})") from None


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(0x0112, 1)
    except _DECODE_ERRORS:
        return 1
    return value if value in _ORIENTATIONS else 1


def to_srgb(path: Path, img: Image.Image) -> Image.Image:
    """Convert any mode to 8-bit sRGB: 16-bit scaled, palette expanded, ICC applied, alpha on white."""
    icc = img.info.get("icc_profile") or profile_from_cicp(img.info.get("nclx_profile"))
    try:
        if img.mode.startswith("I;16") or (img.mode == "I" and img.getextrema()[1] > 255):
            img = img.point(lambda v: v / 256, "L")
        elif img.mode in ("I", "F", "1"):
            img = img.convert("L")
        if img.mode in ("P", "PA") or "transparency" in img.info or img.mode in ("RGBa", "La"):
            has_alpha = img.mode in ("PA", "RGBa", "La") or "transparency" in img.info
            img = img.convert("RGBA" if has_alpha else "RGB")
        alpha = None
        if img.mode in ("RGBA", "LA"):
            alpha = img.getchannel("A")
            img = img.convert("RGB" if img.mode == "RGBA" else "L")
        rgb = _apply_icc(img, icc) or (img if img.mode == "RGB" else img.convert("RGB"))
    except (ValueError, OSError) as exc:
        raise InputError(f"{path}: cannot convert {img.mode} pixels to RGB ({exc})") from None
    if alpha is not None and alpha.getextrema()[0] < 255:
        canvas = Image.new("RGB", rgb.size, (255, 255, 255))
        canvas.paste(rgb, mask=alpha)
        rgb = canvas
    return rgb


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _apply_icc(img: Image.Image, icc: bytes | ImageCms.ImageCmsProfile | None) -> Image.Image | None:
    """Transform through the embedded profile to sRGB; None when there is none or it is unusable."""
    if not icc or img.mode not in ("RGB", "CMYK", "L"):
        return None
    try:
        profile = icc if isinstance(icc, ImageCms.ImageCmsProfile) else ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if img.mode == "RGB" and "sRGB" in ImageCms.getProfileDescription(profile):
            return None  # already sRGB: skip a costly near-identity transform
        transform = ImageCms.buildTransform(profile, _srgb_profile(), img.mode, "RGB",
                                            ImageCms.Intent.PERCEPTUAL)
        return ImageCms.applyTransform(img, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _bit_depth(path: Path, img: Image.Image) -> int:
    """Return bits per sample as stored (PNG header, TIFF tag), else as Pillow's mode implies."""
    if img.format == "PNG":
        with path.open("rb") as fh:
            head = fh.read(25)
        if head[12:16] == b"IHDR" and len(head) == 25:
            return head[24]
    if img.format == "HEIF" and isinstance(img.info.get("bit_depth"), int):
        return img.info["bit_depth"]
    if img.format == "TIFF":
        bits = img.tag_v2.get(258)
        if isinstance(bits, tuple) and bits and all(isinstance(b, int) for b in bits):
            return max(bits)
        if isinstance(bits, int):
            return bits
    return {"1": 1, "I": 32, "F": 32}.get(img.mode, 16 if img.mode.startswith("I;16") else 8)


def sniff_format(path: Path) -> str | None:
    """Name the photo format a file's first bytes claim, without decoding anything; None if none."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:12] in (b"ftypavif", b"ftypavis"):
        return "AVIF"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return next((fmt for magic, fmt in _MAGIC if head.startswith(magic)), None)


def decode_upright(source: Path, long_edge: int, max_pixels: int) -> Image.Image:
    """Decode a photo as displayed (upright, sRGB), JPEGs drafted no smaller than ``long_edge``."""
    stored, transpose, _ = decode_srgb(source, PhotoSettings(sizes=(PhotoSize("decode", long_edge),), square=0,
                                                         max_pixels=max_pixels))
    return stored.transpose(transpose) if transpose is not None else stored
