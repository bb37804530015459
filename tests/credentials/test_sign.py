"""A signed build end to end: every rendition's Content Credentials read back, verified, reproducible."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import zipfile
from pathlib import Path

import av
import c2pa
import pytest
from PIL import Image
from signing_certificates import make_credentials

from conftest import SLUG, make_photo, make_tiny_story, make_video, run_cli, write_story
from mediapack import __version__
from mediapack.cache import RenditionCache
from mediapack.context import BuildContext, Reporter
from mediapack.credentials.manifest import PARENT, Ingredient, definition
from mediapack.credentials.setup import ENV_CERT, ENV_KEY, signing_setup
from mediapack.credentials.sign import sign_media
from mediapack.credentials.signer import Signing
from mediapack.credentials.verify import signed_in_manifest
from mediapack.model import PHOTO, VIDEO, BuiltMedia, MediaInfo, MediaItem, Rendition, Story
from mediapack.publish.checksums import CHECKSUMS
from mediapack.settings import Settings, SigningSettings
from mediapack.workers import Workers

SIGNED_SUFFIXES = (".jpg", ".webp", ".avif", ".mp4")
MIME = {".jpg": "image/jpeg", ".webp": "image/webp", ".avif": "image/avif", ".mp4": "video/mp4"}


def sign_as_camera(path: Path, folder: Path, *extra: dict) -> None:
    """Sign a JPEG as a camera that signs at capture would, with a certificate of its own."""
    camera = make_credentials(folder)
    manifest = {"claim_generator_info": [{"name": "test-camera"}], "title": path.name, "assertions": [
        {"label": "c2pa.actions", "data": {"actions": [
            {"action": "c2pa.created",
             "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}}, *extra]}
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo("es256", camera.chain.read_bytes(), camera.key.read_bytes(),
                                                       None))
    unsigned, signed = path.read_bytes(), path.with_suffix(".signed")
    with c2pa.Builder(manifest) as builder, signed.open("wb") as out:
        builder.sign(signer, "image/jpeg", io.BytesIO(unsigned), out)
    signed.replace(path)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the tiny story signed (with -v, so the logs can be searched too); share it across the module."""
    base = tmp_path_factory.mktemp("signed")
    creds = make_credentials(base / "creds")
    story = make_tiny_story(base / "tiny-story")
    sign_as_camera(story / "photos" / "one.jpg", base / "camera")
    (story / "mediapack.toml").write_text('[photos.sizes]\nsmall = { long_edge = 320, formats = ["jpg", "webp", '
                                          '"avif"] }\n[video]\npreset = "ultrafast"\n')
    env = {ENV_CERT: str(creds.chain), ENV_KEY: str(creds.key)}
    out, cache = base / "dist", base / "cache"
    proc = run_cli("build", str(story), "--out", str(out), "--cache", str(cache), "--json", "-v", env=env)
    assert proc.returncode == 0, proc.stderr
    return {"creds": creds, "story": story, "out": out, "root": out / SLUG, "cache": cache, "env": env,
            "logs": proc.stdout + proc.stderr}


def media_files(root: Path) -> list[Path]:
    """Every picture and MP4 but the HLS stream's parts (fMP4 segments are not signed one by one)."""
    return sorted(p for p in (root / "media").rglob("*") if p.suffix in SIGNED_SUFFIXES and "hls" not in p.parts)


def read_back(path: Path) -> c2pa.Reader:
    with path.open("rb") as stream:
        return c2pa.Reader(MIME[path.suffix], stream)


def test_every_picture_and_mp4_reads_back_signed(signed: dict) -> None:
    files = media_files(signed["root"])
    assert {p.suffix for p in files} == set(SIGNED_SUFFIXES)
    for path in files:
        reader = read_back(path)
        assert reader.get_validation_state() == "Valid", path
        manifest = reader.get_active_manifest()
        assert manifest["claim_generator_info"][0]["name"] == "mediapack"
        assert manifest["claim_generator_info"][0]["version"] == __version__
        assert manifest["signature_info"]["issuer"] == "Example News"
        assert "thumbnail" not in manifest, path  # thumbnails are off: they would bloat small renditions
        (parent,) = manifest["ingredients"]
        assert parent["relationship"] == "parentOf"
        assert parent["title"] == {"one": "one.jpg", "two": "two.png", "clip": "clip.mp4"}[path.parent.name]
        assertions = {a["label"]: a["data"] for a in manifest["assertions"]}
        actions = [a["action"] for a in assertions["c2pa.actions.v2"]["actions"]]
        assert actions[0] == "c2pa.opened" and actions[-1] == "c2pa.edited.metadata"
        assert assertions["stds.schema-org.CreativeWork"]["creditText"] == {
            "one": "Ann Writer/Example", "two": "Bo Reporter", "clip": "Example Video"}[path.parent.name]


