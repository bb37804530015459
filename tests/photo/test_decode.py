"""Photo decoding: what probing sees, and every mode and colour profile turned into upright sRGB."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from test_renditions import ONE_SIZE, RED, near, pixel, render

from conftest import make_photo, make_video
from mediapack.errors import InputError
from mediapack.model import PHOTO
from mediapack.photo.decode import probe_photo
from mediapack.settings import PhotoSettings, PhotoSize

# --- colour and pixel modes --------------------------------------------------------------------

INKS = {"c": (0, 158, 224), "m": (226, 0, 122), "y": (255, 237, 0), "k": (35, 31, 32)}
CMYK_PATCHES = [((0, 0, 0, 0), (255, 255, 255)), ((255, 0, 0, 0), INKS["c"]),
                ((0, 255, 0, 0), INKS["m"]), ((0, 0, 255, 0), INKS["y"]), ((0, 0, 0, 255), INKS["k"])]


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def cmyk_profile() -> bytes:
    """Build a tiny ICC v2 CMYK printer profile whose inks are press-like colours, not naive ones."""
    srgb_to_xyz_d50 = ((0.4360747, 0.3850649, 0.1430804), (0.2225045, 0.7168786, 0.0606169),
                       (0.0139322, 0.0971045, 0.7141733))
    clut = b""
    for corner in range(16):  # 2x2x2x2 grid, C varying slowest
        rgb = [1.0, 1.0, 1.0]
        for bit, ink in zip((8, 4, 2, 1), "cmyk", strict=True):
            if corner & bit:  # overprint: multiply the ink colours
                rgb = [a * b / 255 for a, b in zip(rgb, INKS[ink], strict=True)]
        lin = [((v + 0.055) / 1.055) ** 2.4 if v > 0.04045 else v / 12.92 for v in rgb]
        xyz = [sum(m * c for m, c in zip(row, lin, strict=True)) for row in srgb_to_xyz_d50]
        clut += b"".join(struct.pack(">H", min(65535, round(v * 32768))) for v in xyz)
    identity = b"".join(_s15(float(i == j)) for i in range(3) for j in range(3))
    ramp = struct.pack(">HH", 0, 65535)
    a2b0 = (b"mft2" + bytes(4) + bytes([4, 3, 2, 0]) + identity + struct.pack(">HH", 2, 2)
            + ramp * 4 + clut + ramp * 3)
    return icc_profile(b"prtrCMYK", "Test CMYK", [(b"A2B0", a2b0)])


D50 = (0.9642, 1.0, 0.8249)
SRGB_COLORANTS = {"r": (0.4360747, 0.2225045, 0.0139322), "g": (0.3850649, 0.7168786, 0.0971045),
                  "b": (0.1430804, 0.0606169, 0.7141733)}  # sRGB primaries, D50-adapted XYZ


def swapped_rgb_profile() -> bytes:
    """Build an ICC v2 RGB display profile whose red and blue primaries are sRGB's blue and red."""
    def xyz(values):
        return b"XYZ " + bytes(4) + b"".join(map(_s15, values))
    gamma = b"curv" + bytes(4) + struct.pack(">IH", 1, 563)  # 2.2 as u8Fixed8
    return icc_profile(b"mntrRGB ", "Swapped RGB", [
        (b"rXYZ", xyz(SRGB_COLORANTS["b"])), (b"gXYZ", xyz(SRGB_COLORANTS["g"])),
        (b"bXYZ", xyz(SRGB_COLORANTS["r"])), (b"rTRC", gamma), (b"gTRC", gamma), (b"bTRC", gamma)])


def icc_profile(class_and_space: bytes, description: str, tags: list[tuple[bytes, bytes]]) -> bytes:
    """Assemble an ICC v2 profile (XYZ connection space) from its class, colour space and tags."""
    desc = (b"desc" + bytes(4) + struct.pack(">I", len(description) + 1) + description.encode()
            + b"\x00" + bytes(78))
    tags = [(b"desc", desc), (b"wtpt", b"XYZ " + bytes(4) + b"".join(map(_s15, D50))),
            (b"cprt", b"text" + bytes(4) + b"none\x00"), *tags]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + bytes(4) + bytes([2, 0x10, 0, 0])
              + class_and_space + b"XYZ " + bytes(12) + b"acsp" + bytes(28)
              + b"".join(map(_s15, D50)) + bytes(48))
    return header + table + data


