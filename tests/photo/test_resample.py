"""Downscaling: libswscale's LANCZOS matches Pillow's, big steps and odd sizes still work."""

from __future__ import annotations

from PIL import Image

from conftest import difference
from mediapack.photo.resample import downscale_cascade


def _photo(size: tuple[int, int]) -> Image.Image:
    """A detailed RGB picture: noise over gradients, so resampling differences show."""
    noise = Image.effect_noise(size, 60).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    return Image.blend(noise, gradient, 0.5)


def test_cascade_gives_every_size_close_to_a_pillow_lanczos_resize():
    img = _photo((900, 600))
    sizes = [(600, 400), (300, 200), (160, 107)]
    out = downscale_cascade(img, sizes)
    assert sorted(out) == sorted(sizes)
    for size, result in out.items():
        assert result.mode == "RGB" and result.size == size
    # the first step is one resize from the source: it must match Pillow's LANCZOS closely
    assert difference(out[(600, 400)], img.resize((600, 400), Image.Resampling.LANCZOS)) < 1.0


def test_steps_up_to_3x_go_through_libswscale_bigger_ones_through_pillow(monkeypatch):
    pillow_steps = []
    original = Image.Image.resize

    def recording_resize(self, size, *args, **kwargs):
        pillow_steps.append((self.size, size))
        return original(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", recording_resize)
    img = _photo((1200, 800))
    pillow_steps.clear()
    out = downscale_cascade(img, [(800, 533), (400, 267), (100, 67)])  # 1.5x, 2x, then 4x
    assert sorted(out) == [(100, 67), (400, 267), (800, 533)]
    assert pillow_steps == [((400, 267), (100, 67))]


def test_cascade_is_deterministic():
    img = _photo((640, 480))
    first = downscale_cascade(img, [(320, 240), (100, 75)])
    second = downscale_cascade(img, [(100, 75), (320, 240)])
    assert all(first[size].tobytes() == second[size].tobytes() for size in first)


def test_a_size_equal_to_the_source_is_the_source():
    img = _photo((200, 100))
    assert downscale_cascade(img, [(200, 100)])[(200, 100)] is img


def test_big_steps_and_thin_or_tiny_images_are_resized():
    cases = [((2000, 1000), (100, 50)),  # 20x: Pillow's reducing gap
             ((3000, 3), (1000, 1)), ((3, 3000), (1, 1000)), ((2, 2), (1, 1))]
    for source, size in cases:
        result = downscale_cascade(_photo(source), [size])[size]
        assert result.size == size and result.mode == "RGB"


def test_a_flat_colour_stays_that_colour():
    img = Image.new("RGB", (800, 533), (200, 30, 40))
    for result in downscale_cascade(img, [(400, 267), (123, 82)]).values():
        assert result.getextrema() == ((200, 200), (30, 30), (40, 40))
