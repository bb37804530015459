"""Caption, credit and rights embedded in photos, read from IPTC IIM and XMP (the metadata fallback)."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass, fields
from pathlib import Path

from PIL import Image

# Containers whose metadata we read (Pillow opens MPO through its JPEG opener).
_CONTAINERS = ("JPEG", "PNG", "WEBP", "TIFF", "AVIF", "GIF", "HEIF")

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
}
# field -> XMP property (Clark notation)
_XMP_FIELDS = {
    "caption": f"{{{NAMESPACES['dc']}}}description",
    "credit": f"{{{NAMESPACES['photoshop']}}}Credit",
    "creator": f"{{{NAMESPACES['dc']}}}creator",
    "copyright": f"{{{NAMESPACES['dc']}}}rights",
    "alt": f"{{{NAMESPACES['Iptc4xmpCore']}}}AltTextAccessibility",
}
# field -> IIM (record, dataset)
_IIM_FIELDS = {"caption": (2, 120), "credit": (2, 110), "creator": (2, 80), "copyright": (2, 116)}
_IIM_CHARSET = (1, 90)
_UTF8_ESCAPE = b"\x1b%G"
_PHOTOSHOP_IPTC = 0x0404
_TIFF_IPTC, _TIFF_PHOTOSHOP = 33723, 34377


@dataclass(frozen=True)
class EmbeddedMetadata:
    """Caption, credit, creator, copyright and alt text found inside a photo file."""

    caption: str | None = None
    credit: str | None = None
    creator: str | None = None
    copyright: str | None = None
    alt: str | None = None


def read_embedded_metadata(path: Path) -> EmbeddedMetadata:
    """Read IPTC IIM and XMP metadata from a photo; XMP wins; missing or garbled gives empty fields."""
    try:
        with Image.open(path, formats=_CONTAINERS) as img:
            xmp = img.info.get("xmp")
            iim = _find_iim(img)
    except Exception:  # noqa: BLE001 - metadata is optional; only decoding photos may fail loudly
        return EmbeddedMetadata()
    found = _safe(_parse_iim, iim) if iim else {}
    found.update(_safe(_parse_xmp, xmp) if xmp else {})
    return EmbeddedMetadata(**{f.name: found.get(f.name) for f in fields(EmbeddedMetadata)})


def _safe(parse, data) -> dict[str, str]:
    try:
        return parse(data)
    except Exception:  # noqa: BLE001 - garbled metadata counts as no metadata
        return {}


def _find_iim(img: Image.Image) -> bytes | None:
    """Return the raw IIM block of a JPEG (Photoshop APP13) or TIFF (IPTC or Photoshop tag)."""
    photoshop = img.info.get("photoshop")
    if isinstance(photoshop, dict) and isinstance(photoshop.get(_PHOTOSHOP_IPTC), bytes):
        return photoshop[_PHOTOSHOP_IPTC]
    tags = getattr(img, "tag_v2", None)
    if tags is None:
        return None
    if _TIFF_IPTC in tags:
        return _tag_bytes(tags[_TIFF_IPTC])
    if _TIFF_PHOTOSHOP in tags:
        return _photoshop_resource(_tag_bytes(tags[_TIFF_PHOTOSHOP]), _PHOTOSHOP_IPTC)
    return None


def _tag_bytes(value) -> bytes:
    """Return a TIFF tag's payload as bytes (it may arrive as bytes or as a tuple of numbers)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        if all(0 <= v < 256 for v in value):
            return bytes(value)
        return struct.pack(f">{len(value)}L", *value)  # IPTC tags stored as LONGs
    return b""


def _photoshop_resource(data: bytes, wanted: int) -> bytes | None:
    """Return one resource from a Photoshop image resource block (8BIM records)."""
    offset = 0
    while data[offset:offset + 4] == b"8BIM" and offset + 12 <= len(data):
        code = int.from_bytes(data[offset + 4:offset + 6], "big")
        name_len = data[offset + 6]
        offset += 7 + name_len
        offset += offset & 1
        size = int.from_bytes(data[offset:offset + 4], "big")
        offset += 4
        if code == wanted:
            return data[offset:offset + size]
        offset += size + (size & 1)
    return None


def _parse_iim(data: bytes) -> dict[str, str]:
    """Decode the IIM datasets we know; repeated by-lines are joined with commas."""
    datasets: dict[tuple[int, int], list[bytes]] = {}
    offset = 0
    while offset + 5 <= len(data) and data[offset] == 0x1C:
        record, number = data[offset + 1], data[offset + 2]
        length = int.from_bytes(data[offset + 3:offset + 5], "big")
        offset += 5
        if length & 0x8000:  # extended dataset: the next N bytes hold the length
            count = length & 0x7FFF
            length = int.from_bytes(data[offset:offset + count], "big")
            offset += count
        datasets.setdefault((record, number), []).append(data[offset:offset + length])
        offset += length
    utf8 = any(v.startswith(_UTF8_ESCAPE) for v in datasets.get(_IIM_CHARSET, []))
    found = {}
    for name, key in _IIM_FIELDS.items():
        values = [_clean(_decode_iim(raw, utf8)) for raw in datasets.get(key, [])]
        values = [v for v in values if v]
        if values:
            found[name] = ", ".join(values)
    return found


def _decode_iim(raw: bytes, utf8: bool) -> str:
    """Decode an IIM value: UTF-8 when 1:90 says so, else UTF-8, then Windows-1252, then Latin-1."""
    if utf8:
        return raw.decode("utf-8", "replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def _parse_xmp(data: bytes | str) -> dict[str, str]:
    """Parse an XMP packet, refusing DTDs and entities outright."""
    text = _decode_xml(data) if isinstance(data, bytes) else data
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        return {}
    start, end = text.find("<x:xmpmeta"), text.rfind("</x:xmpmeta>")
    if 0 <= start < end:
        text = text[start:end + len("</x:xmpmeta>")]
    root = ET.fromstring(text)
    found: dict[str, str] = {}
    for desc in root.iter(f"{{{RDF}}}Description"):
        for name, tag in _XMP_FIELDS.items():
            if name in found:
                continue
            value = desc.get(tag)
            if value is None and (element := desc.find(tag)) is not None:
                value = _xmp_value(element)
            if value := _clean(value):
                found[name] = value
    return found


def _xmp_value(element: ET.Element) -> str | None:
    """Return a property's text: the x-default (or first) entry of an Alt, or a Seq/Bag joined."""
    for kind in ("Alt", "Seq", "Bag"):
        container = element.find(f"{{{RDF}}}{kind}")
        if container is None:
            continue
        items = container.findall(f"{{{RDF}}}li")
        if kind == "Alt":
            default = [li for li in items if li.get(_XML_LANG) == "x-default"]
            items = (default or items)[:1]
        texts = [t for t in (_clean(li.text) for li in items) if t]
        return ", ".join(texts) or None
    return element.text


def _decode_xml(data: bytes) -> str:
    data = data.rstrip(b"\x00")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "replace").lstrip("\ufeff")


def _clean(value: str | None) -> str | None:
    """Strip padding and control characters (tab and newline kept); empty becomes None."""
    if value is None:
        return None
    value = "".join(" " if _is_control(ch) else ch for ch in value)
    value = value.strip()
    return value or None


def _is_control(ch: str) -> bool:
    return ch not in "\t\n" and (ch < "\x20" or "\x7f" <= ch < "\xa0" or "\ud800" <= ch <= "\udfff")


