"""Embedded photo metadata: IPTC IIM and XMP read back, XMP written safely."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from conftest import make_photo, run_cli, write_story
from iptc_files import iim, splice_app13
from mediapack.photo.credit import xmp_packet
from mediapack.photo.metadata import EmbeddedMetadata, read_embedded_metadata

XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
      xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
      photoshop:Credit="XMP Credit/Agency">
   <dc:description><rdf:Alt>
     <rdf:li xml:lang="de">Bildunterschrift</rdf:li>
     <rdf:li xml:lang="x-default">XMP caption – café</rdf:li>
   </rdf:Alt></dc:description>
   <dc:creator><rdf:Seq><rdf:li>Ann One</rdf:li><rdf:li>Bo Two</rdf:li></rdf:Seq></dc:creator>
   <dc:rights><rdf:Alt><rdf:li xml:lang="en">© 2026 XMP</rdf:li></rdf:Alt></dc:rights>
   <Iptc4xmpCore:AltTextAccessibility><rdf:Alt>
     <rdf:li xml:lang="x-default">A red square on grey</rdf:li>
   </rdf:Alt></Iptc4xmpCore:AltTextAccessibility>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def jpeg_with_app13(path: Path, iim_data: bytes, **save) -> Path:
    """Write a small JPEG and splice a Photoshop APP13 segment (8BIM 0x0404) in after SOI."""
    Image.new("RGB", (32, 24), (90, 120, 150)).save(path, "JPEG", **save)
    return splice_app13(path, iim_data)


def test_iim_utf8_declared_by_1_90(tmp_path):
    data = iim((1, 90, b"\x1b%G"), (2, 120, "Café – “quoted” ✓".encode()),
               (2, 110, "Zoë/Agence".encode()), (2, 80, b"Ann One"), (2, 80, "Bö Two".encode()),
               (2, 116, "© 2026 News".encode()))
    meta = read_embedded_metadata(jpeg_with_app13(tmp_path / "utf8.jpg", data))
    assert meta == EmbeddedMetadata(caption="Café – “quoted” ✓", credit="Zoë/Agence",
                                    creator="Ann One, Bö Two", copyright="© 2026 News")


def test_iim_latin1_without_charset(tmp_path):
    data = iim((2, 120, "Café à Paris".encode("latin-1")), (2, 110, "Agence Française".encode("latin-1")),
               (2, 116, "\xa9 2026".encode("latin-1")))
    meta = read_embedded_metadata(jpeg_with_app13(tmp_path / "latin1.jpg", data))
    assert meta.caption == "Café à Paris"
    assert meta.credit == "Agence Française"
    assert meta.copyright == "© 2026"
    assert meta.alt is None and meta.creator is None


def test_iim_utf8_without_charset_is_still_read_as_utf8(tmp_path):
    meta = read_embedded_metadata(jpeg_with_app13(tmp_path / "u.jpg", iim((2, 120, "Łódź".encode()))))
    assert meta.caption == "Łódź"


def test_iim_in_tiff_tag(tmp_path):
    path = tmp_path / "iptc.tif"
    Image.new("RGB", (16, 16)).save(path, tiffinfo={33723: iim((2, 120, b"Tiff caption"))})
    assert read_embedded_metadata(path).caption == "Tiff caption"


def test_xmp_alt_seq_attribute_forms(tmp_path):
    path = tmp_path / "xmp.jpg"
    Image.new("RGB", (32, 24)).save(path, xmp=XMP_TEMPLATE.encode())
    assert read_embedded_metadata(path) == EmbeddedMetadata(
        caption="XMP caption – café", credit="XMP Credit/Agency", creator="Ann One, Bo Two",
        copyright="© 2026 XMP", alt="A red square on grey")


def test_xmp_wins_over_iim_field_by_field(tmp_path):
    data = iim((2, 120, b"IIM caption"), (2, 110, b"IIM credit"))
    packet = xmp_packet(caption="XMP caption")
    path = jpeg_with_app13(tmp_path / "both.jpg", data, xmp=packet)
    meta = read_embedded_metadata(path)
    assert meta.caption == "XMP caption"
    assert meta.credit == "IIM credit"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF", "AVIF"])
def test_xmp_read_from_other_containers(tmp_path, fmt):
    path = tmp_path / f"photo.{fmt.lower()}"
    img = Image.new("RGB", (32, 24), (10, 20, 30))
    packet = xmp_packet("Caption", "Credit", "Creator", "© Rights", "Alt text")
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet.decode())
        img.save(path, pnginfo=info)
    elif fmt == "TIFF":
        img.save(path, tiffinfo={700: packet})
    else:
        img.save(path, fmt, xmp=packet)
    assert read_embedded_metadata(path) == EmbeddedMetadata("Caption", "Credit", "Creator",
                                                            "© Rights", "Alt text")


def test_xmp_packet_escapes_hostile_text_and_round_trips(tmp_path):
    hostile = 'Fire <script>alert("x")</script> & {{ name }} \x00\x07bell'
    packet = xmp_packet(caption=hostile, credit="A & B <Agency>", creator=None,
                        copyright="© 2026", alt="line one\nline two")
    assert b"<script>" not in packet
    root = ET.fromstring(packet)  # well-formed XML
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    path = tmp_path / "h.jpg"
    Image.new("RGB", (16, 16)).save(path, xmp=packet)
    meta = read_embedded_metadata(path)
    assert meta.caption == 'Fire <script>alert("x")</script> & {{ name }} bell'
    assert meta.credit == "A & B <Agency>"
    assert meta.creator is None
    assert meta.alt == "line one\nline two"


def test_xmp_packet_leaves_out_empty_values():
    packet = xmp_packet(caption="Only caption")
    assert b"dc:description" in packet
    assert b"photoshop:Credit" not in packet and b"dc:creator" not in packet


@pytest.mark.parametrize("wrapped", [True, False])
def test_xmp_with_doctype_or_entities_is_refused(tmp_path, wrapped):
    evil = XMP_TEMPLATE.replace("XMP caption – café", "&e;")
    if not wrapped:  # a bare rdf:RDF packet, so the DOCTYPE sits right before the root
        evil = evil[evil.index("<rdf:RDF"):evil.index("</x:xmpmeta>")]
    root = "x:xmpmeta" if wrapped else "rdf:RDF"
    evil = evil.replace(f"<{root}", f'<!DOCTYPE {root} [<!ENTITY e "EXPANDED">]>\n<{root}', 1)
    path = tmp_path / "evil.jpg"
    Image.new("RGB", (16, 16)).save(path, xmp=evil.encode())
    assert read_embedded_metadata(path) == EmbeddedMetadata()


@pytest.mark.parametrize("content", [
    b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF",  # cut off
    b"\x00\xff\xfe garbage",
    b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><undeclared:tag/></x:xmpmeta>",
])
def test_garbled_xmp_gives_empty_fields(tmp_path, content):
    path = tmp_path / "bad.jpg"
    Image.new("RGB", (16, 16)).save(path, xmp=content)
    assert read_embedded_metadata(path) == EmbeddedMetadata()


def test_garbled_iim_gives_empty_fields_or_what_it_can(tmp_path):
    data = iim((2, 120, b"Good caption")) + b"\x1c\x02\x6e\xff\xff"  # credit claims 64 KB, truncated
    meta = read_embedded_metadata(jpeg_with_app13(tmp_path / "cut.jpg", data))
    assert meta.caption == "Good caption"


@pytest.mark.parametrize("name,content", [
    ("notes.txt", b"just some text\n"),
    ("empty.jpg", b""),
    ("half.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
])
def test_non_images_and_broken_files_give_empty_fields(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert read_embedded_metadata(path) == EmbeddedMetadata()


def test_missing_file_gives_empty_fields(tmp_path):
    assert read_embedded_metadata(tmp_path / "nope.jpg") == EmbeddedMetadata()


def test_control_characters_in_iim_are_folded(tmp_path):
    data = iim((2, 120, b"Line\x00 one\x1b[31m red\x00\x00"))
    meta = read_embedded_metadata(jpeg_with_app13(tmp_path / "ctl.jpg", data))
    assert meta.caption == "Line  one [31m red"


# --- what a user sees: probe, check and build -------------------------------------------------

def agency_photo(path: Path) -> Path:
    """A JPEG as an agency sends it: IIM in Latin-1 (caption, credit, by-line, rights), XMP alt text."""
    data = iim((2, 120, "Quai de la gare, à l'aube".encode("latin-1")), (2, 110, b"AFP"),
               (2, 80, "Zoé Martin".encode("latin-1")), (2, 116, "\xa9 2026 AFP".encode("latin-1")))
    path.parent.mkdir(parents=True, exist_ok=True)
    return jpeg_with_app13(path, data, xmp=xmp_packet(alt="A platform at dawn"))


def test_probe_shows_the_embedded_caption_credit_byline_rights_and_alt(tmp_path):
    photo = agency_photo(tmp_path / "-agency:photo.jpg")
    proc = run_cli("probe", "--json", str(photo))
    assert proc.returncode == 0, proc.stderr
    (found,) = json.loads(proc.stdout)
    assert (found["kind"], found["width"], found["height"]) == ("photo", 32, 24)
    assert {k: found[k] for k in ("caption", "credit", "creator", "copyright", "alt")} == {
        "caption": "Quai de la gare, à l'aube", "credit": "AFP", "creator": "Zoé Martin",
        "copyright": "© 2026 AFP", "alt": "A platform at dawn"}
    text = run_cli("probe", str(photo))
    assert text.returncode == 0, text.stderr
    for line in ("caption: Quai de la gare, à l'aube", "credit: AFP", "creator: Zoé Martin",
                 "copyright: © 2026 AFP", "alt: A platform at dawn"):
        assert f"  {line}\n" in text.stdout


def test_probe_of_a_photo_without_metadata_shows_none(tmp_path):
    proc = run_cli("probe", "--json", str(make_photo(tmp_path / "plain.jpg", (40, 30))))
    (found,) = json.loads(proc.stdout)
    assert [found[k] for k in ("caption", "credit", "creator", "copyright", "alt")] == [None] * 5


def test_check_fills_missing_caption_credit_and_alt_from_the_file(tmp_path):
    agency_photo(tmp_path / "story" / "photos" / "agency.jpg")
    make_photo(tmp_path / "story" / "photos" / "plain.jpg", (40, 30))
    story = write_story(tmp_path / "story", """
        headline: Embedded metadata
        published: 2026-06-20T09:30:00Z
        media:
          - id: agency
            file: photos/agency.jpg
        """)
    assert run_cli("check", "--strict", str(story)).returncode == 0
    (story / "story.md").write_text((story / "story.md").read_text().replace(
        "agency.jpg", "plain.jpg"), encoding="utf-8")
    proc = run_cli("check", "--strict", str(story))
    assert proc.returncode == 1
    assert "media[agency].caption" in proc.stderr and "missing" in proc.stderr


def test_build_uses_the_embedded_credit_where_the_story_has_none(tmp_path):
    agency_photo(tmp_path / "story" / "photos" / "agency.jpg")
    story = write_story(tmp_path / "story", """
        headline: Embedded metadata
        slug: embedded
        media:
          - id: agency
            file: photos/agency.jpg
            caption: The story's own caption
        """)
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "out" / "embedded"
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    (photo,) = manifest["associations"]
    assert photo["by"] == "AFP" and photo["copyrightNotice"] == "© 2026 AFP"
    assert {d["role"]: d["value"] for d in photo["descriptions"]} == {
        "caption": "The story's own caption", "alt": "A platform at dawn"}
    # the credit travels inside every rendition
    for path in (root / "media" / "agency").iterdir():
        assert read_embedded_metadata(path) == EmbeddedMetadata(
            caption="The story's own caption", credit="AFP", creator="Zoé Martin",
            copyright="© 2026 AFP", alt="A platform at dawn"), path.name


# --- files written and read by exiv2 (the library behind digiKam, darktable and gThumb) -------------

def exiv2():
    """Return pyexiv2; its wheels (the dev group installs them on Linux) exist for few other platforms."""
    return pytest.importorskip("pyexiv2", reason="pyexiv2 has no wheel for this platform")


def exiv2_photo(path: Path, iptc: dict | None = None, xmp: dict | None = None, encoding: str = "utf-8") -> Path:
    """Write a small JPEG and let exiv2 add IPTC IIM and XMP to it, as a picture desk's tools do."""
    pyexiv2 = exiv2()

    Image.new("RGB", (64, 48), (90, 120, 150)).save(path, "JPEG")
    with pyexiv2.Image(str(path), encoding=encoding) as img:
        if iptc:
            img.modify_iptc(iptc, encoding=encoding)
        if xmp:
            img.modify_xmp(xmp, encoding=encoding)
    return path


