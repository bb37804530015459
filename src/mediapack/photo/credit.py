"""The credit and rights renditions carry, in the fields picture desks read: XMP, IPTC IIM and EXIF.

XMP: dc:description, photoshop:Credit, dc:creator, dc:rights, Iptc4xmpCore:AltTextAccessibility,
xmpRights:WebStatement (the licence) and plus:Licensor's LicensorURL (where to license it), as Google
Images reads them. IIM, which many DAMs still read first: 2:120 caption, 2:110 credit, 2:80 by-line,
2:116 copyright, with 1:90 declaring UTF-8. EXIF: ImageDescription, Artist (the creator; empty when
only a credit line is known, for a credit line names no photographer) and Copyright.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

from PIL import Image

from ..files import write_atomic
from ..model import MediaItem
from .metadata import NAMESPACES, RDF
from .splice import JPEG_SEGMENT_LIMIT, XMP_LIMIT, splice_metadata

CREDIT_FIELDS = ("caption", "credit", "creator", "copyright", "alt")
_WRITTEN_NAMESPACES = {**NAMESPACES, "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
                       "plus": "http://ns.useplus.org/ldf/xmp/1.0/"}
# IIM datasets (record, number) and the most bytes each may hold (IPTC IIM 4.2).
_IIM = {"caption": ((2, 120), 2000), "credit": ((2, 110), 32), "creator": ((2, 80), 32),
        "copyright": ((2, 116), 128)}
_UTF8 = b"\x1b%G"  # ISO 2022 escape for UTF-8, in dataset 1:90


def fit_credit(item: MediaItem) -> tuple[MediaItem, tuple[str, ...]]:
    """Return the item with its texts cut, if need be, so EXIF and XMP each fit one 64 KB JPEG segment.

    Only a text longer than some 20,000 characters is ever cut: the page, the manifest and
    article.txt keep it whole. Also returns the names of the fields that were cut.
    """
    cut: list[str] = []
    while not _fits(_exif(item), xmp_of(item)):
        name = max(CREDIT_FIELDS, key=lambda field: len(getattr(item, field) or ""))
        text = getattr(item, name)
        shorter = text[:len(text) * 3 // 4].rsplit(" ", 1)[0].rstrip() + "…"
        item = replace(item, **{name: shorter})
        cut += [name] if name not in cut else []
    return item, tuple(cut)


def iim_cuts(item: MediaItem) -> tuple[str, ...]:
    """Name the fields too long for their IIM dataset (IIM holds them cut; XMP and EXIF whole)."""
    return tuple(name for name, (_, limit) in _IIM.items()
                 if len((getattr(item, name) or "").encode("utf-8")) > limit)


def credit_metadata(item: MediaItem) -> tuple[Image.Exif | None, bytes | None, bytes | None]:
    """Build the EXIF, XMP and IIM that carry an item's credit and rights (None where there is nothing)."""
    item = fit_credit(item)[0]
    exif = _exif(item)
    return exif if len(exif) else None, xmp_of(item), iim_of(item)


def splice_credit(path: Path, item: MediaItem) -> None:
    """Add the item's caption, credit and rights to a JPEG or WebP file made without them.

    No re-encode: the pixels stay as they are, so a cached credit-less rendition plus this step
    gives the same bytes as a fresh build.
    """
    exif, xmp, iim = credit_metadata(item)
    if exif is not None or xmp is not None or iim is not None:
        data = splice_metadata(path.read_bytes(), exif.tobytes() if exif is not None else None, xmp, iim)
        write_atomic(path, data)


def xmp_of(item: MediaItem) -> bytes | None:
    """Return the item's XMP packet, or None when it has nothing to say."""
    return xmp_packet(item.caption, item.credit, item.creator, item.copyright, item.alt, license=item.license,
                      licensor_url=item.acquire_license_page)


def xmp_packet(caption: str | None = None, credit: str | None = None, creator: str | None = None,
               copyright: str | None = None, alt: str | None = None, *, license: str | None = None,
               licensor_url: str | None = None) -> bytes | None:
    """Return an XMP packet holding the given values, XML-escaped, empty ones left out; None if all are."""
    props = []
    for key, value, kind in (("dc:description", caption, "Alt"), ("photoshop:Credit", credit, None),
                             ("dc:creator", creator, "Seq"), ("dc:rights", copyright, "Alt"),
                             ("Iptc4xmpCore:AltTextAccessibility", alt, "Alt"),
                             ("xmpRights:WebStatement", license, None), ("plus:Licensor", licensor_url, "Licensor")):
        text = _escape(_xml_safe(value)) if value else ""
        if not text:
            continue
        if kind == "Alt":
            text = f'<rdf:Alt><rdf:li xml:lang="x-default">{text}</rdf:li></rdf:Alt>'
        elif kind == "Seq":
            text = f"<rdf:Seq><rdf:li>{text}</rdf:li></rdf:Seq>"
        elif kind == "Licensor":  # a list of structures, as PLUS defines it
            text = f'<rdf:Seq><rdf:li rdf:parseType="Resource"><plus:LicensorURL>{text}</plus:LicensorURL></rdf:li></rdf:Seq>'
        props.append(f"   <{key}>{text}</{key}>\n")
    if not props:
        return None
    extra = {"xmpRights": license, "plus": licensor_url}  # declared only where used: older packets stay as they were
    namespaces = "".join(f'\n    xmlns:{prefix}="{uri}"' for prefix, uri in _WRITTEN_NAMESPACES.items()
                         if prefix in NAMESPACES or extra.get(prefix))
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


def iim_of(item: MediaItem) -> bytes | None:
    """Return the item's IPTC IIM datasets (UTF-8 declared), each cut to its dataset's limit; None if empty."""
    datasets = b""
    for name, ((record, number), limit) in _IIM.items():
        value = " ".join((getattr(item, name) or "").split())
        if value:
            datasets += _dataset(record, number, _cut_utf8(value, limit))
    return _dataset(1, 90, _UTF8) + _dataset(2, 0, b"\x00\x04") + datasets if datasets else None


def _exif(item: MediaItem) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in ((0x010E, item.caption), (0x013B, item.creator), (0x8298, item.copyright)):
        if value:  # UTF-8 in ASCII tags, as the Metadata Working Group recommends
            exif[tag] = value.replace("\x00", " ").encode("utf-8")
    return exif


def _fits(exif: Image.Exif, xmp: bytes | None) -> bool:
    return len(exif.tobytes()) <= JPEG_SEGMENT_LIMIT and (xmp is None or len(xmp) <= XMP_LIMIT)


def _dataset(record: int, number: int, data: bytes) -> bytes:
    return struct.pack(">BBBH", 0x1C, record, number, len(data)) + data


def _cut_utf8(text: str, limit: int) -> bytes:
    """Encode as UTF-8 and cut to ``limit`` bytes on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore").encode("utf-8")


def _escape(text: str) -> str:
    """Escape &, < and > for XML text (as xml.sax.saxutils.escape does, without importing urllib)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry at all (most C0 controls, surrogates, U+FFFE/FFFF)."""
    return "".join(
        ch for ch in text
        if ch in "\t\n\r" or ("\x20" <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd") or ch > "\uffff"
    )