def test_a_source_signed_at_capture_keeps_its_manifest_in_the_chain(signed: dict) -> None:
    reader = read_back(signed["root"] / "media" / "one" / "small.jpg")
    (parent,) = reader.get_active_manifest()["ingredients"]
    camera = reader.get_manifest(parent["active_manifest"])
    assert camera["claim_generator_info"][0]["name"] == "test-camera"
    assert reader.get_validation_state() == "Valid"
    two = read_back(signed["root"] / "media" / "two" / "small.jpg").get_active_manifest()["ingredients"][0]
    assert "active_manifest" not in two  # an unsigned source: named, with no manifest of its own


def test_the_actions_say_what_was_done(signed: dict) -> None:
    def actions(name: str) -> list[str]:
        manifest = read_back(signed["root"] / "media" / name).get_active_manifest()
        return [a["action"] for a in {a["label"]: a["data"] for a in manifest["assertions"]}["c2pa.actions.v2"]
                ["actions"]]

    assert actions("one/square.jpg") == ["c2pa.opened", "c2pa.cropped", "c2pa.resized", "c2pa.transcoded",
                                         "c2pa.edited.metadata"]
    assert actions("one/small.avif") == ["c2pa.opened", "c2pa.resized", "c2pa.transcoded", "c2pa.edited.metadata"]
    assert actions("clip/240p.mp4") == ["c2pa.opened", "c2pa.transcoded", "c2pa.edited.metadata"]  # its own size


def test_signed_mp4s_still_decode_and_start_fast(signed: dict) -> None:
    for path in (p for p in media_files(signed["root"]) if p.suffix == ".mp4"):
        with av.open(str(path)) as container:
            assert sum(1 for _ in container.decode(video=0)) == 50  # 2 s at 25 fps
        data, boxes, at = path.read_bytes(), [], 0
        while at < len(data):
            size, kind = struct.unpack(">I4s", data[at:at + 8])
            boxes.append(kind.decode())
            at += size
        assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_the_page_marks_signed_media_and_the_manifest_lists_them(signed: dict) -> None:
    root = signed["root"]
    page = (root / "index.html").read_text()
    assert page.count('class="content-credentials" title="Content Credentials: Example News"') == 3  # one a figure
    assert "http" not in page.split("content-credentials", 1)[1].split("</style>")[0]  # no request for an icon
    manifest = json.loads((root / "manifest.json").read_text())
    listed = {t["href"] for a in manifest["associations"] for t in a.get("trustIndicators", [])}
    titles = {t["title"] for a in manifest["associations"] for t in a.get("trustIndicators", [])}
    assert listed == {p.relative_to(root).as_posix() for p in media_files(root)}
    assert titles == {"Content Credentials signed by Example News"}


def test_verify_checks_credentials_and_trust(signed: dict) -> None:
    root, creds = signed["root"], signed["creds"]
    proc = run_cli("verify", str(root), "--trust-anchors", str(creds.root))
    assert proc.returncode == 0, proc.stderr
    assert "media/one/small.jpg: Content Credentials valid, trusted, signed by Example News (Signing desk)" \
        in proc.stderr
    stranger = make_credentials(root.parent.parent / "stranger")
    proc = run_cli("verify", str(root / "packages" / f"{SLUG}-full.zip"), "--trust-anchors", str(stranger.root))
    assert proc.returncode == 0, proc.stderr
    assert "media/clip/poster.jpg: Content Credentials valid, not trusted by the trust anchors" in proc.stderr


def test_a_tampered_file_fails_verify_even_with_its_checksum_updated(signed: dict, tmp_path: Path) -> None:
    copy = shutil.copytree(signed["root"], tmp_path / SLUG)
    victim = copy / "media" / "one" / "small.jpg"
    data = bytearray(victim.read_bytes())
    data[-200] ^= 0x01  # one bit of the picture's entropy-coded data
    victim.write_bytes(bytes(data))
    sums = (copy / CHECKSUMS).read_text()
    old = next(line for line in sums.splitlines() if line.endswith("media/one/small.jpg"))
    (copy / CHECKSUMS).write_text(sums.replace(old, f"{hashlib.sha256(data).hexdigest()}  media/one/small.jpg"))
    proc = run_cli("verify", str(copy))
    assert proc.returncode == 4
    assert "media/one/small.jpg: Content Credentials INVALID, signed by Example News (Signing desk): " \
           "assertion.dataHash.mismatch" in proc.stderr


