"""iPhone photos (HEIC/HEIF) are photos: upright, converted from Display P3, their metadata read."""

from __future__ import annotations

from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, ImageDraw
from test_renditions import GREY, ONE_SIZE, RED, ROTATION, STORED_AS, near, pixel, render

from conftest import run_cli, write_story
from mediapack.model import PHOTO
from mediapack.photo.credit import xmp_packet
from mediapack.photo.decode import probe_photo, sniff_format
from mediapack.photo.metadata import read_embedded_metadata
from mediapack.photo.profiles import display_p3
from mediapack.probe import probe_file
from mediapack.settings import PhotoSettings, PhotoSize

pillow_heif.register_heif_opener()
P3_ORANGE, AS_SRGB = (200, 100, 50), (215, 93, 31)  # the same colour: worked out from the P3 and sRGB matrices
FULL = PhotoSettings(sizes=(PhotoSize("full", 600),), square=0)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_a_turned_heic_comes_out_upright(tmp_path: Path, orientation: int) -> None:
    upright = Image.new("RGB", (600, 400), GREY)
    ImageDraw.Draw(upright).rectangle([0, 0, 149, 99], fill=RED)
    method = STORED_AS[orientation]
    stored = upright if method is None else upright.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    source = tmp_path / "IMG_0001.HEIC"
    stored.save(source, format="HEIF", quality=95, exif=exif.tobytes())
    assert sniff_format(source) == "HEIF"
    info = probe_photo(source, 10**8)
    assert (info.kind, info.format, info.width, info.height, info.rotation) == (
        PHOTO, "HEIF", 600, 400, ROTATION[orientation])
    (small,), _ = render(source, tmp_path / "out", ONE_SIZE)
    path = tmp_path / "out" / small.path
    assert near(pixel(path, (20, 20)), RED, 40)
    assert near(pixel(path, (280, 180)), GREY, 20)


def test_display_p3_is_converted_to_srgb_from_an_icc_profile_or_from_cicp(tmp_path: Path) -> None:
    picture = Image.new("RGB", (600, 400), P3_ORANGE)
    picture.save(tmp_path / "icc.heic", quality=100, icc_profile=display_p3().tobytes(), chroma=444)
    picture.save(tmp_path / "nclx.heic", quality=100, color_primaries=12, transfer_characteristic=13,
                 matrix_coefficients=6, chroma=444)
    for name in ("icc.heic", "nclx.heic"):
        (full,), _ = render(tmp_path / name, tmp_path / name.replace(".", "-"), FULL)
        assert near(pixel(tmp_path / name.replace(".", "-") / full.path, (300, 200)), AS_SRGB, 4), name


def test_the_caption_and_credit_come_from_the_heic_xmp(tmp_path: Path) -> None:
    source = tmp_path / "story" / "IMG_0002.heic"
    source.parent.mkdir(parents=True)
    xmp = xmp_packet(caption="Ferry at dawn", credit="Ann Writer/Example", alt="A ferry")
    gps = Image.Exif()
    gps[0x8825] = {2: (51.0, 30.0, 0.0), 1: "N"}  # GPS IFD: a location the renditions must not keep
    Image.new("RGB", (640, 480), GREY).save(source, quality=90, xmp=xmp, exif=gps.tobytes())
    assert read_embedded_metadata(source).caption == "Ferry at dawn"
    write_story(source.parent, "headline: Phone photo\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                               "  - {id: phone, file: IMG_0002.heic}\n")
    proc = run_cli("build", str(source.parent), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "out" / "phone-photo"
    page = (root / "index.html").read_text(encoding="utf-8")
    assert "<picture>" in page and "<video" not in page
    assert "Photo: <bdi>Ann Writer/Example</bdi>" in page and "To download the photo click here" in page
    assert "To download the video" not in page
    for jpeg in (root / "media" / "phone").glob("*.jpg"):
        with Image.open(jpeg) as img:
            assert img.size[0] <= 640 and 0x8825 not in img.getexif()
        assert read_embedded_metadata(jpeg).credit == "Ann Writer/Example"
    assert probe_file(source).kind == PHOTO
