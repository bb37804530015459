"""The originals the packages ship: no location or device data by default, pixels and streams untouched."""

from __future__ import annotations

import json
import struct
import subprocess
import zipfile
from pathlib import Path

import av
import pillow_heif
import pytest
from PIL import Image

from conftest import make_photo, make_video, run_cli, run_ffmpeg, write_story
from iptc_files import iim, splice_app13
from mediapack.photo.credit import xmp_packet
from test_rights import exiftool

pillow_heif.register_heif_opener()
GPS_WORDS = ("gps", "location", "xyz", "coordinates")
PRIVATE_WORDS = ("serial", "owner", "makernote", "thumbnailimage", "thumbnailoffset")


def located_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS R5"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (50.0, 27.0, 0.0), "E", (30.0, 31.0, 0.0)  # Kyiv
    photo = exif.get_ifd(0x8769)
    photo[0xA431], photo[0xA430], photo[0xA435] = "BODY-SN-4711", "Jane Owner", "LENS-SN-0815"
    return exif


def located_photo(path: Path, fmt: str | None = None) -> Path:
    xmp = xmp_packet(caption="Editorial caption", credit="Jane/Agency").replace(
        b"</rdf:Description>", b'<exif:GPSLatitude xmlns:exif="http://ns.adobe.com/exif/1.0/">50,27.0N'
                               b"</exif:GPSLatitude><photoshop:City xmlns:photoshop="
                               b'"http://ns.adobe.com/photoshop/1.0/">Kharkiv</photoshop:City></rdf:Description>')
    kwargs = {"exif": located_exif().tobytes() if fmt == "HEIF" else located_exif(), "xmp": xmp}
    return make_photo(path, (640, 480), fmt, **kwargs)


def located_video(path: Path) -> Path:
    plain = make_video(path.with_name("plain-" + path.name), seconds=1.0, size=(320, 240))
    run_ffmpeg("-i", str(plain), "-map", "0", "-c", "copy", "-metadata", "location=+50.4500+030.5233/",
               "-metadata", "com.apple.quicktime.location.ISO6709=+50.4500+030.5233+100.000/",
               "-metadata", "com.apple.quicktime.make=Apple", "-metadata", "title=Editorial title",
               "-movflags", "use_metadata_tags", str(path))
    plain.unlink()
    return path


def motion_photo(path: Path) -> Path:
    """A JPEG with a video appended after its end, as phones' motion photos are: the video has a location."""
    located_photo(path)
    clip = located_video(path.with_suffix(".clip.mov"))
    path.write_bytes(path.read_bytes() + clip.read_bytes())
    clip.unlink()
    return path


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("originals") / "story"
    located_photo(folder / "photos" / "kyiv.jpg")
    splice_app13(folder / "photos" / "kyiv.jpg", iim((2, 120, b"IIM caption"), (2, 90, b"Odesa"),
                                                     (2, 92, b"Prymorskyi"), (2, 101, b"Ukraine")))
    located_photo(folder / "photos" / "kyiv.png", "PNG")
    located_photo(folder / "photos" / "kyiv.webp", "WEBP")
    located_photo(folder / "photos" / "kyiv.heic", "HEIF")
    motion_photo(folder / "photos" / "motion.jpg")
    located_video(folder / "video" / "kyiv.mov")
    items = [f"  - {{id: {name.replace('.', '-')}, file: {sub}/{name}, caption: c, credit: d, alt: a}}"
             for sub, name in (("photos", "kyiv.jpg"), ("photos", "kyiv.png"), ("photos", "kyiv.webp"),
                               ("photos", "kyiv.heic"), ("photos", "motion.jpg"), ("video", "kyiv.mov"))]
    return write_story(folder, "headline: Originals\npublished: 2026-06-20T09:30:00Z\nmedia:\n" + "\n".join(items)
                       + "\n")


def build(story: Path, out: Path, originals: str | None = None) -> dict:
    if originals is not None:
        (story.parent / "desk").mkdir(exist_ok=True)
        (story.parent / "desk" / "mediapack.toml").write_text(f'[packages]\noriginals = "{originals}"\n')
    config = ("--config", str(story.parent / "desk" / "mediapack.toml")) if originals else ()
    proc = run_cli("build", str(story), "--out", str(out), "--json", *config)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["stories"][0]


