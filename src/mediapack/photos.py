"""Photos: probe what Pillow sees, then write upright sRGB renditions with the credit embedded."""

from __future__ import annotations

import importlib
import io
import math
import os
import struct
import tempfile
import zlib
from functools import cache
from pathlib import Path

from PIL import Image, ImageCms, ImageFilter, ImageOps, UnidentifiedImageError

from .config import PhotoSettings, PhotoSize
from .errors import BuildError, InputError, single_line
from .manifest import write_atomic
from .metadata import splice_metadata, xmp_packet
from .model import PHOTO, MediaInfo, MediaItem, Rendition
from .resample import downscale_cascade

PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "TIFF", "AVIF", "MPO"}
_OPENERS = ("AVIF", "GIF", "JPEG", "PNG", "TIFF", "WEBP")  # Pillow opens MPO through JPEG
for _plugin in ("Avif", "Gif", "Jpeg", "Mpo", "Png", "Tiff", "WebP"):  # registering just these spares
    importlib.import_module(f"PIL.{_plugin}ImagePlugin")  # open() from importing all ~45 plugins
_ACCEPTED = "JPEG, PNG, WebP, GIF, TIFF, AVIF or MPO"
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
_TURNS = {_T.TRANSPOSE, _T.ROTATE_270, _T.TRANSVERSE, _T.ROTATE_90}  # these swap width and height
_ENCODINGS = {"jpg": ("JPEG", "image/jpeg"), "webp": ("WEBP", "image/webp"),
              "avif": ("AVIF", "image/avif")}
_METADATA_LIMIT = 2000  # characters per field, so XMP and EXIF fit in one 64 KB JPEG segment
_FOCUS_EDGE = 128  # long side, in pixels, of the copy the focal point is searched on
# libwebp effort (0-6). Measured on 1024 and 640 px photos: 2 encodes 2.2x faster than the default
# 4 for about 4% more bytes at the same quality setting; 0-1 save little more time but add 14-17%.
WEBP_METHOD = 2


def probe_photo(path: Path, max_pixels: int) -> MediaInfo | None:
    """Describe a photo as displayed; None if Pillow does not recognise the file as an image."""
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
        _load(path, img, _draft_size((width, height), 0, 0))  # a full decode finds truncation
        orientation = _orientation(img)
        fmt = img.format
    if orientation in (5, 6, 7, 8):  # the transposes in _TURNS
        width, height = height, width
    return MediaInfo(path=path, kind=PHOTO, format=fmt, width=width, height=height,
                     rotation=_ORIENTATIONS.get(orientation, (None, 0))[1],
                     size_bytes=path.stat().st_size, bit_depth=bit_depth)


def make_photo_renditions(item: MediaItem, source: Path, out_root: Path, settings: PhotoSettings
                          ) -> tuple[tuple[Rendition, ...], tuple[int, int] | None]:
    """Write the size renditions and square crop of one photo; return them and its focal point."""
    stored, transpose, full = _decode(source, settings)
    plan = _plan_sizes(settings.sizes, full)
    edge = min(settings.square, *full)
    targets = [dims for _, dims in plan]
    if not targets or edge > min(max(targets)):  # the square needs more than any size
        targets.append(stored.size[::-1] if transpose in _TURNS else stored.size)
    images = _cascade(stored, transpose, targets)
    box, poi = _focus(images, full)
    exif, xmp = _credit_metadata(item)
    folder = out_root / "media" / item.id
    folder.mkdir(parents=True, exist_ok=True)
    renditions = []
    for size, dims in plan:
        for ext in sorted(size.formats, key=list(_ENCODINGS).index):
            name = size.name if ext == "jpg" else f"{size.name}-{ext}"
            renditions.append(_write(images[dims], out_root, folder / f"{size.name}.{ext}", name,
                                     ext, settings, exif, xmp))
    if edge > 0:
        crop = _square(images, full, box, edge)
        renditions.append(_write(crop, out_root, folder / "square.jpg", "square", "jpg", settings,
                                 exif, xmp))
    return tuple(renditions), poi