def test_iim_and_xmp_written_by_exiv2_are_read(tmp_path):
    path = exiv2_photo(tmp_path / "desk.jpg", iptc={
        "Iptc.Envelope.CharacterSet": "\x1b%G",
        "Iptc.Application2.Caption": "Fähre im Morgenlicht – café",
        "Iptc.Application2.Credit": "Zoë Müller/Agentur",
        "Iptc.Application2.Byline": ["Ann One", "Bö Two"],
        "Iptc.Application2.Copyright": "© 2026 Nachrichten"})
    assert read_embedded_metadata(path) == EmbeddedMetadata(
        caption="Fähre im Morgenlicht – café", credit="Zoë Müller/Agentur", creator="Ann One, Bö Two",
        copyright="© 2026 Nachrichten")


def test_latin1_iim_written_by_exiv2_is_read(tmp_path):
    path = exiv2_photo(tmp_path / "latin1.jpg", encoding="iso-8859-1", iptc={
        "Iptc.Application2.Caption": "Café à Paris", "Iptc.Application2.Credit": "Agence Française"})
    meta = read_embedded_metadata(path)
    assert (meta.caption, meta.credit) == ("Café à Paris", "Agence Française")


def test_xmp_written_by_exiv2_wins_over_its_iim(tmp_path):
    path = exiv2_photo(tmp_path / "both.jpg", iptc={"Iptc.Application2.Caption": "IIM caption"}, xmp={
        "Xmp.dc.description": {'lang="x-default"': "XMP caption – ünïcode"},
        "Xmp.photoshop.Credit": "XMP Credit",
        "Xmp.dc.creator": ["Ann One"],
        "Xmp.dc.rights": {'lang="x-default"': "© 2026 XMP"}})
    assert read_embedded_metadata(path) == EmbeddedMetadata(
        caption="XMP caption – ünïcode", credit="XMP Credit", creator="Ann One", copyright="© 2026 XMP")


