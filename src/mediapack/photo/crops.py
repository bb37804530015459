"""The focal point of a picture and the crops around it: 16:9, 4:3, 1:1 and the 1200x630 share image."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the geometry is read by the manifest, which does not load Pillow
    from PIL import Image

_FOCUS_EDGE = 128  # long side, in pixels, of the copy the focal point is searched on
SHARE = "share"  # the share image's name: what Open Graph and Twitter cards show


@dataclass(frozen=True)
class Crop:
    """One crop of a picture: its rendition name, its aspect ratio and its width where the source allows."""

    name: str
    ratio: tuple[int, int]
    width: int


def ratio_crops(width: int) -> tuple[Crop, ...]:
    """The crops search engines ask for (Google: 16:9, 4:3 and 1:1, at least 1200 px wide), ``width`` wide."""
    return tuple(Crop(f"crop-{w}x{h}", (w, h), width) for w, h in ((16, 9), (4, 3), (1, 1)))


def lead_crops(width: int) -> tuple[Crop, ...]:
    """The lead picture's crops: the three ratios, and the 1200x630 image share cards show."""
    return (*ratio_crops(width), Crop(SHARE, (40, 21), 1200))


def focus_pixel(focus: tuple[float, float], full: tuple[int, int]) -> tuple[int, int]:
    """Turn a focus given as fractions of the picture into the pixel (x, y) it falls on."""
    return min(full[0] - 1, int(focus[0] * full[0])), min(full[1] - 1, int(focus[1] * full[1]))


def crop_box(full: tuple[int, int], ratio: tuple[int, int], centre: tuple[float, float]
             ) -> tuple[float, float, float, float]:
    """Return the largest box of ``ratio`` inside the picture, centred on ``centre`` as far as it stays inside."""
    width, height = full
    if width * ratio[1] > height * ratio[0]:  # wider than the ratio: the box spans the height
        box_w, box_h = height * ratio[0] / ratio[1], float(height)
    else:
        box_w, box_h = float(width), width * ratio[1] / ratio[0]
    left = min(max(centre[0] - box_w / 2, 0.0), width - box_w)
    top = min(max(centre[1] - box_h / 2, 0.0), height - box_h)
    return left, top, left + box_w, top + box_h


def cut(images: Mapping[tuple[int, int], Image.Image], full: tuple[int, int], box: tuple[float, float, float, float],
        crop: Crop) -> Image.Image:
    """Cut ``box`` (full pixels) out at ``crop.width``, or narrower where the pictures at hand hold fewer pixels.

    It is resampled from the smallest of ``images`` (upright copies of the picture) that is big enough.
    """
    from PIL import Image
    box_w = box[2] - box[0]
    largest = max(images.values(), key=lambda img: img.width)
    width = max(1, min(crop.width, math.floor(box_w * largest.width / full[0] + 1e-6)))
    height = max(1, round(width * crop.ratio[1] / crop.ratio[0]))
    src = min((img for img in images.values() if box_w * img.width / full[0] >= width - 1e-6),
              key=lambda img: img.width)
    scale = src.width / full[0]
    limits = (src.width, src.height) * 2
    scaled = tuple(min(v * scale, limit) for v, limit in zip(box, limits, strict=True))
    return src.resize((width, height), Image.Resampling.LANCZOS, box=scaled, reducing_gap=3.0)


def find_focus(images: Mapping[tuple[int, int], Image.Image], full: tuple[int, int]
               ) -> tuple[tuple[float, float, float, float], tuple[int, int]]:
    """Find the most detailed square (spanning the short side) and the focal point inside it.

    Returns the square as a box and the focal point, both in full displayed pixels. Detail is the
    entropy of an edge map of a small grey copy (made from the smallest picture that is big
    enough), so smooth gradients score low.
    """
    from PIL import ImageFilter, ImageOps
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
