"""The dependency set the README's path installs: moviepy works beside the Pillow override."""

from __future__ import annotations

from pathlib import Path

import av
import PIL
from moviepy import ColorClip, CompositeVideoClip, ImageClip
from PIL import Image


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2])


def test_pillow_is_the_patched_release() -> None:
    # moviepy declares pillow<12; uv's override-dependencies lifts it to >=12.3 for its security fixes.
    assert _version(PIL.__version__) >= (12, 3)


def test_moviepy_renders_a_clip_with_this_pillow(tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(still)
    background = ColorClip(size=(160, 120), color=(0, 0, 255), duration=1.0)
    overlay = ImageClip(str(still)).with_duration(1.0).with_position((10, 10)).resized(0.5)
    target = tmp_path / "clip.mp4"
    CompositeVideoClip([background, overlay]).write_videofile(
        str(target), fps=10, codec="libx264", audio=False, logger=None)
    with av.open(str(target)) as container:
        frame = next(container.decode(video=0)).to_image()
    assert frame.size == (160, 120)
    red, _green, blue = frame.getpixel((20, 15))
    assert red > 150 and blue < 100, "the resized still is composited on top"
    assert frame.getpixel((150, 110))[2] > 150, "the blue background shows elsewhere"
