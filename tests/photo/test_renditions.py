"""Photo probing and renditions, checked by decoding what was written."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from conftest import make_photo
from mediapack.config import load_settings
from mediapack.errors import InputError
from mediapack.model import PHOTO, MediaItem
from mediapack.photo.credit import splice_credit, xmp_packet
from mediapack.photo.decode import probe_photo
from mediapack.photo.metadata import EmbeddedMetadata, read_embedded_metadata
from mediapack.photo.renditions import make_photo_renditions
from mediapack.settings import PhotoSettings, PhotoSize

SMALL = PhotoSettings(sizes=(PhotoSize("large", 480), PhotoSize("medium", 300, ("jpg", "webp")),
                             PhotoSize("thumb", 120)), square=100)
ONE_SIZE = PhotoSettings(sizes=(PhotoSize("small", 300),), square=0)
GREY, RED = (128, 128, 128), (220, 30, 30)


def render(source: Path, out: Path, settings: PhotoSettings = SMALL, **fields):
    """Make an item's renditions as a build does: credit-less, then the credit spliced into JPEG and WebP."""
    item = MediaItem("pic", Path("photos/pic"), **fields)
    renditions, poi = make_photo_renditions(item, source, out, settings)
    for rendition in renditions:
        if rendition.content_type in ("image/jpeg", "image/webp"):
            splice_credit(out / rendition.path, item)
    return renditions, poi


def pixel(path: Path, xy: tuple[int, int]) -> tuple[int, ...]:
    with Image.open(path) as img:
        return img.convert("RGB").getpixel(xy)