def test_rgb_with_a_non_srgb_profile_is_converted_through_it(tmp_path):
    img = Image.new("RGB", (600, 400), (255, 255, 255))
    img.paste((255, 0, 0), (0, 0, 200, 400))
    img.paste((0, 0, 255), (200, 0, 400, 400))
    img.save(tmp_path / "swapped.jpg", quality=95, icc_profile=swapped_rgb_profile())
    renditions, _ = render(tmp_path / "swapped.jpg", tmp_path / "out")
    for r in renditions[:2]:  # JPEG and WebP at the largest size
        path = tmp_path / "out" / r.path
        with Image.open(path) as out:
            assert "icc_profile" not in out.info
        x = r.width // 6
        assert near(pixel(path, (x, 100)), (0, 0, 255), 30)  # the file's "red" is sRGB blue
        assert near(pixel(path, (3 * x, 100)), (255, 0, 0), 30)
        assert near(pixel(path, (5 * x, 100)), (255, 255, 255), 8)


def cmyk_jpeg(path: Path, **save) -> Path:
    img = Image.new("CMYK", (400, 100))
    for i, (ink, _) in enumerate(CMYK_PATCHES):
        img.paste(ink, (i * 80, 0, i * 80 + 80, 100))
    img.save(path, "JPEG", quality=95, **save)
    return path


def test_cmyk_jpeg_with_profile_is_converted_through_it(tmp_path):
    source = cmyk_jpeg(tmp_path / "cmyk.jpg", icc_profile=cmyk_profile())
    (full,), _ = render(source, tmp_path / "out", PhotoSettings(sizes=(PhotoSize("full", 400),), square=0))
    path = tmp_path / "out" / full.path
    with Image.open(path) as img:
        assert img.mode == "RGB" and "icc_profile" not in img.info
    for i, (_, expected) in enumerate(CMYK_PATCHES):
        assert near(pixel(path, (i * 80 + 40, 50)), expected), (i, pixel(path, (i * 80 + 40, 50)))


def test_cmyk_jpeg_without_profile_is_plainly_converted(tmp_path):
    source = cmyk_jpeg(tmp_path / "cmyk.jpg")
    (full,), _ = render(source, tmp_path / "out", PhotoSettings(sizes=(PhotoSize("full", 400),), square=0))
    assert near(pixel(tmp_path / "out" / full.path, (120, 50)), (0, 255, 255))


def test_rgba_is_flattened_on_white(tmp_path):
    img = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle([200, 100, 399, 299], fill=(*RED, 255))
    img.save(tmp_path / "alpha.png")
    renditions, _ = render(tmp_path / "alpha.png", tmp_path / "out")
    large = tmp_path / "out" / renditions[0].path
    assert near(pixel(large, (10, 10)), (255, 255, 255), 4)
    assert near(pixel(large, (240, 160)), RED, 20)


def test_palette_with_transparency_is_expanded_and_flattened(tmp_path):
    img = Image.new("P", (600, 400), 0)
    img.putpalette([0, 0, 0, *RED] + [0] * 762)
    ImageDraw.Draw(img).rectangle([200, 100, 399, 299], fill=1)
    img.save(tmp_path / "pal.png", transparency=0)
    renditions, _ = render(tmp_path / "pal.png", tmp_path / "out")
    large = tmp_path / "out" / renditions[0].path
    assert near(pixel(large, (10, 10)), (255, 255, 255), 4)
    assert near(pixel(large, (240, 160)), RED, 20)


