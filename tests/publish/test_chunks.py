"""A camera's own Content Credentials are cut out of sanitised originals; the pixels stay as they came."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from mediapack.publish.chunks import has_manifest, without_hidden_metadata, without_metadata

# What a manifest store looks like from outside: a JUMBF superbox labelled c2pa, here holding a location.
STORE = b"\x00\x00\x00\x40jumb\x00\x00\x00\x1ejumdc2pa\x00\x11\x00\x10\x80\x00\xaa\x00\x38\x9b\x71\x03c2pa\x00" \
        + b"exif:GPSLatitude 50,27.0N"


def encoded(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (200, 40, 90)).save(out, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return out.getvalue()


def with_app11(jpeg: bytes) -> bytes:
    segment = b"\xff\xeb" + struct.pack(">H", len(STORE) + 2 + 2) + b"JP" + STORE
    return jpeg[:2] + segment + jpeg[2:]


def with_cabx(png: bytes) -> bytes:
    chunk = struct.pack(">I", len(STORE)) + b"caBX" + STORE + struct.pack(">I", zlib.crc32(b"caBX" + STORE))
    return png[:8] + png[8:33] + chunk + png[33:]  # after IHDR, as C2PA places it


def with_c2pa_chunk(webp: bytes) -> bytes:
    body = webp[12:] + b"C2PA" + struct.pack("<I", len(STORE)) + STORE + b"\x00" * (len(STORE) & 1)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


@pytest.mark.parametrize(("fmt", "add"), [("JPEG", with_app11), ("PNG", with_cabx), ("WEBP", with_c2pa_chunk)])
def test_the_manifest_store_is_cut_out_and_the_picture_is_unchanged(fmt, add) -> None:
    plain = encoded(fmt)
    signed = add(plain)
    assert has_manifest(signed) and Image.open(io.BytesIO(signed)).tobytes() == Image.open(io.BytesIO(plain)).tobytes()
    cut = without_hidden_metadata(signed, fmt)
    assert cut == plain
    assert not has_manifest(cut) and b"GPSLatitude" not in cut


def test_files_without_a_manifest_and_other_formats_pass_through() -> None:
    for fmt in ("JPEG", "PNG", "WEBP"):
        assert without_hidden_metadata(encoded(fmt), fmt) == encoded(fmt)
    assert without_hidden_metadata(b"GIF89a...", "GIF") == b"GIF89a..."


def test_metadata_exiv2_cannot_parse_goes_whole_from_a_png_and_a_webp() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    broken = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description <<<broken photoshop:City="Kharkiv"'
    text = PngInfo()
    text.add_text("Title", "Editorial title")
    text.add_itxt("XML:com.adobe.xmp", broken.decode())
    cut = {}
    for fmt, save in (("PNG", {"pnginfo": text}), ("WEBP", {"lossless": True, "xmp": broken})):
        out = io.BytesIO()
        Image.new("RGB", (24, 16), (200, 40, 90)).save(out, fmt, exif=exif, **save)
        assert b"Canon" in out.getvalue() and b"Kharkiv" in out.getvalue()
        cut[fmt] = without_metadata(out.getvalue(), fmt)
        assert b"Canon" not in cut[fmt] and b"Kharkiv" not in cut[fmt], fmt
        assert Image.open(io.BytesIO(cut[fmt])).tobytes() == Image.open(out).tobytes()
    assert b"Editorial title" in cut["PNG"]  # the editorial text stays
    webp = cut["WEBP"]
    assert struct.unpack_from("<I", webp, 4)[0] == len(webp) - 8  # the RIFF size mended
    assert webp[12:16] == b"VP8X" and webp[20] & 0x0C == 0  # and the flags announce no EXIF, no XMP
