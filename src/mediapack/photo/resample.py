"""Downscaling for photo renditions: libswscale's LANCZOS through PyAV, Pillow for huge steps.

Pillow's LANCZOS is plain C. libswscale's is SIMD and, on the design's cascade from a drafted
24 MP JPEG (3000x2000 -> 2048 -> 1024 -> 640 -> 320), took 64 ms against Pillow's 158 ms with
the same sharpness, which is most of what separated us from libvips. BITEXACT with ACCURATE_RND
makes its output the same on every CPU, so renditions stay reproducible; the photo cache key
holds the libswscale version. PyAV is already here for probing, so this adds no dependency. The
first step briefly holds the image three times (Pillow's, packed and planar frames): for a 24 MP
PNG about 190 MB more than Pillow alone; drafted JPEGs are far smaller.
"""

from __future__ import annotations

import av
from av.video.reformatter import Interpolation
from PIL import Image

_FLAGS = Interpolation.LANCZOS | Interpolation.ACCURATE_RND | Interpolation.BITEXACT
# Above this ratio libswscale's filters get wide and slow (12000x8000 -> 2048: 1.4 s against
# Pillow's 1.0 s); Pillow's reducing gap (a box pre-reduction) handles such steps better.
_MAX_SWSCALE_RATIO = 3.0
RESAMPLER = f"libswscale {'.'.join(map(str, av.library_versions['libswscale']))}"


def downscale_cascade(img: Image.Image, sizes: list[tuple[int, int]]) -> dict[tuple[int, int], Image.Image]:
    """Resize an RGB image to every size, largest first, each step from the previous result."""
    results: dict[tuple[int, int], Image.Image] = {}
    current, frame = img, None
    for size in sorted(set(sizes), reverse=True):  # same aspect ratio: widest is largest
        if size != current.size:
            current, frame = _step(current, frame, size)
        results[size] = current
    return results


def _step(img: Image.Image, frame: av.VideoFrame | None, size: tuple[int, int]
          ) -> tuple[Image.Image, av.VideoFrame | None]:
    """Return ``img`` at ``size`` and, when libswscale made it, its planar frame for the next step."""
    if img.mode == "RGB" and max(img.width / size[0], img.height / size[1]) <= _MAX_SWSCALE_RATIO:
        try:
            # Planar RGB: packed rgb24 would be unpacked and repacked inside every scale.
            source = frame if frame is not None else av.VideoFrame.from_image(img).reformat(format="gbrp", threads=1)
            scaled = source.reformat(width=size[0], height=size[1], interpolation=_FLAGS, threads=1)
            return scaled.reformat(format="rgb24", threads=1).to_image(), scaled
        except (av.FFmpegError, ValueError):  # not expected; Pillow can always do it
            pass
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0), None