def test_greyscale_becomes_rgb(tmp_path):
    Image.new("L", (600, 400), 77).save(tmp_path / "grey.png")
    renditions, _ = render(tmp_path / "grey.png", tmp_path / "out")
    with Image.open(tmp_path / "out" / renditions[0].path) as img:
        assert img.mode == "RGB"
        assert near(img.getpixel((100, 100)), (77, 77, 77), 2)


def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path):
    img = Image.new("I;16", (600, 400), 32768)
    img.paste(65535, (300, 0, 600, 400))
    img.paste(0, (0, 300, 300, 400))
    img.save(tmp_path / "deep.png")
    assert probe_photo(tmp_path / "deep.png", 10**8).bit_depth == 16
    renditions, _ = render(tmp_path / "deep.png", tmp_path / "out")
    large = tmp_path / "out" / renditions[0].path  # 480x320
    assert near(pixel(large, (100, 100)), (128, 128, 128), 3)
    assert near(pixel(large, (400, 100)), (255, 255, 255), 3)
    assert near(pixel(large, (100, 300)), (0, 0, 0), 3)




# --- probing and refusal -----------------------------------------------------------------------

def test_probe_describes_a_jpeg(tmp_path):
    source = make_photo(tmp_path / "-odd:name.jpg", (600, 400))
    info = probe_photo(source, 10**8)
    assert (info.path, info.kind, info.format, info.width, info.height, info.rotation,
            info.bit_depth, info.size_bytes) == (source, PHOTO, "JPEG", 600, 400, 0, 8,
                                                 source.stat().st_size)
    renditions, _ = render(source, tmp_path / "out", ONE_SIZE)
    assert renditions[0].width == 300


def test_probe_returns_none_for_non_images(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("Not a picture.\n")
    assert probe_photo(text, 10**8) is None
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0, size=(160, 120), audio=False)
    assert probe_photo(clip, 10**8) is None
    # an MPEG-1 video elementary stream, which Pillow's MPEG plugin recognises
    mpeg = tmp_path / "clip.m1v"
    mpeg.write_bytes(b"\x00\x00\x01\xb3\x0a\x00\x78\x13\xff\xff\xe0\x18" + bytes(64))
    assert probe_photo(mpeg, 10**8) is None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_photo_is_an_input_error_naming_the_file(tmp_path, fmt):
    whole = make_photo(tmp_path / f"whole.{fmt.lower()}", (600, 400), fmt)
    cut = tmp_path / f"cut.{fmt.lower()}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputError, match=r"cut\.") as caught:
        probe_photo(cut, 10**8)
    assert "\n" not in str(caught.value)
    with pytest.raises(InputError, match="truncated"):
        render(cut, tmp_path / "out")
    assert not (tmp_path / "out" / "media" / "pic").exists()


def test_corrupt_header_is_an_input_error(tmp_path):
    whole = make_photo(tmp_path / "whole.jpg", (600, 400))
    head = tmp_path / "head.jpg"
    head.write_bytes(whole.read_bytes()[:20])
    with pytest.raises(InputError, match=r"head\.jpg: not a readable JPEG"):
        probe_photo(head, 10**8)


def test_over_the_pixel_cap_is_refused_before_decoding(tmp_path):
    source = make_photo(tmp_path / "big.png", (600, 400))
    with pytest.raises(InputError, match=r"big\.png: 600x400 image is over the pixel limit"):
        probe_photo(source, 200_000)
    with pytest.raises(InputError, match=r"big\.png: .*pixel limit of 1000"):
        render(source, tmp_path / "out", PhotoSettings(max_pixels=1000))
    assert not (tmp_path / "out" / "media").exists()


@pytest.mark.parametrize("fmt,ext", [("BMP", "bmp"), ("ICO", "ico"), ("PPM", "ppm")])
def test_other_image_formats_are_refused(tmp_path, fmt, ext):
    source = make_photo(tmp_path / f"legacy.{ext}", (64, 48), fmt)
    with pytest.raises(InputError, match=rf"legacy\.{ext}: {fmt} images are not accepted"):
        probe_photo(source, 10**8)
    with pytest.raises(InputError, match=rf"legacy\.{ext}: not a readable photo"):
        render(source, tmp_path / "out")
