"""Metadata exiv2 does not reach, cut out of a photo's container (JPEG segments, PNG and WebP chunks), pixels untouched.

A camera that signs at capture puts its Content Credentials (a C2PA manifest store in JUMBF boxes) in
the file: JPEG APP11 segments, a PNG ``caBX`` chunk, a WebP ``C2PA`` chunk. Such a manifest can carry
the capture's location and the body's serial number, and exiv2 neither reads nor removes it. Nor does it
see a JPEG's extended XMP (the APP1 segments Photoshop and Lightroom add past 64 KB of XMP), a vendor's
own APPn segments (GoPro's GPMF track holds GPS, APP12 "PictureInfo" the camera) or a PNG's text chunks
of other keywords (``Location``, ``GPSLatitude``, exiftool's ``Make``). A sanitised original loses them
here; exiv2 then cleans the EXIF, XMP and IPTC it does read.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

_JPEG_APP0, _JPEG_APP1, _JPEG_APP2, _JPEG_APP11, _JPEG_APP13, _JPEG_APP14 = 0xE0, 0xE1, 0xE2, 0xEB, 0xED, 0xEE
_JPEG_SOS = 0xDA
_EXTENDED_XMP = b"http://ns.adobe.com/xmp/extension/\x00"
# The APPn segments a sanitised JPEG keeps: those a decoder reads (JFIF, the ICC profile, Adobe's colour
# transform) and those exiv2 cleans (EXIF, standard XMP, Photoshop's IPTC). COM and DQT, SOF… are not APPn.
_JPEG_KEPT_APPS = {_JPEG_APP0: (b"JFIF\x00",), _JPEG_APP1: (b"Exif\x00", b"http://ns.adobe.com/xap/1.0/\x00"),
                   _JPEG_APP2: (b"ICC_PROFILE\x00",), _JPEG_APP13: (b"Photoshop 3.0\x00",), _JPEG_APP14: (b"Adobe",)}
_JPEG_METADATA_APPS = {_JPEG_APP1, _JPEG_APP13}  # EXIF, XMP, IPTC: all of them go when exiv2 cannot parse them
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT = {b"tEXt", b"zTXt", b"iTXt"}
_PNG_XMP = b"XML:com.adobe.xmp"  # an iTXt keyword: exiv2 reads and cleans this XMP
# The PNG specification's editorial keywords; "Software" and "Source" (the device) go with every other key.
_PNG_EDITORIAL = {b"Title", b"Author", b"Description", b"Copyright", b"Creation Time", b"Disclaimer", b"Warning",
                  b"Comment"}
_WEBP_VP8X_XMP, _WEBP_VP8X_EXIF = 0x04, 0x08
MANIFEST_CONTAINERS = frozenset({"JPEG", "PNG", "WEBP"})  # the formats whose manifest store is cut out here


def without_hidden_metadata(data: bytes, fmt: str) -> bytes:
    """Return a JPEG, PNG or WebP file's bytes without the metadata exiv2 does not clean; other formats as given."""
    return _cut(data, fmt, jpeg=_kept_jpeg_segment,
                png=lambda kind, body: _kept_png_chunk(kind, body, {_PNG_XMP, *_PNG_EDITORIAL}),
                webp=lambda kind, _: kind != b"C2PA")


def without_metadata(data: bytes, fmt: str) -> bytes:
    """Return a JPEG, PNG or WebP file's bytes without any EXIF, XMP or IPTC either: for metadata exiv2 cannot parse."""
    return _cut(data, fmt, jpeg=lambda marker, body: marker not in _JPEG_METADATA_APPS
                and _kept_jpeg_segment(marker, body),
                png=lambda kind, body: kind != b"eXIf" and _kept_png_chunk(kind, body, _PNG_EDITORIAL),
                webp=lambda kind, _: kind not in (b"C2PA", b"EXIF", b"XMP "))


def without_webp_xmp(data: bytes) -> bytes:
    """Return a WebP file's bytes without its XMP chunk (and the VP8X flag saying there is one)."""
    return _cut(data, "WEBP", webp=lambda kind, _: kind != b"XMP ")


def has_manifest(data: bytes) -> bool:
    """Say whether the bytes seem to hold a C2PA manifest store (a JUMBF superbox labelled c2pa)."""
    return b"jumb" in data and b"c2pa" in data


def _kept_jpeg_segment(marker: int, body: bytes) -> bool:
    if not 0xE0 <= marker <= 0xEF:
        return True  # not an application segment: tables, frame headers, comments
    return body.startswith(_JPEG_KEPT_APPS.get(marker, ()))  # an extended XMP's APP1 is not in the list


def _kept_png_chunk(kind: bytes, body: bytes, keywords: set[bytes]) -> bool:
    if kind == b"caBX":
        return False
    return kind not in _PNG_TEXT or body.split(b"\x00", 1)[0] in keywords


def _cut(data: bytes, fmt: str, *, jpeg: Callable[[int, bytes], bool] | None = None,
         png: Callable[[bytes, bytes], bool] | None = None, webp: Callable[[bytes, bytes], bool] | None = None
         ) -> bytes:
    """Keep the segments or chunks of the file's format for which its predicate (kind, payload) says so."""
    if fmt == "JPEG" and jpeg is not None:
        return _jpeg(data, jpeg)
    if fmt == "PNG" and png is not None:
        return _png(data, png)
    if fmt == "WEBP" and webp is not None:
        return _webp(data, webp)
    return data


def _jpeg(data: bytes, keep: Callable[[int, bytes], bool]) -> bytes:
    """Keep the header segments before the first scan that ``keep`` accepts; the scans and the rest as they are."""
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
        if keep(marker, data[at + 4:end]):
            kept.append(data[at:end])
        at = end
    kept.append(data[at:])
    return b"".join(kept)


def _png(data: bytes, keep: Callable[[bytes, bytes], bool]) -> bytes:
    """Keep the chunks ``keep`` accepts (their CRCs stay valid: each is copied whole)."""
    if not data.startswith(_PNG_SIGNATURE):
        return data
    kept, at = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while at + 12 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        end = at + 12 + length
        if keep(data[at + 4:at + 8], data[at + 8:end - 4]):
            kept.append(data[at:end])
        at = end
    kept.append(data[at:])
    return b"".join(kept)


def _webp(data: bytes, keep: Callable[[bytes, bytes], bool]) -> bytes:
    """Keep the chunks ``keep`` accepts; mend the RIFF size and the VP8X flags saying there is EXIF or XMP."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return data
    chunks, at = [], 12
    while at + 8 <= len(data):
        size = struct.unpack_from("<I", data, at + 4)[0]
        end = at + 8 + size + (size & 1)  # chunks are padded to an even length
        if keep(data[at:at + 4], data[at + 8:at + 8 + size]):
            chunks.append(data[at:end])
        at = end
    kinds = {chunk[:4] for chunk in chunks}
    for index, chunk in enumerate(chunks):
        if chunk[:4] == b"VP8X" and len(chunk) > 8:  # a reader looks for the metadata its flags announce
            flags = chunk[8] & ~(_WEBP_VP8X_XMP | _WEBP_VP8X_EXIF)
            flags |= (_WEBP_VP8X_XMP if b"XMP " in kinds else 0) | (_WEBP_VP8X_EXIF if b"EXIF" in kinds else 0)
            chunks[index] = chunk[:8] + bytes([flags]) + chunk[9:]
    body = b"WEBP" + b"".join(chunks) + data[at:]
    return b"RIFF" + struct.pack("<I", len(body)) + body