def test_a_file_listed_as_signed_without_credentials_fails_verify(signed: dict, tmp_path: Path) -> None:
    copy = shutil.copytree(signed["root"], tmp_path / SLUG)
    victim = copy / "media" / "clip" / "poster.jpg"
    Image.open(victim).save(victim)  # re-saved: the manifest is gone, the picture the same
    sums = (copy / CHECKSUMS).read_text()
    old = next(line for line in sums.splitlines() if line.endswith("media/clip/poster.jpg"))
    digest = hashlib.sha256(victim.read_bytes()).hexdigest()
    (copy / CHECKSUMS).write_text(sums.replace(old, f"{digest}  media/clip/poster.jpg"))
    proc = run_cli("verify", str(copy))
    assert proc.returncode == 4
    assert "media/clip/poster.jpg: manifest.json says it was signed, but it holds no Content Credentials" \
        in proc.stderr


def test_signed_files_are_found_in_a_manifest_with_absolute_links(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"associations": [{"trustIndicators": [
        {"role": "https://c2pa.org", "href": "https://media.example.org/stories/ferry/media/crew/large.jpg"},
        {"role": "https://c2pa.org", "href": "media/crew/small.webp"}]}]}))
    assert signed_in_manifest(tmp_path) == {"media/crew/large.jpg", "media/crew/small.webp"}


def test_a_rebuild_is_byte_identical(signed: dict, tmp_path: Path) -> None:
    before = {p.relative_to(signed["root"]): p.read_bytes() for p in signed["root"].rglob("*") if p.is_file()}
    proc = run_cli("build", str(signed["story"]), "--out", str(tmp_path / "again"), "--cache", str(signed["cache"]),
                   env=signed["env"])
    assert proc.returncode == 0, proc.stderr
    again = tmp_path / "again" / SLUG
    after = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert after.keys() == before.keys()
    assert [name for name in before if before[name] != after[name]] == []


def test_the_key_never_reaches_outputs_cache_or_logs(signed: dict) -> None:
    key_lines = [line for line in signed["creds"].key.read_text().splitlines() if "-----" not in line]
    assert key_lines
    searched = [p for folder in (signed["out"], signed["cache"]) for p in folder.rglob("*") if p.is_file()]
    for path in searched:
        data = path.read_bytes()
        assert not any(line.encode() in data for line in key_lines), path
    assert not any(line in signed["logs"] for line in key_lines)
    assert str(signed["creds"].key) not in (signed["out"] / SLUG / "manifest.json").read_text()