def every_tag(folder: Path) -> list[tuple[str, str, str]]:
    """(file, tag, value) of every tag exiftool finds in every file, embedded documents included."""
    proc = subprocess.run(["exiftool", "-json", "-a", "-G1", "-ee3", "-r", str(folder)], capture_output=True,
                          text=True, check=True, timeout=300)
    return [(doc["SourceFile"], tag, str(value)) for doc in json.loads(proc.stdout) for tag, value in doc.items()]


def test_no_location_or_device_data_ships_in_any_file_of_any_package(story: Path, tmp_path: Path) -> None:
    result = build(story, tmp_path / "out")
    assert any("kyiv.heic" in w and "left out of the packages" in w for w in result["warnings"])
    unpacked = tmp_path / "unpacked"
    for package in result["packages"]:
        with zipfile.ZipFile(package) as archive:
            archive.extractall(unpacked / Path(package).stem)
    shipped = sorted(p.relative_to(unpacked).as_posix() for p in unpacked.rglob("originals/*/*"))
    assert shipped == ["originals-full/originals/photos/kyiv.jpg", "originals-full/originals/photos/kyiv.png",
                       "originals-full/originals/photos/kyiv.webp", "originals-full/originals/photos/motion.jpg",
                       "originals-full/originals/video/kyiv.mov"]
    found = every_tag(unpacked)
    leaks = [(f, t, v) for f, t, v in found if any(w in t.lower() for w in GPS_WORDS + PRIVATE_WORDS)
             or "50.45" in v or "50 deg 27" in v or "BODY-SN" in v or "Jane Owner" in v or "Kharkiv" in v
             or "Odesa" in v or "Prymorskyi" in v or "Ukraine" in v]
    assert not leaks, leaks[:10]
    assert not [f for f, t, v in found if t.endswith((":Make", ":Model"))]
    # The editorial metadata stays.
    jpeg = exiftool(unpacked / "originals-full" / "originals" / "photos" / "kyiv.jpg")
    assert jpeg["XMP-dc:Description"] == "Editorial caption" and jpeg["XMP-photoshop:Credit"] == "Jane/Agency"
    assert jpeg["IPTC:Caption-Abstract"] == "IIM caption"
    video = exiftool(unpacked / "originals-full" / "originals" / "video" / "kyiv.mov")
    assert any(v == "Editorial title" for k, v in video.items() if k.endswith(":Title"))


def test_the_pixels_and_the_streams_are_as_they_came(story: Path, tmp_path: Path) -> None:
    result = build(story, tmp_path / "out")
    full = next(p for p in result["packages"] if p.endswith("-full.zip"))
    with zipfile.ZipFile(full) as archive:
        for name in ("kyiv.jpg", "kyiv.png", "kyiv.webp", "motion.jpg"):
            archive.extract(f"originals/photos/{name}", tmp_path / "x")
            with Image.open(tmp_path / "x" / "originals" / "photos" / name) as shipped, \
                    Image.open(story / "photos" / name) as source:
                assert shipped.tobytes() == source.tobytes(), name
        archive.extract("originals/video/kyiv.mov", tmp_path / "x")

    def packets(path: Path) -> list[bytes]:
        with av.open(str(path)) as container:
            return [bytes(p) for p in container.demux(container.streams.video[0], container.streams.audio[0])
                    if p.size]

    assert packets(tmp_path / "x" / "originals" / "video" / "kyiv.mov") == packets(story / "video" / "kyiv.mov")


@pytest.mark.parametrize("policy", ["untouched", "none"])
def test_the_setting_ships_them_as_they_came_or_not_at_all(story: Path, tmp_path: Path, policy: str) -> None:
    result = build(story, tmp_path / "out", policy)
    full = next(p for p in result["packages"] if p.endswith("-full.zip"))
    with zipfile.ZipFile(full) as archive:
        names = [n for n in archive.namelist() if n.startswith("originals/")]
        if policy == "none":
            assert names == []
        else:
            assert len(names) == 6
            assert archive.read("originals/photos/kyiv.jpg") == (story / "photos" / "kyiv.jpg").read_bytes()
    manifest = json.loads(Path(result["output"], "manifest.json").read_text(encoding="utf-8"))
    assert ("as they came" if policy == "untouched" else "no originals") in manifest["edNote"]


def test_the_manifest_says_the_originals_are_sanitised(story: Path, tmp_path: Path) -> None:
    result = build(story, tmp_path / "out")
    manifest = json.loads(Path(result["output"], "manifest.json").read_text(encoding="utf-8"))
    assert "location, serial numbers, owner names, maker notes and thumbnails removed" in manifest["edNote"]
    assert run_cli("verify", result["output"]).returncode == 0


