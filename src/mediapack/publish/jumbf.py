"""Content Credentials (C2PA manifests in JUMBF boxes) cut out of a photo's container, pixels untouched.

A camera that signs at capture puts its manifest in the file: JPEG APP11 segments, a PNG ``caBX``
chunk, a WebP ``C2PA`` chunk. Such a manifest can carry the capture's location and the body's serial
number, and exiv2 neither reads nor removes it, so a sanitised original drops it here. (A signed
rendition still names the camera's manifest as its ingredient only when that holds no private data.)
"""

from __future__ import annotations

import struct

_JPEG_APP11 = 0xEB
_JPEG_SOS = 0xDA
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHUNK = b"caBX"
_WEBP_CHUNK = b"C2PA"
MANIFEST_CONTAINERS = frozenset({"JPEG", "PNG", "WEBP"})  # the formats whose manifest store is cut out here


def without_manifests(data: bytes, fmt: str) -> bytes:
    """Return a JPEG, PNG or WebP file's bytes without its C2PA manifest store; other formats as given."""
    if fmt == "JPEG":
        return _jpeg(data)
    if fmt == "PNG":
        return _png(data)
    if fmt == "WEBP":
        return _webp(data)
    return data


def has_manifest(data: bytes) -> bool:
    """Say whether the bytes seem to hold a C2PA manifest store (a JUMBF superbox labelled c2pa)."""
    return b"jumb" in data and b"c2pa" in data


def _jpeg(data: bytes) -> bytes:
    """Drop every APP11 segment before the first scan (C2PA's JUMBF lives there)."""
    if not data.startswith(b"\xff\xd8"):
        return data
    kept, at = [data[:2]], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            kept.append(data[at:at + 1])
            at += 1
            continue
        if marker == _JPEG_SOS or 0xD0 <= marker <= 0xD9 or marker == 0x01:
            break  # the scan (or a standalone marker) starts: no header segments after it to look at
        end = at + 2 + int.from_bytes(data[at + 2:at + 4], "big")
        if marker != _JPEG_APP11:
            kept.append(data[at:end])
        at = end
    kept.append(data[at:])
    return b"".join(kept)


def _png(data: bytes) -> bytes:
    """Drop ``caBX`` chunks."""
    if not data.startswith(_PNG_SIGNATURE):
        return data
    kept, at = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while at + 12 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        end = at + 12 + length
        if data[at + 4:at + 8] != _PNG_CHUNK:
            kept.append(data[at:end])
        at = end
    kept.append(data[at:])
    return b"".join(kept)


def _webp(data: bytes) -> bytes:
    """Drop ``C2PA`` chunks and mend the RIFF size."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return data
    kept, at = [], 12
    while at + 8 <= len(data):
        size = struct.unpack_from("<I", data, at + 4)[0]
        end = at + 8 + size + (size & 1)  # chunks are padded to an even length
        if data[at:at + 4] != _WEBP_CHUNK:
            kept.append(data[at:end])
        at = end
    body = b"WEBP" + b"".join(kept) + data[at:]
    return b"RIFF" + struct.pack("<I", len(body)) + body