def _decode(source: Path, settings: PhotoSettings
            ) -> tuple[Image.Image, Image.Transpose | None, tuple[int, int]]:
    """Return sRGB pixels as stored (JPEG: drafted), the transpose to upright, and the upright size."""
    try:
        img = _open(source, settings.max_pixels, _OPENERS)
    except UnidentifiedImageError:
        raise InputError(f"{source}: not a readable photo; use {_ACCEPTED}") from None
    with img:
        stored = _check_pixels(source, img, settings.max_pixels)
        long_side, short_side = max(stored), min(stored)
        fitting = [s.long_edge for s in settings.sizes if s.long_edge <= long_side]
        need_long = max(fitting, default=long_side)
        need_short = min(settings.square, short_side)
        _load(source, img, _draft_size(stored, need_long, need_short))
        orientation = _orientation(img)
        rgb = _to_srgb(source, img)
    transpose, _ = _ORIENTATIONS.get(orientation, (None, 0))
    rgb.info = {}  # nothing from the source (EXIF, GPS, XMP, ICC) may reach a rendition
    return rgb, transpose, stored[::-1] if transpose in _TURNS else stored


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
        raise InputError(f"{path}: corrupt or truncated {fmt} image ({single_line(str(exc), 120)})"
                         ) from None


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(0x0112, 1)
    except _DECODE_ERRORS:
        return 1
    return value if value in _ORIENTATIONS else 1


def _to_srgb(path: Path, img: Image.Image) -> Image.Image:
    """Convert any mode to 8-bit sRGB: 16-bit scaled, palette expanded, ICC applied, alpha on white."""
    icc = img.info.get("icc_profile")
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


def _apply_icc(img: Image.Image, icc: bytes | None) -> Image.Image | None:
    """Transform through the embedded profile to sRGB; None when there is none or it is unusable."""
    if not icc or img.mode not in ("RGB", "CMYK", "L"):
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
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
    return next((fmt for magic, fmt in _MAGIC if head.startswith(magic)), None)


def _plan_sizes(sizes: tuple[PhotoSize, ...], full: tuple[int, int]
                ) -> list[tuple[PhotoSize, tuple[int, int]]]:
    """Pair each size that fits inside the photo with its pixel size; never upscale."""
    long_side = max(full)
    fitting = [s for s in sizes if s.long_edge <= long_side]
    if not fitting and sizes:  # smaller than every size: the smallest one, at the photo's own size
        return [(min(sizes, key=lambda s: s.long_edge), full)]
    return [(s, _fit(full, s.long_edge)) for s in fitting]


def _fit(full: tuple[int, int], long_edge: int) -> tuple[int, int]:
    scale = long_edge / max(full)
    return max(1, round(full[0] * scale)), max(1, round(full[1] * scale))


def _cascade(stored: Image.Image, transpose: Image.Transpose | None, targets: list[tuple[int, int]]
             ) -> dict[tuple[int, int], Image.Image]:
    """Resize to every upright target in the stored orientation, then turn each result upright."""
    turned = transpose in _TURNS
    scaled = downscale_cascade(stored, [dims[::-1] if turned else dims for dims in targets])
    return {(size[::-1] if turned else size): (img.transpose(transpose) if transpose is not None else img)
            for size, img in scaled.items()}