def near(actual, expected, tolerance=12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def utf8(exif_text: str) -> str:
    """Pillow reads EXIF ASCII tags as Latin-1; ours hold UTF-8."""
    return exif_text.encode("latin-1").decode("utf-8")


# --- orientation -------------------------------------------------------------------------------

# How a camera stores an upright picture for each EXIF orientation (the inverse of the fix).
_T = Image.Transpose
STORED_AS = {1: None, 2: _T.FLIP_LEFT_RIGHT, 3: _T.ROTATE_180, 4: _T.FLIP_TOP_BOTTOM,
             5: _T.TRANSPOSE, 6: _T.ROTATE_90, 7: _T.TRANSVERSE, 8: _T.ROTATE_270}
ROTATION = {1: 0, 2: 0, 3: 180, 4: 180, 5: 90, 6: 90, 7: 270, 8: 270}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(tmp_path, orientation):
    upright = Image.new("RGB", (600, 400), GREY)
    ImageDraw.Draw(upright).rectangle([0, 0, 149, 99], fill=RED)  # marker: top-left corner
    method = STORED_AS[orientation]
    stored = upright if method is None else upright.transpose(method)  # FLIP_LEFT_RIGHT is 0
    exif = Image.Exif()
    exif[0x0112] = orientation
    source = tmp_path / "turned.jpg"
    stored.save(source, quality=95, exif=exif)

    info = probe_photo(source, 10**8)
    assert (info.width, info.height, info.rotation) == (600, 400, ROTATION[orientation])
    (small,), _ = render(source, tmp_path / "out", ONE_SIZE)
    path = tmp_path / "out" / small.path
    with Image.open(path) as img:
        assert img.size == (300, 200) == (small.width, small.height)
        assert 0x0112 not in img.getexif()  # pixels are upright: no tag to rotate them again
    assert near(pixel(path, (20, 20)), RED, 40)
    for corner in [(280, 20), (20, 180), (280, 180)]:
        assert near(pixel(path, corner), GREY, 20)


@pytest.mark.parametrize("ext", ["gif", "webp"])
def test_animation_uses_its_first_frame(tmp_path, ext):
    first, second = Image.new("RGB", (600, 400), RED), Image.new("RGB", (600, 400), (20, 40, 220))
    source = tmp_path / f"anim.{ext}"
    first.save(source, save_all=True, append_images=[second], duration=100, loop=0)
    with Image.open(source) as img:
        assert img.n_frames == 2
    assert (probe_photo(source, 10**8).width, probe_photo(source, 10**8).height) == (600, 400)
    renditions, _ = render(source, tmp_path / "out")
    for r in renditions:
        with Image.open(tmp_path / "out" / r.path) as img:
            assert getattr(img, "n_frames", 1) == 1
        assert near(pixel(tmp_path / "out" / r.path, (r.width // 2, r.height // 2)), RED, 20)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "TIFF", "AVIF", "MPO", "JPEG"])
def test_every_accepted_format_probes_and_renders(tmp_path, fmt):
    source = tmp_path / f"photo.{fmt.lower()}"
    save = {"save_all": True, "append_images": [Image.new("RGB", (300, 200))]} if fmt == "MPO" else {}
    make_photo(source, (300, 200), fmt, **save)
    info = probe_photo(source, 10**8)
    assert (info.kind, info.format, info.width, info.height) == (PHOTO, fmt, 300, 200)
    assert info.size_bytes == source.stat().st_size
    renditions, _ = render(source, tmp_path / "out")
    assert [(r.name, r.width, r.height) for r in renditions] == [
        ("medium", 300, 200), ("medium-webp", 300, 200), ("thumb", 120, 80), ("square", 100, 100)]


# --- sizes -------------------------------------------------------------------------------------

def test_renditions_in_order_with_paths_types_and_sizes(tmp_path):
    source = make_photo(tmp_path / "pic.jpg", (600, 400))
    out = tmp_path / "out"
    renditions, poi = render(source, out)
    assert [(r.name, str(r.path), r.content_type, r.width, r.height) for r in renditions] == [
        ("large", "media/pic/large.jpg", "image/jpeg", 480, 320),
        ("medium", "media/pic/medium.jpg", "image/jpeg", 300, 200),
        ("medium-webp", "media/pic/medium.webp", "image/webp", 300, 200),
        ("thumb", "media/pic/thumb.jpg", "image/jpeg", 120, 80),
        ("square", "media/pic/square.jpg", "image/jpeg", 100, 100)]
    for r in renditions:
        assert (r.role, r.title) == ("rendition", "")
        assert r.size_bytes == (out / r.path).stat().st_size
        with Image.open(out / r.path) as img:
            img.load()
            assert img.size == (r.width, r.height)
            assert img.format == r.content_type.split("/")[1].upper()
    assert 0 <= poi[0] < 600 and 0 <= poi[1] < 400
    assert sorted(p.name for p in (out / "media" / "pic").iterdir()) == sorted(
        r.path.name for r in renditions)  # nothing half-written left behind


def test_sizes_above_the_source_collapse_into_one_at_its_own_size(tmp_path):
    source = make_photo(tmp_path / "pic.jpg", (1400, 2000))  # as the example's breakwater-light.jpg
    renditions, _ = render(source, tmp_path / "out", PhotoSettings())
    assert [(r.name, r.width, r.height) for r in renditions] == [
        ("large", 1400, 2000), ("large-webp", 1400, 2000), ("medium", 717, 1024), ("medium-webp", 717, 1024),
        ("small", 448, 640), ("small-webp", 448, 640), ("thumb", 224, 320), ("thumb-webp", 224, 320),
        ("square", 300, 300)]
    with Image.open(tmp_path / "out" / "media" / "pic" / "large.jpg") as img:
        assert img.size == (1400, 2000)
    # Two sizes above: one rendition, named after the smaller, in each of its formats; never upscaled.
    source = make_photo(tmp_path / "mid.jpg", (600, 400))
    renditions, _ = render(source, tmp_path / "out2", PhotoSettings())
    assert [(r.name, r.width, r.height) for r in renditions] == [
        ("small", 600, 400), ("small-webp", 600, 400), ("thumb", 320, 213), ("thumb-webp", 320, 213),
        ("square", 300, 300)]
    # A size that fits the photo exactly leaves nothing to collapse.
    source = make_photo(tmp_path / "exact.jpg", (640, 480))
    renditions, _ = render(source, tmp_path / "out3", PhotoSettings())
    assert [r.name for r in renditions] == ["small", "small-webp", "thumb", "thumb-webp", "square"]


def test_portrait_sizes_follow_the_long_edge(tmp_path):
    source = make_photo(tmp_path / "tall.png", (400, 600))
    renditions, _ = render(source, tmp_path / "out")
    assert [(r.width, r.height) for r in renditions] == [(320, 480), (200, 300), (200, 300), (80, 120),
                                                          (100, 100)]


def test_tiny_photo_gets_own_size_renditions_never_upscaled(tmp_path):
    source = make_photo(tmp_path / "tiny.jpg", (200, 150))
    renditions, _ = render(source, tmp_path / "out", PhotoSettings())
    # Every size is above it: one rendition at its own size, in every format those sizes ask for.
    assert [(r.name, r.width, r.height) for r in renditions] == [
        ("thumb", 200, 150), ("thumb-webp", 200, 150), ("square", 150, 150)]
    settings = PhotoSettings(sizes=(PhotoSize("big", 1000, ("jpg", "webp")),
                                    PhotoSize("small", 400, ("avif", "webp", "jpg"))), square=0)
    renditions, _ = render(source, tmp_path / "out2", settings)
    assert [(str(r.path), r.content_type, r.width, r.height) for r in renditions] == [
        ("media/pic/small.jpg", "image/jpeg", 200, 150),
        ("media/pic/small.webp", "image/webp", 200, 150),
        ("media/pic/small.avif", "image/avif", 200, 150)]
    with Image.open(tmp_path / "out2" / renditions[2].path) as img:
        assert (img.format, img.size) == ("AVIF", (200, 150))


def test_avif_renditions_by_setting(tmp_path):
    (tmp_path / "mediapack.toml").write_text(
        '[photos.sizes]\nmedium = { long_edge = 300, formats = ["jpg", "avif", "webp"] }\n'
        'thumb = 120\n', encoding="utf-8")
    settings = load_settings(tmp_path).photos
    source = make_photo(tmp_path / "pic.jpg", (600, 400))
    out = tmp_path / "out"
    renditions, _ = render(source, out, settings, caption=CAPTION, credit=CREDIT, copyright=RIGHTS)
    assert [(str(r.path), r.content_type, r.width, r.height) for r in renditions] == [
        ("media/pic/medium.jpg", "image/jpeg", 300, 200),
        ("media/pic/medium.webp", "image/webp", 300, 200),
        ("media/pic/medium.avif", "image/avif", 300, 200),
        ("media/pic/thumb.jpg", "image/jpeg", 120, 80),
        ("media/pic/square.jpg", "image/jpeg", 300, 300)]
    avif = out / renditions[2].path
    with Image.open(avif) as img:
        assert (img.format, img.size, img.mode) == ("AVIF", (300, 200), "RGB")
        assert near(img.convert("RGB").getpixel((60, 60)), (200, 40, 40), 25)  # the red rectangle
        assert utf8(img.getexif()[0x010E]) == CAPTION
    assert read_embedded_metadata(avif) == EmbeddedMetadata(caption=CAPTION, credit=CREDIT,
                                                            copyright=RIGHTS)


def test_square_larger_than_every_size_comes_from_the_source(tmp_path):
    upright = Image.new("RGB", (600, 400), GREY)
    ImageDraw.Draw(upright).rectangle([250, 150, 349, 249], fill=RED)
    exif = Image.Exif()
    exif[0x0112] = 6
    upright.transpose(STORED_AS[6]).save(tmp_path / "turned.jpg", quality=95, exif=exif)
    settings = PhotoSettings(sizes=(PhotoSize("small", 300),), square=380)
    renditions, _ = render(tmp_path / "turned.jpg", tmp_path / "out", settings)
    assert [(r.name, r.width, r.height) for r in renditions] == [("small", 300, 200),
                                                                 ("square", 380, 380)]
    square = tmp_path / "out" / renditions[1].path
    assert near(pixel(square, (190, 190)), RED, 30)  # the red block is in the middle of the photo
    assert near(pixel(square, (10, 190)), GREY, 20) and near(pixel(square, (370, 190)), GREY, 20)


# --- square crop and focal point ---------------------------------------------------------------

def detail_photo(path: Path, centre_x: int) -> Path:
    """A flat grey 600x400 photo whose only detail is a checkerboard patch around (centre_x, 200)."""
    img = Image.new("RGB", (600, 400), GREY)
    draw = ImageDraw.Draw(img)
    for x in range(centre_x - 60, centre_x + 60, 10):
        for y in range(140, 260, 10):
            if (x + y) // 10 % 2:
                draw.rectangle([x, y, x + 9, y + 9], fill=(250, 250, 250) if x % 20 else (10, 10, 10))
    img.save(path, quality=95)
    return path


@pytest.mark.parametrize("centre_x", [100, 500])
def test_square_crop_and_focal_point_follow_the_detail(tmp_path, centre_x):
    source = detail_photo(tmp_path / "detail.jpg", centre_x)
    renditions, poi = render(source, tmp_path / "out")
    square = renditions[-1]
    assert (square.name, square.width, square.height) == ("square", 100, 100)
    assert abs(poi[0] - centre_x) <= 60 and abs(poi[1] - 200) <= 60
    with Image.open(source) as src, Image.open(tmp_path / "out" / square.path) as img:
        src, img = src.convert("RGB"), img.convert("RGB")
        # which 400x400 window of the source did the square come from?
        error, left = min((max(ImageStat.Stat(ImageChops.difference(
            img, src.crop((x, 0, x + 400, 400)).resize((100, 100)))).mean), x) for x in range(0, 201, 4))
    assert error < 6
    assert left <= centre_x - 60 and left + 400 >= centre_x + 60  # the whole patch, so not centred


def test_square_is_the_short_side_of_a_small_photo_or_off(tmp_path):
    source = make_photo(tmp_path / "small.jpg", (250, 180))
    renditions, _ = render(source, tmp_path / "out", PhotoSettings())
    assert (renditions[-1].name, renditions[-1].width, renditions[-1].height) == ("square", 180, 180)
    renditions, poi = render(source, tmp_path / "off", PhotoSettings(square=0))
    assert "square" not in [r.name for r in renditions]
    assert 0 <= poi[0] < 250 and 0 <= poi[1] < 180  # the focal point is still found
    assert not (tmp_path / "off" / "media" / "pic" / "square.jpg").exists()


# --- metadata ----------------------------------------------------------------------------------

CAPTION = 'Fire <b>at</b> the dock & "more" {{ x }}'
CREDIT = "Zoë Müller/Agency"
RIGHTS = "© 2026 Example News"


def test_private_exif_removed_and_credit_embedded(tmp_path):
    source = tmp_path / "gps.jpg"
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x010E] = "SpyCam", "Model X", "OLYMPUS DIGITAL CAMERA"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 13.0, 7.5)
    make_photo(source, (600, 400), exif=exif, xmp=xmp_packet(caption="Camera caption"))
    with Image.open(source) as img:
        assert img.getexif().get_ifd(0x8825)  # the source really carries GPS

    out = tmp_path / "out"
    renditions, _ = render(source, out, caption=CAPTION, credit=CREDIT, copyright=RIGHTS,
                           alt="Smoke over cranes")
    assert {r.content_type for r in renditions} == {"image/jpeg", "image/webp"}
    for r in renditions:
        with Image.open(out / r.path) as img:
            exif = img.getexif()
            assert not exif.get_ifd(0x8825) and 0x8825 not in exif
            assert 0x010F not in exif and 0x0110 not in exif and 0x0112 not in exif
            assert utf8(exif[0x010E]) == CAPTION
            assert 0x013B not in exif  # no creator: a credit line names no photographer
            assert utf8(exif[0x8298]) == RIGHTS
            assert "icc_profile" not in img.info
        assert read_embedded_metadata(out / r.path) == EmbeddedMetadata(
            caption=CAPTION, credit=CREDIT, creator=None, copyright=RIGHTS, alt="Smoke over cranes")


def test_creator_is_the_exif_artist_when_known(tmp_path):
    source = make_photo(tmp_path / "pic.jpg", (300, 200))
    renditions, _ = render(source, tmp_path / "out", ONE_SIZE, credit="Agency", creator="Jane Doe")
    path = tmp_path / "out" / renditions[0].path
    with Image.open(path) as img:
        assert img.getexif()[0x013B] == "Jane Doe"
    meta = read_embedded_metadata(path)
    assert (meta.creator, meta.credit) == ("Jane Doe", "Agency")


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG"])
def test_no_metadata_means_no_exif_or_xmp(tmp_path, fmt):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    extra = {"comment": b"internal note"} if fmt == "JPEG" else {}
    source = make_photo(tmp_path / f"pic.{fmt.lower()}", (300, 200), fmt, exif=exif,
                        xmp=xmp_packet(caption="Camera caption"), **extra)
    # the source is exactly the rendition's size, so its pixels are written without a resize
    renditions, _ = render(source, tmp_path / "out", ONE_SIZE)
    with Image.open(tmp_path / "out" / renditions[0].path) as img:
        assert not img.getexif() and "xmp" not in img.info and "comment" not in img.info


def test_output_is_byte_reproducible(tmp_path):
    source = detail_photo(tmp_path / "pic.jpg", 200)
    settings = PhotoSettings(sizes=(PhotoSize("medium", 300, ("jpg", "webp", "avif")),
                                    PhotoSize("thumb", 120)), square=100)
    first, poi1 = render(source, tmp_path / "a", settings, caption=CAPTION, credit=CREDIT)
    second, poi2 = render(source, tmp_path / "b", settings, caption=CAPTION, credit=CREDIT)
    assert first == second and poi1 == poi2
    for r in first:
        assert (tmp_path / "a" / r.path).read_bytes() == (tmp_path / "b" / r.path).read_bytes()


def test_renditions_can_be_made_in_a_worker_process(tmp_path):
    """The build fans photos out to worker processes: arguments, results and errors must cross."""
    good = detail_photo(tmp_path / "good.jpg", 200)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    item = MediaItem("pic", Path("photos/pic"), caption=CAPTION, credit=CREDIT)
    with ProcessPoolExecutor(1) as pool:
        remote = pool.submit(make_photo_renditions, item, good, tmp_path / "remote", SMALL).result()
        failed = pool.submit(make_photo_renditions, item, cut, tmp_path / "failed", SMALL)
        with pytest.raises(InputError, match=r"cut\.jpg: corrupt or truncated JPEG"):
            failed.result()
    local = make_photo_renditions(item, good, tmp_path / "local", SMALL)
    assert remote == local
    for r in local[0]:
        assert (tmp_path / "remote" / r.path).read_bytes() == (tmp_path / "local" / r.path).read_bytes()