def test_an_iim_in_latin_1_keeps_its_caption_and_loses_its_place(tmp_path: Path) -> None:
    from mediapack.model import PHOTO, MediaInfo
    from mediapack.publish.originals import sanitise_photo

    source = splice_app13(make_photo(tmp_path / "latin.jpg", (64, 48)),
                          iim((2, 120, "Café à Genève".encode("latin-1")), (2, 90, "Genève".encode("latin-1"))))
    info = MediaInfo(path=source, kind=PHOTO, format="JPEG", width=64, height=48)
    sanitise_photo(source, info, tmp_path / "out.jpg")
    data = (tmp_path / "out.jpg").read_bytes()
    assert iim((2, 120, "Café à Genève".encode("latin-1"))) in data  # the caption's bytes as they came
    assert b"\x1c\x02\x5a" not in data and "Genève".encode("latin-1") not in data.replace("Café à Genève".encode("latin-1"), b"")


def private_xmp(extra: bytes = b"") -> bytes:
    """An XMP packet holding nothing but a place and its coordinates (and ``extra`` properties)."""
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop='
            b'"http://ns.adobe.com/photoshop/1.0/" xmlns:xmpNote="http://ns.adobe.com/xmp/note/">'
            b"<exif:GPSLatitude>50,27.0N</exif:GPSLatitude><photoshop:City>Kharkiv</photoshop:City>" + extra
            + b"</rdf:Description></rdf:RDF></x:xmpmeta>")


def sanitised(source: Path, fmt: str) -> Path:
    from mediapack.model import PHOTO, MediaInfo
    from mediapack.publish.originals import sanitise_photo

    with Image.open(source) as img:
        info = MediaInfo(path=source, kind=PHOTO, format=fmt, width=img.width, height=img.height)
    sanitise_photo(source, info, source.with_name("sanitised-" + source.name))
    return source.with_name("sanitised-" + source.name)


def private_tags(path: Path) -> list[str]:
    return [f"{tag}={value}" for tag, value in exiftool(path).items()
            if any(word in tag.lower() for word in (*GPS_WORDS, "city", "make", "model", "software"))
            or "Kharkiv" in str(value) or "Secret" in str(value)]


def test_a_webp_whose_xmp_is_all_private_loses_it(tmp_path: Path) -> None:
    # exiv2 wrote the packet back as it was read once none of its keys was left.
    source = make_photo(tmp_path / "w.webp", (64, 48), "WEBP", xmp=private_xmp())
    assert private_tags(source)
    shipped = sanitised(source, "WEBP")
    assert private_tags(shipped) == [] and b"Kharkiv" not in shipped.read_bytes()
    assert "XMP" not in exiftool(shipped).get("RIFF:WebP_Flags", "")  # the VP8X flag mended with the chunk
    with Image.open(shipped) as out, Image.open(source) as came:
        assert out.tobytes() == came.tobytes()


def test_a_jpeg_loses_its_extended_xmp_and_the_segments_exiv2_does_not_read(tmp_path: Path) -> None:
    import hashlib

    extension = private_xmp().replace(b"Kharkiv", b"ExtCitySecret")
    guid = hashlib.md5(extension).hexdigest().upper().encode()  # the GUID the XMP specification prescribes
    main = private_xmp(b"<xmpNote:HasExtendedXMP>" + guid + b"</xmpNote:HasExtendedXMP>").replace(
        b"<exif:GPSLatitude>50,27.0N</exif:GPSLatitude><photoshop:City>Kharkiv</photoshop:City>", b"")
    source = make_photo(tmp_path / "e.jpg", (64, 48), xmp=main)
    part = b"http://ns.adobe.com/xmp/extension/\x00" + guid + struct.pack(">II", len(extension), 0) + extension
    gopro = b"GoPro\x00GPS5 SecretTrack 50.45 30.52"  # a vendor's APP6: its telemetry holds GPS
    data = source.read_bytes()
    source.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(part) + 2) + part
                       + b"\xff\xe6" + struct.pack(">H", len(gopro) + 2) + gopro + data[2:])
    assert exiftool(source)["XMP-photoshop:City"] == "ExtCitySecret"  # exiftool reads the extension
    shipped = sanitised(source, "JPEG")
    assert private_tags(shipped) == []
    assert b"ExtCitySecret" not in shipped.read_bytes() and b"SecretTrack" not in shipped.read_bytes()
    assert "XMP-xmpNote:HasExtendedXMP" not in exiftool(shipped)  # no pointer to what is gone
    with Image.open(shipped) as out, Image.open(source) as came:
        assert out.tobytes() == came.tobytes()