def _focus(images: dict[tuple[int, int], Image.Image], full: tuple[int, int]
           ) -> tuple[tuple[float, float, float, float], tuple[int, int]]:
    """Find the most detailed square (spanning the short side) and the focal point inside it.

    Returns the square as a box and the focal point, both in full displayed pixels. Detail is the
    entropy of an edge map of a small grey copy (made from the smallest rendition that is big
    enough), so smooth gradients score low.
    """
    big_enough = [img for img in images.values() if max(img.size) >= _FOCUS_EDGE]
    src = min(big_enough or images.values(), key=lambda img: img.width)
    small = src.convert("L").reduce(max(1, max(src.size) // _FOCUS_EDGE))
    if min(small.size) >= 3:  # the filter leaves a one-pixel frame unfiltered: blank it
        small = ImageOps.expand(ImageOps.crop(small.filter(ImageFilter.FIND_EDGES), 1), 1, fill=0)
    side = min(small.size)
    square = _max_entropy_window(small, (0, 0, *small.size), side)
    spot = _max_entropy_window(small, square, max(1, side // 2))
    fx, fy = full[0] / small.width, full[1] / small.height
    box = (square[0] * fx, square[1] * fy, square[2] * fx, square[3] * fy)
    poi = (min(full[0] - 1, int((spot[0] + spot[2]) / 2 * fx)),
           min(full[1] - 1, int((spot[1] + spot[3]) / 2 * fy)))
    return box, poi


def _max_entropy_window(img: Image.Image, within: tuple[int, int, int, int], side: int
                        ) -> tuple[int, int, int, int]:
    """Return the ``side``-square inside ``within`` with the most entropy; ties go to the centre."""
    left, top, right, bottom = within
    side = min(side, right - left, bottom - top)
    xs = _positions(left, right - side)
    ys = _positions(top, bottom - side)
    cx, cy = (left + right - side) / 2, (top + bottom - side) / 2
    best = max((round(img.crop((x, y, x + side, y + side)).entropy(), 6), -abs(x - cx) - abs(y - cy),
                x, y) for x in xs for y in ys)
    return best[2], best[3], best[2] + side, best[3] + side


def _positions(low: int, high: int, steps: int = 24) -> list[int]:
    step = max(1, math.ceil((high - low) / steps))
    return sorted({*range(low, high + 1, step), high})


def _square(images: dict[tuple[int, int], Image.Image], full: tuple[int, int],
            box: tuple[float, float, float, float], edge: int) -> Image.Image:
    """Crop the square ``box`` (full pixels) to ``edge`` pixels from the smallest image big enough."""
    src = min((img for img in images.values() if min(img.size) >= edge), key=lambda img: img.width)
    scale = src.width / full[0]
    limits = (src.width, src.height) * 2
    scaled = tuple(min(v * scale, limit) for v, limit in zip(box, limits, strict=True))
    return src.resize((edge, edge), Image.Resampling.LANCZOS, box=scaled, reducing_gap=3.0)


def _credit_metadata(item: MediaItem) -> tuple[Image.Exif | None, bytes | None]:
    """Build the EXIF (ImageDescription, Artist, Copyright) and XMP that carry the credit."""
    caption, credit, creator, rights, alt = (
        (v or "")[:_METADATA_LIMIT] or None
        for v in (item.caption, item.credit, item.creator, item.copyright, item.alt))
    exif = Image.Exif()
    for tag, value in ((0x010E, caption), (0x013B, creator or credit), (0x8298, rights)):
        if value:  # UTF-8 in ASCII tags, as the Metadata Working Group recommends
            exif[tag] = value.replace("\x00", " ").encode("utf-8")
    has_any = any((caption, credit, creator, rights, alt))
    return (exif if len(exif) else None), (xmp_packet(caption, credit, creator, rights, alt)
                                           if has_any else None)


def _write(img: Image.Image, out_root: Path, path: Path, name: str, ext: str, settings: PhotoSettings,
           exif: Image.Exif | None, xmp: bytes | None) -> Rendition:
    """Encode one rendition to a temporary name beside ``path`` and move it into place."""
    fmt, content_type = _ENCODINGS[ext]
    params: dict = {"icc_profile": b""}  # untagged: the pixels are sRGB, the web's default
    if fmt == "JPEG":
        params.update(quality=settings.jpeg_quality, optimize=True, progressive=True)
    elif fmt == "WEBP":
        params.update(quality=settings.webp_quality, method=WEBP_METHOD)
    else:  # AVIF: a fixed thread count, since the encoder's output depends on it
        params.update(quality=settings.avif_quality, max_threads=1)
    if exif is not None:
        params["exif"] = exif
    if xmp is not None:
        params["xmp"] = xmp
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            img.save(fh, fmt, **params)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; renditions are published files
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, (OSError, ValueError)):
            raise BuildError(f"{path}: cannot write {fmt} rendition ({single_line(str(exc), 120)})"
                             ) from None
        raise
    return Rendition(name=name, path=path.relative_to(out_root), content_type=content_type,
                     size_bytes=path.stat().st_size, width=img.width, height=img.height)


def embed_photo_metadata(path: Path, item: MediaItem) -> None:
    """Add the item's caption, credit and rights to a JPEG or WebP rendition made without them.

    No re-encode: the file ends up byte-identical to one made with the metadata, so a cached
    pixel-only rendition plus this step gives the same bytes as a fresh build.
    """
    exif, xmp = _credit_metadata(item)
    if exif is not None or xmp is not None:
        write_atomic(path, splice_metadata(path.read_bytes(), exif.tobytes() if exif is not None else None, xmp))


def decode_upright(source: Path, long_edge: int, max_pixels: int) -> Image.Image:
    """Decode a photo as displayed (upright, sRGB), JPEGs drafted no smaller than ``long_edge``."""
    stored, transpose, _ = _decode(source, PhotoSettings(sizes=(PhotoSize("decode", long_edge),), square=0,
                                                         max_pixels=max_pixels))
    return stored.transpose(transpose) if transpose is not None else stored
