"""Colour profiles photos arrive in without an ICC profile of their own: Display P3 from its CICP (nclx) tag.

iPhone HEIC files usually embed an ICC profile, which decode.py applies; some carry only the CICP
colour description (primaries, transfer, matrix), which libheif reports as ``nclx_profile``. A
matrix/curve ICC profile built from the standard's numbers lets littleCMS convert them like any other.
"""

from __future__ import annotations

import struct
from functools import cache

from PIL import ImageCms

# CICP code points (ITU-T H.273): colour primaries 12 is SMPTE EG 432-1, Display P3's.
CICP_DISPLAY_P3 = 12
CICP_SRGB_TRANSFER = (13, 1)  # IEC 61966-2-1 (sRGB), or BT.709, which Apple writes for Display P3 too
# Display P3 colorants adapted to the PCS white (D50) with Bradford, and the D50 white point.
_P3_COLORANTS = ((0.515121, 0.241196, -0.001053), (0.291977, 0.692245, 0.041885),
                 (0.157104, 0.066574, 0.784073))
_D50 = (0.9642, 1.0, 0.8249)
# The sRGB transfer curve as an ICC parametric curve (type 3): Y = (aX + b)^g above d, cX below.
_SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)


def profile_from_cicp(nclx: object) -> ImageCms.ImageCmsProfile | None:
    """Return an ICC profile for a CICP colour description mediapack can convert (Display P3), else None."""
    if not isinstance(nclx, dict):
        return None
    if nclx.get("color_primaries") == CICP_DISPLAY_P3 and nclx.get("transfer_characteristics") in \
            CICP_SRGB_TRANSFER:
        return display_p3()
    return None


@cache
def display_p3() -> ImageCms.ImageCmsProfile:
    """Return a Display P3 ICC profile (matrix and sRGB curves), built from the colorants above."""
    import io

    tags = [(b"desc", _text_description("Display P3 (mediapack)")), (b"wtpt", _xyz(_D50)),
            (b"rXYZ", _xyz(_P3_COLORANTS[0])), (b"gXYZ", _xyz(_P3_COLORANTS[1])),
            (b"bXYZ", _xyz(_P3_COLORANTS[2]))]
    curve = _parametric(_SRGB_CURVE)
    tags += [(b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    return ImageCms.ImageCmsProfile(io.BytesIO(_icc(b"mntr", b"RGB ", tags)))


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(map(_s15, xyz))


def _parametric(params: tuple[float, ...]) -> bytes:
    return b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + b"".join(map(_s15, params))


def _text_description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 8
            + b"\0" * 3 + b"\0" * 67)


def _icc(device_class: bytes, space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """Assemble an ICC v2.4 profile: header, tag table, tag data (each 4-byte aligned)."""
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, payload in tags:
        payload += b"\0" * (-len(payload) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(payload))
        data += payload
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0\0\0\0" + b"\x02\x40\0\0" + device_class + space + b"XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + b"".join(map(_s15, _D50))
              + b"\0" * 4 + b"\0" * 44)
    assert len(header) == 128, len(header)
    return header + struct.pack(">I", len(tags)) + table + data
