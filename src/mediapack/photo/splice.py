"""Splicing metadata into JPEG and WebP files without re-encoding: APP1/APP13 segments, RIFF chunks."""

from __future__ import annotations

import struct

_XMP_JPEG_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_EXIF_HEADER = b"Exif\x00\x00"
_PHOTOSHOP = b"Photoshop 3.0\x00"  # APP13: image resource blocks, of which 0x0404 is IPTC IIM
IIM_RESOURCE = 0x0404
JPEG_SEGMENT_LIMIT = 0xFFFF - 2  # payload bytes after a marker segment's two length bytes
XMP_LIMIT = JPEG_SEGMENT_LIMIT - len(_XMP_JPEG_HEADER)
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def splice_metadata(data: bytes, exif: bytes | None, xmp: bytes | None, iim: bytes | None = None) -> bytes:
    """Return JPEG or WebP bytes with EXIF (``Exif\\0\\0`` + TIFF), XMP and, in a JPEG, IPTC IIM added.

    The pixels are untouched: the EXIF and XMP segments are byte for byte what Pillow writes when
    given them while encoding, so metadata can change without re-encoding a cached rendition. WebP
    has no place for IIM. Raises ValueError for other formats.
    """
    if data.startswith(b"\xff\xd8"):
        return _splice_jpeg(data, exif, xmp, iim)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _splice_webp(data, exif, xmp)
    raise ValueError("only JPEG and WebP files can take metadata without re-encoding")


def _splice_jpeg(data: bytes, exif: bytes | None, xmp: bytes | None, iim: bytes | None) -> bytes:
    """Insert APP1 (EXIF, XMP) and APP13 (IIM) after SOI and the APP0 (JFIF) segments, as encoders do."""
    at = 2
    while data[at:at + 2] == b"\xff\xe0":
        at += 2 + int.from_bytes(data[at + 2:at + 4], "big")
    segments = b""
    for marker, payload in ((b"\xff\xe1", exif), (b"\xff\xe1", _XMP_JPEG_HEADER + xmp if xmp else None),
                            (b"\xff\xed", _PHOTOSHOP + _irb(IIM_RESOURCE, iim) if iim else None)):
        if payload:
            if len(payload) > JPEG_SEGMENT_LIMIT:
                raise ValueError("metadata does not fit in one JPEG segment")
            segments += marker + struct.pack(">H", len(payload) + 2) + payload
    return data[:at] + segments + data[at:]


def _irb(resource: int, data: bytes) -> bytes:
    """One Photoshop image resource block: 8BIM, its id, an empty name, its size, the data (even-padded)."""
    return b"8BIM" + struct.pack(">H", resource) + b"\x00\x00" + struct.pack(">I", len(data)) + data + \
        b"\x00" * (len(data) & 1)


def _splice_webp(data: bytes, exif: bytes | None, xmp: bytes | None) -> bytes:
    """Turn a simple WebP into the extended form (VP8X) and append EXIF and XMP chunks."""
    chunks = list(_riff_chunks(data))
    if not chunks:
        raise ValueError("WebP file has no chunks")
    flags = 0
    if chunks[0][0] == b"VP8X":
        flags, canvas = chunks[0][1][0], chunks[0][1][4:10]
        chunks = [c for c in chunks[1:] if c[0] not in (b"EXIF", b"XMP ")]
    else:
        width, height = _webp_size(*chunks[0])
        canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    flags &= ~(_VP8X_EXIF | _VP8X_XMP)
    if exif:
        flags |= _VP8X_EXIF
        chunks.append((b"EXIF", exif.removeprefix(_EXIF_HEADER)))  # WebP stores bare TIFF data
    if xmp:
        flags |= _VP8X_XMP
        chunks.append((b"XMP ", xmp))
    body = b"WEBP" + _riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + canvas)
    body += b"".join(_riff_chunk(fourcc, payload) for fourcc, payload in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, at = [], 12
    end = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while at + 8 <= end:
        size = int.from_bytes(data[at + 4:at + 8], "little")
        chunks.append((data[at:at + 4], data[at + 8:at + 8 + size]))
        at += 8 + size + (size & 1)
    return chunks


def _riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)


def _webp_size(fourcc: bytes, payload: bytes) -> tuple[int, int]:
    """Read the picture size from a VP8 (lossy) or VP8L (lossless) bitstream header."""
    if fourcc == b"VP8 " and len(payload) >= 10:
        width, height = struct.unpack("<HH", payload[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if fourcc == b"VP8L" and len(payload) >= 5:
        bits = int.from_bytes(payload[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise ValueError(f"WebP file starts with an unexpected {fourcc!r} chunk")
