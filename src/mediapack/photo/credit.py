"""The credit renditions carry: EXIF and XMP built from an item, spliced into JPEG and WebP without re-encoding."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image

from ..files import write_atomic
from ..model import MediaItem
from .metadata import NAMESPACES, RDF

CREDIT_FIELDS = ("caption", "credit", "creator", "copyright", "alt")


def fit_credit(item: MediaItem) -> tuple[MediaItem, tuple[str, ...]]:
    """Return the item with its texts cut, if need be, so EXIF and XMP each fit one 64 KB JPEG segment.

    Only a text longer than some 20,000 characters is ever cut: the page, the manifest and
    article.txt keep it whole. Also returns the names of the fields that were cut.
    """
    cut: list[str] = []
    while not _fits(*_build(item)):
        name = max(CREDIT_FIELDS, key=lambda field: len(getattr(item, field) or ""))
        text = getattr(item, name)
        shorter = text[:len(text) * 3 // 4].rsplit(" ", 1)[0].rstrip() + "…"
        item = replace(item, **{name: shorter})
        cut += [name] if name not in cut else []
    return item, tuple(cut)


def credit_metadata(item: MediaItem) -> tuple[Image.Exif | None, bytes | None]:
    """Build the EXIF (ImageDescription, Artist, Copyright) and XMP that carry the credit."""
    return _build(fit_credit(item)[0])


def _fits(exif: Image.Exif | None, xmp: bytes | None) -> bool:
    return (exif is None or len(exif.tobytes()) <= _JPEG_SEGMENT_LIMIT) and (
        xmp is None or len(_XMP_JPEG_HEADER) + len(xmp) <= _JPEG_SEGMENT_LIMIT)


def _build(item: MediaItem) -> tuple[Image.Exif | None, bytes | None]:
    caption, credit, creator, rights, alt = (getattr(item, name) or None for name in CREDIT_FIELDS)
    exif = Image.Exif()
    for tag, value in ((0x010E, caption), (0x013B, creator or credit), (0x8298, rights)):
        if value:  # UTF-8 in ASCII tags, as the Metadata Working Group recommends
            exif[tag] = value.replace("\x00", " ").encode("utf-8")
    has_any = any((caption, credit, creator, rights, alt))
    return (exif if len(exif) else None), (xmp_packet(caption, credit, creator, rights, alt)
                                           if has_any else None)


def splice_credit(path: Path, item: MediaItem) -> None:
    """Add the item's caption, credit and rights to a JPEG or WebP rendition made without them.

    No re-encode: the file ends up byte-identical to one made with the metadata, so a cached
    pixel-only rendition plus this step gives the same bytes as a fresh build.
    """
    exif, xmp = credit_metadata(item)
    if exif is not None or xmp is not None:
        write_atomic(path, splice_metadata(path.read_bytes(), exif.tobytes() if exif is not None else None, xmp))


def xmp_packet(caption: str | None = None, credit: str | None = None, creator: str | None = None,
               copyright: str | None = None, alt: str | None = None) -> bytes:
    """Return an XMP packet holding the given values, XML-escaped; empty values are left out."""
    props = []
    for key, value, kind in (("dc:description", caption, "Alt"), ("photoshop:Credit", credit, None),
                             ("dc:creator", creator, "Seq"), ("dc:rights", copyright, "Alt"),
                             ("Iptc4xmpCore:AltTextAccessibility", alt, "Alt")):
        text = escape(_xml_safe(value)) if value else ""
        if not text:
            continue
        if kind == "Alt":
            text = f'<rdf:Alt><rdf:li xml:lang="x-default">{text}</rdf:li></rdf:Alt>'
        elif kind == "Seq":
            text = f"<rdf:Seq><rdf:li>{text}</rdf:li></rdf:Seq>"
        props.append(f"   <{key}>{text}</{key}>\n")
    namespaces = "".join(f'\n    xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        f' <rdf:RDF xmlns:rdf="{RDF}">\n'
        f'  <rdf:Description rdf:about=""{namespaces}>\n'
        f"{''.join(props)}"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()



def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry at all (most C0 controls, surrogates, U+FFFE/FFFF)."""
    return "".join(
        ch for ch in text
        if ch in "\t\n\r" or ("\x20" <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd") or ch > "\uffff"
    )



_XMP_JPEG_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_EXIF_HEADER = b"Exif\x00\x00"
_JPEG_SEGMENT_LIMIT = 0xFFFF - 2  # payload bytes after a marker segment's two length bytes
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def splice_metadata(data: bytes, exif: bytes | None, xmp: bytes | None) -> bytes:
    """Return JPEG or WebP bytes with EXIF (``Exif\\0\\0`` + TIFF) and XMP added; pixels untouched.

    The result is byte for byte what Pillow writes when given the same ``exif`` and ``xmp`` while
    encoding, so metadata can change without re-encoding a cached rendition. Raises ValueError for
    other formats.
    """
    if data.startswith(b"\xff\xd8"):
        return _splice_jpeg(data, exif, xmp)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _splice_webp(data, exif, xmp)
    raise ValueError("only JPEG and WebP files can take metadata without re-encoding")


def _splice_jpeg(data: bytes, exif: bytes | None, xmp: bytes | None) -> bytes:
    """Insert APP1 segments after SOI and the APP0 (JFIF) segments, where encoders put them."""
    at = 2
    while data[at:at + 2] == b"\xff\xe0":
        at += 2 + int.from_bytes(data[at + 2:at + 4], "big")
    segments = b""
    for payload in (exif, _XMP_JPEG_HEADER + xmp if xmp else None):
        if payload:
            if len(payload) > _JPEG_SEGMENT_LIMIT:
                raise ValueError("metadata does not fit in one JPEG segment")
            segments += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return data[:at] + segments + data[at:]


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