def test_without_a_signing_set_up_nothing_is_signed(tmp_path: Path) -> None:
    story = make_tiny_story(tmp_path / "tiny-story")
    proc = run_cli("build", str(story), "--out", str(tmp_path / "dist"), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "dist" / SLUG
    for path in media_files(root):
        with path.open("rb") as stream:
            assert c2pa.Reader.try_create(MIME[path.suffix], stream) is None, path
    assert "content-credentials" not in (root / "index.html").read_text()
    assert "trustIndicators" not in (root / "manifest.json").read_text()


@pytest.mark.parametrize("source", ["clip.mkv", "broken.jpg"])
def test_a_source_c2pa_cannot_read_is_named_not_read(tmp_path: Path, source: str) -> None:
    creds = make_credentials(tmp_path / "creds")
    setup, _ = signing_setup(Settings(signing=SigningSettings(cert=str(creds.chain), key=str(creds.key))))
    (tmp_path / source).write_bytes(b"not what its name says" * 100)
    unsigned = tmp_path / "small.jpg"
    Image.new("RGB", (32, 24), "teal").save(unsigned)
    built = BuiltMedia(MediaItem(id="x", file=Path(source)), MediaInfo(path=Path(source), kind=PHOTO,
                                                                       format="JPEG", width=32, height=24), ())
    parts = (Ingredient(PARENT, tmp_path / source, "parentOf", "x" + Path(source).suffix),)
    rendition = Rendition(name="small", path=Path("small.jpg"), content_type="image/jpeg", size_bytes=0)
    with Signing(setup) as signing:
        signing.sign(unsigned, tmp_path / "signed.jpg", definition(built, rendition, parts), parts)
    reader = read_back(tmp_path / "signed.jpg")
    assert reader.get_validation_state() == "Valid"
    (parent,) = reader.get_active_manifest()["ingredients"]
    assert (parent["title"], parent["relationship"]) == ("x" + Path(source).suffix, "parentOf")


def one_photo_story(folder: Path, file: str = "shot.jpg", **save) -> Path:
    """Write a story of one small photo, ``id: shot``, saved with ``save`` (exif=, xmp=)."""
    write_story(folder, f"""
        headline: Located
        media:
          - {{id: shot, file: {file}, caption: A shot, credit: Ann, alt: Shapes}}
        """)
    make_photo(folder / file, (64, 48), **save)
    return folder


def signing_env(folder: Path) -> dict[str, str]:
    creds = make_credentials(folder)
    return {ENV_CERT: str(creds.chain), ENV_KEY: str(creds.key)}


@pytest.mark.parametrize("assertions, fields, values", [
    ([{"label": "stds.exif", "data": {"@context": {"exif": "http://ns.adobe.com/exif/1.0/"},
                                      "exif:GPSLatitude": "50,27.0N", "exif:GPSLongitude": "30,31.0E",
                                      "exif:BodySerialNumber": "SN-4711"}}],
     "exif:BodySerialNumber, exif:GPSLatitude, exif:GPSLongitude", (b"GPSLatitude", b"SN-4711")),
    ([{"label": "stds.exif", "data": {"@context": {"tiff": "http://ns.adobe.com/tiff/1.0/"},
                                      "tiff:Make": "Leica Camera AG", "tiff:Model": "M11-P"}},
      {"label": "stds.iptc", "data": {"@context": {"photoshop": "http://ns.adobe.com/photoshop/1.0/"},
                                      "photoshop:City": "Kharkiv", "photoshop:Country": "Ukraine"}}],
     "photoshop:City, photoshop:Country, tiff:Make, tiff:Model", (b"Leica", b"M11-P", b"Kharkiv", b"Ukraine")),
], ids=["location and serial", "camera and place"])
def test_a_capture_manifest_with_private_fields_stays_out_of_the_chain(tmp_path: Path, assertions: list[dict],
                                                                       fields: str, values: tuple[bytes]) -> None:
    story = one_photo_story(tmp_path / "story")
    sign_as_camera(story / "shot.jpg", tmp_path / "camera", *assertions)
    env = signing_env(tmp_path / "creds")
    proc = run_cli("check", str(story), env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"shot.jpg carries Content Credentials of its own holding location or device data ({fields})" in proc.stderr
    proc = run_cli("build", str(story), "--out", str(tmp_path / "dist"), "--no-cache", env=env)
    assert proc.returncode == 0, proc.stderr
    signed = media_files(tmp_path / "dist" / "located")
    assert signed
    for path in signed:
        assert [value for value in values if value in path.read_bytes()] == [], path
        (parent,) = read_back(path).get_active_manifest()["ingredients"]
        assert parent["title"] == "shot.jpg" and "active_manifest" not in parent, path


def test_neither_the_source_files_name_nor_its_xmp_ids_travel(tmp_path: Path) -> None:
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmpMM:InstanceID='
           b'"xmp.iid:SECRETIID" xmpMM:DocumentID="xmp.did:SECRETDID" xmpMM:OriginalDocumentID="xmp.did:SECRETODID"/>'
           b"</rdf:RDF></x:xmpmeta>")
    story = one_photo_story(tmp_path / "story", "secret-name.jpg", xmp=xmp)
    (story / "mediapack.toml").write_text('[packages]\noriginals = "none"\n')
    proc = run_cli("build", str(story), "--out", str(tmp_path / "dist"), "--no-cache",
                   env=signing_env(tmp_path / "creds"))
    assert proc.returncode == 0, proc.stderr
    signed = media_files(tmp_path / "dist" / "located")
    assert signed
    for path in signed:
        data = path.read_bytes()
        assert [word for word in (b"secret-name", b"SECRETIID", b"SECRETDID", b"SECRETODID") if word in data] == []
        (parent,) = read_back(path).get_active_manifest()["ingredients"]
        assert (parent["title"], parent["instance_id"]) == ("shot.jpg", "mediapack:shot.jpg")


def test_a_slideshow_is_signed_as_created_from_the_photos_it_places(tmp_path: Path) -> None:
    creds = make_credentials(tmp_path / "creds")
    setup, _ = signing_setup(Settings(signing=SigningSettings(cert=str(creds.chain), key=str(creds.key))))
    story_dir = tmp_path / "story"
    photos = [MediaItem(id=name, file=Path(f"photos/{name}.jpg"), credit="Ann") for name in ("one", "two")]
    for item in photos:
        make_photo(story_dir / item.file, (64, 48))
    story = Story(folder=story_dir, source=story_dir / "story.md", headline="Show", slug="show", body="",
                  media=tuple(photos))
    staging = tmp_path / "staging"
    make_video(staging / "media" / "slideshow" / "16x9.mp4", seconds=1.0, size=(64, 36), audio=False)
    show = Rendition(name="slideshow-16x9", path=Path("media/slideshow/16x9.mp4"), content_type="video/mp4",
                     size_bytes=0, width=64, height=36)
    media = [BuiltMedia(item, MediaInfo(path=item.file, kind=PHOTO, format="JPEG", width=64, height=48), ())
             for item in photos]
    media.append(BuiltMedia(MediaItem(id="slideshow", file=Path("slideshow"), credit="Ann"),
                            MediaInfo(path=show.path, kind=VIDEO, format="composition"), (show,), composed=True))
    ctx = BuildContext(story, {}, Settings(), staging, None, RenditionCache(None), Reporter(), Workers(1), None,
                       setup)
    (*_, slideshow) = sign_media(ctx, media)
    assert slideshow.renditions[0].signed_by == "Example News"
    manifest = read_back(staging / show.path).get_active_manifest()
    actions = {a["label"]: a["data"] for a in manifest["assertions"]}["c2pa.actions.v2"]["actions"]
    assert [a["action"] for a in actions] == ["c2pa.created", "c2pa.placed", "c2pa.placed", "c2pa.edited.metadata"]
    assert [(i["title"], i["relationship"]) for i in manifest["ingredients"]] == [
        ("one.jpg", "componentOf"), ("two.jpg", "componentOf")]


def test_social_cuts_and_slideshows_are_signed_and_verified(tmp_path: Path) -> None:
    creds = make_credentials(tmp_path / "creds")
    story = tmp_path / "story"
    make_video(story / "clip.mp4", seconds=1.0, size=(320, 180), audio=False)
    for name in ("a", "b"):
        make_photo(story / f"{name}.jpg", (320, 240))
    (story / "mediapack.toml").write_text('[video]\npreset = "ultrafast"\n', encoding="utf-8")
    write_story(story, """
        headline: Made
        published: 2026-06-20T09:30:00Z
        compose: {slideshow: true, social: true, seconds_per_photo: 1}
        media:
          - {id: clip, file: clip.mp4, caption: A clip, credit: Ann}
          - {id: a, file: a.jpg, caption: A, credit: Ann, alt: A}
          - {id: b, file: b.jpg, caption: B, credit: Ann, alt: B}
        """)
    env = {ENV_CERT: str(creds.chain), ENV_KEY: str(creds.key)}
    proc = run_cli("build", str(story), "--out", str(tmp_path / "dist"), "--no-cache", env=env)
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "dist" / "made"
    composed = [root / "media" / "clip" / "social-9x16.mp4", root / "media" / "clip" / "social-1x1.mp4",
                *sorted((root / "media" / "slideshow").glob("*.mp4"))]
    assert len(composed) == 4
    for path in composed:
        reader = read_back(path)
        assert reader.get_validation_state() == "Valid", path
        assert reader.get_active_manifest()["signature_info"]["issuer"] == "Example News", path
    proc = run_cli("verify", str(root), "--trust-anchors", str(creds.root))
    assert proc.returncode == 0, proc.stderr
    for path in composed:
        assert f"{path.relative_to(root).as_posix()}: Content Credentials valid, trusted" in proc.stderr


def test_a_damaged_signed_entry_in_a_zip_is_said_once_in_plain_words(signed: dict, tmp_path: Path) -> None:
    package = shutil.copy(signed["root"] / "packages" / f"{SLUG}-full.zip", tmp_path / "full.zip")
    with zipfile.ZipFile(package) as archive:
        info = archive.getinfo("media/one/small.jpg")
    data = bytearray(Path(package).read_bytes())
    at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    data[at] ^= 0xFF  # the entry's bytes change, its recorded CRC does not
    Path(package).write_bytes(bytes(data))
    proc = run_cli("verify", str(package))
    assert proc.returncode == 4
    lines = [line for line in proc.stderr.splitlines() if "media/one/small.jpg" in line]
    assert len(lines) == 1 and "media/one/small.jpg: damaged (Bad CRC-32" in lines[0], proc.stderr