def test_a_png_keeps_its_editorial_text_and_loses_every_other_key(tmp_path: Path) -> None:
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Title", "Editorial title")
    text.add_text("Make", "MakeSecret")
    text.add_text("Software", "SoftwareSecret 1.0")
    text.add_text("Location", "Kharkiv", zip=True)  # zTXt
    text.add_itxt("GPSLatitude", "50.45")
    source = make_photo(tmp_path / "p.png", (64, 48), "PNG", pnginfo=text)
    assert len(private_tags(source)) == 4
    shipped = sanitised(source, "PNG")
    assert private_tags(shipped) == [] and b"MakeSecret" not in shipped.read_bytes()
    assert exiftool(shipped)["PNG:Title"] == "Editorial title"
    with Image.open(shipped) as out, Image.open(source) as came:
        assert out.tobytes() == came.tobytes()


def test_sanitising_refuses_to_write_a_photo_that_still_holds_a_private_key(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from mediapack.errors import BuildError
    from mediapack.publish import originals

    monkeypatch.setattr(originals, "_through_exiv2", lambda data, fmt: data)  # as if exiv2 had removed nothing
    source = located_photo(tmp_path / "kept.jpg")
    with pytest.raises(BuildError, match=r"kept\.jpg: Exif\.\w+\.\w+ is still in it after sanitising"):
        sanitised(source, "JPEG")
    assert not (tmp_path / "sanitised-kept.jpg").exists()


def test_check_says_what_becomes_of_photos_with_unreadable_metadata_or_a_gifs_xmp(tmp_path: Path) -> None:
    folder = tmp_path / "story"
    bad_exif = b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x05\x00" + b"\xff" * 40  # five entries past the end
    data = make_photo(folder / "badexif.jpg", (64, 48)).read_bytes()
    (folder / "badexif.jpg").write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(bad_exif) + 2) + bad_exif
                                         + data[2:])
    make_photo(folder / "badxmp.jpg", (64, 48), exif=located_exif(),
               xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description <<<broken')
    gif = make_photo(folder / "a.gif", (64, 48), "GIF")
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-photoshop:City=Kharkiv", str(gif)], check=True)
    items = [f"  - {{id: {name.split('.')[0]}, file: {name}, caption: c, credit: d, alt: a}}"
             for name in ("badexif.jpg", "badxmp.jpg", "a.gif")]
    write_story(folder, "headline: Bad\npublished: 2026-06-20T09:30:00Z\nmedia:\n" + "\n".join(items) + "\n")
    checked = run_cli("check", str(folder))
    assert checked.returncode == 0, checked.stderr
    # One line each, and nothing else: no "[warn]" from exiv2, no Pillow UserWarning from site-packages.
    assert [line.split(":")[0] for line in checked.stderr.splitlines()] == ["warning"] * 3 + ["ok"], checked.stderr
    assert "badexif.jpg: its metadata cannot be read (Directory Image: IFD entry" in checked.stderr
    assert "badxmp.jpg: its metadata cannot be read (XMP Toolkit error 201" in checked.stderr
    assert ("a.gif: its XMP cannot be removed from a GIF without rewriting it: it is left out of the packages "
            '(set [packages] originals = "untouched"') in checked.stderr
    result = build(folder, tmp_path / "out")
    assert len(result["warnings"]) == 3
    full = next(p for p in result["packages"] if p.endswith("-full.zip"))
    with zipfile.ZipFile(full) as archive:
        assert sorted(n for n in archive.namelist() if n.startswith("originals/")) == [
            "originals/badexif.jpg", "originals/badxmp.jpg"]
        archive.extractall(tmp_path / "unpacked")
    for name in ("badexif.jpg", "badxmp.jpg"):
        tags = exiftool(tmp_path / "unpacked" / "originals" / name)
        assert not [tag for tag in tags if tag.split(":")[0] in ("IFD0", "ExifIFD", "GPS", "XMP-exif")], tags
        assert b"EOS R5" not in (tmp_path / "unpacked" / "originals" / name).read_bytes()
