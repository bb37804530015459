"""What a rendition's C2PA manifest says, as pure functions of the story and the rendition."""

from __future__ import annotations

from pathlib import Path

from mediapack import __version__
from mediapack.credentials.manifest import COMPOSITE, creative_work, definition, ingredients
from mediapack.model import (
    PHOTO,
    VIDEO,
    BuiltMedia,
    ComposeRequest,
    MediaInfo,
    MediaItem,
    Rendition,
    Story,
)

FOLDER = Path("/stories/ferry")
PHOTO_ITEM = MediaItem(id="crew", file=Path("photos/crew.jpg"), credit="Ann/Agency", creator="Ann Writer",
                       copyright="© 2026 Example News", license="https://example.org/licence")
STORY = Story(folder=FOLDER, source=FOLDER / "story.md", headline="Ferry", slug="ferry", body="",
              media=(PHOTO_ITEM,), compose=ComposeRequest(slideshow=True, audio_bed=Path("audio/bed.m4a")))
PHOTO_BUILT = BuiltMedia(PHOTO_ITEM, MediaInfo(path=Path("photos/crew.jpg"), kind=PHOTO, format="JPEG", width=3000,
                                               height=2000), ())


def rendition(name: str, width: int, height: int, content_type: str = "image/jpeg") -> Rendition:
    return Rendition(name=name, path=Path(f"media/crew/{name}.jpg"), content_type=content_type, size_bytes=1,
                     width=width, height=height)


def actions_of(manifest: dict) -> list[str]:
    return [a["action"] for a in manifest["assertions"][0]["data"]["actions"]]


def test_a_photo_rendition_was_opened_resized_transcoded_and_given_its_credit() -> None:
    parts = ingredients(STORY, PHOTO_BUILT, ())
    manifest = definition(PHOTO_BUILT, rendition("medium", 1024, 683), parts)
    assert manifest["claim_generator_info"] == [{"name": "mediapack", "version": __version__}]
    assert (manifest["title"], manifest["format"]) == ("medium.jpg", "image/jpeg")
    assert actions_of(manifest) == ["c2pa.opened", "c2pa.resized", "c2pa.transcoded", "c2pa.edited.metadata"]
    assert manifest["assertions"][0]["data"]["actions"][0]["parameters"] == {"ingredientIds": ["parent"]}
    assert [(p.path, p.relationship) for p in parts] == [(FOLDER / "photos/crew.jpg", "parentOf")]
    assert definition(PHOTO_BUILT, rendition("medium", 1024, 683), parts) == manifest  # a stable cache key


def test_a_crop_says_so_and_a_full_size_copy_is_not_resized() -> None:
    parts = ingredients(STORY, PHOTO_BUILT, ())
    assert "c2pa.cropped" in actions_of(definition(PHOTO_BUILT, rendition("square", 300, 300), parts))
    assert actions_of(definition(PHOTO_BUILT, rendition("large", 3000, 2000), parts)) == [
        "c2pa.opened", "c2pa.transcoded", "c2pa.edited.metadata"]


def test_the_creative_work_names_creator_credit_copyright_and_licence() -> None:
    assert creative_work(PHOTO_ITEM) == {
        "@context": "https://schema.org", "@type": "CreativeWork",
        "author": [{"@type": "Person", "name": "Ann Writer"}], "creditText": "Ann/Agency",
        "copyrightNotice": "© 2026 Example News", "license": "https://example.org/licence"}
    assert creative_work(MediaItem(id="bare", file=Path("x.jpg"))) is None


def test_a_slideshow_is_created_from_the_photos_and_the_audio_bed_it_places() -> None:
    item = MediaItem(id="slideshow", file=Path("slideshow"), credit="Ann/Agency")
    built = BuiltMedia(item, MediaInfo(path=Path("x"), kind=VIDEO, format="composition"), (), composed=True)
    parts = ingredients(STORY, built, (PHOTO_ITEM,))
    assert [(p.label, p.path.name, p.relationship, p.title) for p in parts] == [
        ("photo-0", "crew.jpg", "componentOf", "crew.jpg"), ("audio-bed", "bed.m4a", "componentOf", "audio-bed.m4a")]
    manifest = definition(built, rendition("16x9", 1920, 1080, "video/mp4"), parts)
    actions = manifest["assertions"][0]["data"]["actions"]
    assert actions[0] == {"action": "c2pa.created", "digitalSourceType": COMPOSITE}
    assert [a["parameters"]["ingredientIds"] for a in actions if a["action"] == "c2pa.placed"] == [
        ["photo-0"], ["audio-bed"]]


def test_a_source_is_named_with_its_type() -> None:
    item = MediaItem(id="clip", file=Path("video/Kharkiv DSC_0042.MKV"))  # its name stays in the newsroom
    built = BuiltMedia(item, MediaInfo(path=item.file, kind=VIDEO, format="matroska"), ())
    (parent,) = ingredients(STORY, built, ())
    assert parent.definition() == {"title": "clip.mkv", "format": "video/x-matroska", "relationship": "parentOf",
                                   "label": "parent", "instance_id": "mediapack:clip.mkv"}