def test_exiv2_reads_the_credit_mediapack_embeds(tmp_path):
    pyexiv2 = exiv2()
    from mediapack.model import MediaItem
    from mediapack.photo.credit import splice_credit
    from mediapack.photo.renditions import make_photo_renditions
    from mediapack.settings import PhotoSettings

    source = exiv2_photo(tmp_path / "plain.jpg")
    item = MediaItem("plain", Path("plain.jpg"), caption="Ferry <at> dawn & “quotes”",
                     credit="Zoë Müller/Agency", creator="Zoë Müller", copyright="© 2026 News", alt="A ferry",
                     license="https://creativecommons.org/licenses/by/4.0/",
                     acquire_license_page="https://news.example.org/licensing")
    renditions, _ = make_photo_renditions(item, source, tmp_path / "out", PhotoSettings())
    jpegs = [r for r in renditions if r.content_type == "image/jpeg"]
    assert len(jpegs) == 2  # the 64x48 photo: its own size, and the square
    for rendition in jpegs:
        splice_credit(tmp_path / "out" / rendition.path, item)  # as every build does
        with pyexiv2.Image(str(tmp_path / "out" / rendition.path)) as img:
            xmp, exif, iptc = img.read_xmp(), img.read_exif(), img.read_iptc()
        assert iptc["Iptc.Application2.Caption"] == "Ferry <at> dawn & “quotes”"
        assert iptc["Iptc.Application2.Credit"] == "Zoë Müller/Agency"
        assert iptc["Iptc.Application2.Byline"] == ["Zoë Müller"]
        assert iptc["Iptc.Application2.Copyright"] == "© 2026 News"
        assert iptc["Iptc.Envelope.CharacterSet"] == "\x1b%G"
        assert xmp["Xmp.xmpRights.WebStatement"] == "https://creativecommons.org/licenses/by/4.0/"
        assert xmp["Xmp.plus.Licensor[1]/plus:LicensorURL"] == "https://news.example.org/licensing"
        assert xmp["Xmp.dc.description"] == {'lang="x-default"': "Ferry <at> dawn & “quotes”"}
        assert xmp["Xmp.photoshop.Credit"] == "Zoë Müller/Agency"
        assert xmp["Xmp.dc.creator"] == ["Zoë Müller"]
        assert xmp["Xmp.dc.rights"] == {'lang="x-default"': "© 2026 News"}
        assert xmp["Xmp.iptc.AltTextAccessibility"] == {'lang="x-default"': "A ferry"}
        assert exif["Exif.Image.ImageDescription"] == "Ferry <at> dawn & “quotes”"
        assert exif["Exif.Image.Artist"] == "Zoë Müller"
        assert exif["Exif.Image.Copyright"] == "© 2026 News"
