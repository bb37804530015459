"""Photo renditions: every size and format, upright sRGB, with the square crop around the focal point."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PIL import Image

from ..errors import BuildError, single_line
from ..files import atomic_writer
from ..model import MediaItem, Rendition, rendition_dir
from ..settings import PhotoSettings, PhotoSize
from .credit import credit_metadata
from .crops import Crop, crop_box, cut, find_focus, focus_pixel
from .decode import TURNS, decode_srgb
from .resample import downscale_cascade

_ENCODINGS = {"jpg": ("JPEG", "image/jpeg"), "webp": ("WEBP", "image/webp"),
              "avif": ("AVIF", "image/avif")}
# libwebp effort (0-6). Measured on 1024 and 640 px photos: 2 encodes 2.2x faster than the default
# 4 for about 4% more bytes at the same quality setting; 0-1 save little more time but add 14-17%.
WEBP_METHOD = 2


def make_photo_renditions(item: MediaItem, source: Path, out_root: Path, settings: PhotoSettings,
                          crops: tuple[Crop, ...] = ()) -> tuple[tuple[Rendition, ...], tuple[int, int] | None]:
    """Write the size renditions, square crop and ``crops`` of one photo; return them and its focal point.

    Every crop centres on the item's ``focus`` when it has one, else on the point found automatically.
    """
    stored, transpose, full = decode_srgb(source, settings, max((c.width for c in crops), default=0))
    plan = _plan_sizes(settings.sizes, full)
    edge = min(settings.square, *full)
    targets = [dims for _, dims in plan]
    if not targets or edge > min(max(targets)) or crops:  # the square or crops need more than any size
        targets.append(stored.size[::-1] if transpose in TURNS else stored.size)
    images = _cascade(stored, transpose, targets)
    box, poi = find_focus(images, full)
    centre = (poi[0] + 0.5, poi[1] + 0.5)
    if item.focus is not None:  # a person's choice beats the search
        centre = (item.focus[0] * full[0], item.focus[1] * full[1])
        box, poi = crop_box(full, (1, 1), centre), focus_pixel(item.focus, full)
    exif, xmp, _ = credit_metadata(item)  # only AVIF takes them as it is encoded: JPEG and WebP get them spliced
    folder = out_root / rendition_dir(item.id)
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
    renditions += write_crops(images, full, centre, crops, folder, out_root, settings)
    return tuple(renditions), poi


def crop_picture(picture: Path, media_id: str, focus: tuple[float, float] | None, crops: tuple[Crop, ...],
                 out_root: Path, settings: PhotoSettings) -> tuple[Rendition, ...]:
    """Write ``crops`` of an upright sRGB picture (a video's poster) around ``focus``, else its found focal point."""
    try:
        with Image.open(picture) as opened:
            img = opened.convert("RGB")
    except (OSError, ValueError) as exc:
        raise BuildError(f"{picture}: cannot read it to crop ({single_line(str(exc), 120)})") from None
    images = {img.size: img}
    _, poi = find_focus(images, img.size)
    centre = (focus[0] * img.width, focus[1] * img.height) if focus else (poi[0] + 0.5, poi[1] + 0.5)
    return tuple(write_crops(images, img.size, centre, crops, out_root / rendition_dir(media_id), out_root,
                             settings))


def write_crops(images: dict[tuple[int, int], Image.Image], full: tuple[int, int], centre: tuple[float, float],
                crops: tuple[Crop, ...], folder: Path, out_root: Path, settings: PhotoSettings) -> list[Rendition]:
    """Write each crop around ``centre`` (full pixels) as a JPEG rendition of role "crop"."""
    return [replace(_write(cut(images, full, crop_box(full, crop.ratio, centre), crop), out_root,
                           folder / f"{crop.name}.jpg", crop.name, "jpg", settings, None, None), role="crop")
            for crop in crops]



def _plan_sizes(sizes: tuple[PhotoSize, ...], full: tuple[int, int]
                ) -> list[tuple[PhotoSize, tuple[int, int]]]:
    """Pair each size with its pixel size; never upscale.

    The sizes above the photo collapse into one rendition at the photo's own size, named after the
    smallest of them (a 1400x2000 photo gets large at 1400x2000) in every format they ask for, unless
    a size fits it exactly.
    """
    long_side = max(full)
    plan = [(s, _size_for_long_edge(full, s.long_edge)) for s in sizes if s.long_edge <= long_side]
    above = [s for s in sizes if s.long_edge > long_side]
    if above and all(size.long_edge != long_side for size, _ in plan):
        formats = tuple(f for f in _ENCODINGS if any(f in s.formats for s in above))
        plan.append((replace(min(above, key=lambda s: s.long_edge), formats=formats), full))
    return sorted(plan, key=lambda pair: -pair[0].long_edge)


def _size_for_long_edge(full: tuple[int, int], long_edge: int) -> tuple[int, int]:
    scale = long_edge / max(full)
    return max(1, round(full[0] * scale)), max(1, round(full[1] * scale))


def _cascade(stored: Image.Image, transpose: Image.Transpose | None, targets: list[tuple[int, int]]
             ) -> dict[tuple[int, int], Image.Image]:
    """Resize to every upright target in the stored orientation, then turn each result upright."""
    turned = transpose in TURNS
    scaled = downscale_cascade(stored, [dims[::-1] if turned else dims for dims in targets])
    return {(size[::-1] if turned else size): (img.transpose(transpose) if transpose is not None else img)
            for size, img in scaled.items()}


def _square(images: dict[tuple[int, int], Image.Image], full: tuple[int, int],
            box: tuple[float, float, float, float], edge: int) -> Image.Image:
    """Crop the square ``box`` (full pixels) to ``edge`` pixels from the smallest image big enough."""
    src = min((img for img in images.values() if min(img.size) >= edge), key=lambda img: img.width)
    scale = src.width / full[0]
    limits = (src.width, src.height) * 2
    scaled = tuple(min(v * scale, limit) for v, limit in zip(box, limits, strict=True))
    return src.resize((edge, edge), Image.Resampling.LANCZOS, box=scaled, reducing_gap=3.0)


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
    if fmt == "AVIF" and exif is not None:
        params["exif"] = exif
    if fmt == "AVIF" and xmp is not None:
        params["xmp"] = xmp
    try:
        with atomic_writer(path) as handle:
            img.save(handle, fmt, **params)
    except (OSError, ValueError) as exc:
        raise BuildError(f"{path}: cannot write {fmt} rendition ({single_line(str(exc), 120)})") from None
    return Rendition(name=name, path=path.relative_to(out_root), content_type=content_type,
                     size_bytes=path.stat().st_size, width=img.width, height=img.height)


