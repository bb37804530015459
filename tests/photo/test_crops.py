"""The lead picture's crops: their sizes, and a marked subject landing where the focus puts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from mediapack.model import PHOTO, MediaInfo, MediaItem, Story
from mediapack.photo.crops import crop_box, lead_crops, ratio_crops
from mediapack.photo.renditions import crop_picture, make_photo_renditions
from mediapack.settings import PhotoSettings, PhotoSize, Settings

SETTINGS = PhotoSettings(sizes=(PhotoSize("large", 2048), PhotoSize("small", 640)), square=300)
RED = (230, 20, 20)
EXPECTED_SIZES = {"crop-16x9": (1200, 675), "crop-4x3": (1200, 900), "crop-1x1": (1200, 1200), "share": (1200, 630)}


def marked_photo(path: Path, size: tuple[int, int], subject: tuple[int, int], radius: int = 40) -> Path:
    """Write a flat grey picture with a busy corner (to draw the automatic focus) and a red disc at ``subject``."""
    img = Image.new("RGB", size, (120, 120, 120))
    draw = ImageDraw.Draw(img)
    for x in range(0, size[0] // 5, 6):  # a checkered corner: the most detail in the picture
        for y in range(0, size[1] // 5, 6):
            if (x + y) // 6 % 2:
                draw.rectangle([x, y, x + 2, y + 2], fill=(250, 250, 250))
    draw.ellipse([subject[0] - radius, subject[1] - radius, subject[0] + radius, subject[1] + radius], fill=RED)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, quality=95)
    return path


def red_centre(path: Path) -> tuple[float, float]:
    """Where the red disc's centre is, as fractions of the picture's width and height."""
    with Image.open(path) as opened:
        img = opened.convert("RGB")
    points = [(x, y) for x in range(0, img.width, 2) for y in range(0, img.height, 2)
              if (p := img.getpixel((x, y)))[0] > 180 and p[1] < 90 and p[2] < 90]
    assert points, f"no subject in {path.name}"
    return (sum(x for x, _ in points) / len(points) / img.width, sum(y for _, y in points) / len(points) / img.height)


def crops_of(renditions) -> dict[str, object]:
    return {r.name: r for r in renditions if r.role == "crop"}


def lead_photo_crops(tmp_path: Path, subject: tuple[int, int], focus: tuple[float, float] | None
                     ) -> tuple[dict[str, object], tuple[int, int] | None]:
    """Render a 3000x2000 marked photo as the lead, with ``focus``; return its crops by name and its poi."""
    source = marked_photo(tmp_path / "p.jpg", (3000, 2000), subject)
    renditions, poi = make_photo_renditions(MediaItem("p", Path("p.jpg"), focus=focus), source, tmp_path / "out",
                                            SETTINGS, lead_crops(1200))
    return crops_of(renditions), poi


def test_the_focus_puts_the_subject_in_the_middle_of_every_crop(tmp_path):
    crops, poi = lead_photo_crops(tmp_path, (1650, 940), (0.55, 0.47))
    assert {name: (r.width, r.height) for name, r in crops.items()} == EXPECTED_SIZES
    assert poi == (1650, 940)  # the ninjs poi is the focus, not the busy corner
    for name, rendition in crops.items():
        with Image.open(tmp_path / "out" / rendition.path) as img:
            assert img.size == EXPECTED_SIZES[name] and img.format == "JPEG"
        x, y = red_centre(tmp_path / "out" / rendition.path)
        # Cropped across one axis, the subject sits in its middle; along the other the whole picture is kept.
        wide = name in ("crop-16x9", "share")
        assert x == pytest.approx(0.5 if not wide else 0.55, abs=0.01), name
        assert y == pytest.approx(0.5 if wide else 0.47, abs=0.01), name


def test_a_focus_near_the_edge_keeps_the_crop_inside_the_picture(tmp_path):
    crops, _ = lead_photo_crops(tmp_path, (2850, 100), (0.95, 0.05))
    assert {name: (r.width, r.height) for name, r in crops.items()} == EXPECTED_SIZES
    # The square is pushed against the right edge: 1000..3000, so the subject is at 1850/2000.
    assert red_centre(tmp_path / "out" / crops["crop-1x1"].path) == pytest.approx((0.925, 0.05), abs=0.01)
    # The 16:9 box is pushed against the top: the subject stays at 100/1687.5 from it.
    assert red_centre(tmp_path / "out" / crops["crop-16x9"].path) == pytest.approx((0.95, 100 / 1687.5), abs=0.01)


def test_without_a_focus_the_crops_centre_on_the_point_found(tmp_path):
    crops, poi = lead_photo_crops(tmp_path, (1650, 940), None)
    assert poi[0] < 1000 and poi[1] < 1000  # drawn to the busy corner
    square = crops["crop-1x1"]
    left, _, right, _ = crop_box((3000, 2000), (1, 1), (poi[0] + 0.5, poi[1] + 0.5))
    assert (left, right) == (0, 2000)  # clamped at the left edge
    assert red_centre(tmp_path / "out" / square.path)[0] == pytest.approx(1650 / 2000, abs=0.01)


def test_a_small_photo_gets_crops_at_its_own_size_never_upscaled(tmp_path):
    source = marked_photo(tmp_path / "p.jpg", (800, 600), (400, 300), radius=10)
    renditions, _ = make_photo_renditions(MediaItem("p", Path("p.jpg")), source, tmp_path / "out", SETTINGS,
                                          lead_crops(1200))
    assert {n: (r.width, r.height) for n, r in crops_of(renditions).items()} == {
        "crop-16x9": (800, 450), "crop-4x3": (800, 600), "crop-1x1": (600, 600), "share": (800, 420)}


def test_only_the_photo_asked_for_gets_crops(tmp_path):
    source = marked_photo(tmp_path / "p.jpg", (1600, 1200), (800, 600))
    renditions, _ = make_photo_renditions(MediaItem("p", Path("p.jpg")), source, tmp_path / "out", SETTINGS)
    assert not crops_of(renditions)
    assert not list((tmp_path / "out").rglob("crop-*")) and not list((tmp_path / "out").rglob("share.jpg"))


def test_crop_box_is_the_largest_box_of_the_ratio_inside_the_picture():
    assert crop_box((3000, 2000), (16, 9), (1500, 1000)) == (0, 156.25, 3000, 1843.75)
    assert crop_box((2000, 3000), (16, 9), (1000, 0)) == (0, 0, 2000, 1125)
    assert crop_box((3000, 2000), (1, 1), (2999, 1000)) == (1000, 0, 3000, 2000)
    assert crop_box((1200, 630), (40, 21), (0, 0)) == (0, 0, 1200, 630)


def test_a_video_poster_is_cropped_around_the_focus(tmp_path):
    poster = marked_photo(tmp_path / "out" / "media" / "v" / "poster.jpg", (1920, 1080), (480, 540), radius=30)
    made = crop_picture(poster, "v", (0.25, 0.5), ratio_crops(1200), tmp_path / "out", SETTINGS)
    assert [(r.name, r.width, r.height, r.role) for r in made] == [
        ("crop-16x9", 1200, 675, "crop"), ("crop-4x3", 1200, 900, "crop"), ("crop-1x1", 1080, 1080, "crop")]
    assert all(r.path.parent == Path("media/v") for r in made)
    # 4:3 (1440 wide) and 1:1 (1080) reach the left edge before centring the subject at x = 480.
    assert red_centre(tmp_path / "out" / made[1].path) == pytest.approx((480 / 1440, 0.5), abs=0.01)
    assert red_centre(tmp_path / "out" / made[2].path) == pytest.approx((480 / 1080, 0.5), abs=0.01)
    marked_photo(poster, (1920, 1080), (1152, 540), radius=30)
    made = crop_picture(poster, "v", (0.6, 0.5), ratio_crops(1200), tmp_path / "out", SETTINGS)
    assert [red_centre(tmp_path / "out" / r.path) for r in made[1:]] == [pytest.approx((0.5, 0.5), abs=0.01)] * 2


def test_the_cache_key_holds_the_focus_and_the_crops(tmp_path):
    from mediapack.keys import media_key

    source = marked_photo(tmp_path / "p.jpg", (64, 48), (32, 24), radius=4)
    story = Story(folder=tmp_path, source=tmp_path / "story.md", headline="H", slug="h", body="")
    info = MediaInfo(source, PHOTO, "JPEG", 64, 48)
    keys = {media_key(story, MediaItem("p", Path("p.jpg"), focus=focus), info, Settings(), None, crops)
            for focus in (None, (0.5, 0.5), (0.2, 0.5)) for crops in ((), lead_crops(1200))}
    assert len(keys) == 6
