"""The rendition cache: hits, misses, invalidation, damage and interruption, and what a rebuild re-encodes."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from conftest import make_photo, make_video, run_cli, write_story
from mediapack import cache as cache_module
from mediapack import keys as keys_module
from mediapack.build import build
from mediapack.cache import CacheEntry, RenditionCache
from mediapack.context import BuildOptions
from mediapack.files import file_digest
from mediapack.keys import rendition_key, without_credit
from mediapack.model import MediaItem, Rendition
from mediapack.photo.credit import credit_metadata, splice_credit
from mediapack.photo.metadata import read_embedded_metadata
from mediapack.photo.renditions import WEBP_METHOD, make_photo_renditions
from mediapack.photo.splice import splice_metadata
from mediapack.settings import PhotoSettings, PhotoSize, Settings, VideoRung, VideoSettings

KEY = "ab" + "0" * 62
REL = Path("media/x")
# Small sizes and a one-rung ladder keep every build here quick.
FAST = Settings(
    photos=PhotoSettings(sizes=(PhotoSize("medium", 400, ("jpg", "webp")), PhotoSize("thumb", 160)), square=100),
    video=VideoSettings(ladder=(VideoRung("240p", 240, "800k", "1600k"),), preset="ultrafast"),
)


def entry_files(tmp_path: Path, *names: str) -> tuple[Path, CacheEntry]:
    folder = tmp_path / "made" / REL
    folder.mkdir(parents=True)
    renditions = []
    for index, name in enumerate(names):
        (folder / name).write_bytes(bytes([index]) * (100 + index))
        renditions.append(Rendition(name=name, path=REL / name, content_type="image/jpeg", size_bytes=100 + index,
                                    width=10, height=10))
    return folder, CacheEntry(tuple(renditions), (3, 4))


def test_a_stored_entry_is_fetched_with_its_files(tmp_path: Path) -> None:
    made, entry = entry_files(tmp_path, "a.jpg", "b.webp")
    cache = RenditionCache(tmp_path / "cache")
    cache.store(KEY, made, entry)
    target = tmp_path / "next" / REL
    hit = cache.fetch(KEY, target, REL)
    assert hit == entry
    assert (target / "a.jpg").read_bytes() == (made / "a.jpg").read_bytes()
    assert (target / "b.webp").read_bytes() == (made / "b.webp").read_bytes()


def test_an_unknown_key_or_a_disabled_cache_is_a_miss(tmp_path: Path) -> None:
    made, entry = entry_files(tmp_path, "a.jpg")
    assert RenditionCache(tmp_path / "cache").fetch(KEY, tmp_path / "t", REL) is None
    disabled = RenditionCache(None)
    disabled.store(KEY, made, entry)
    assert disabled.fetch(KEY, tmp_path / "t", REL) is None


def test_a_damaged_entry_is_a_miss_and_gets_replaced(tmp_path: Path) -> None:
    made, entry = entry_files(tmp_path, "a.jpg")
    cache = RenditionCache(tmp_path / "cache")
    cache.store(KEY, made, entry)
    stored = tmp_path / "cache" / KEY[:2] / KEY / "a.jpg"
    stored.write_bytes(b"truncated")
    assert cache.fetch(KEY, tmp_path / "t", REL) is None
    cache.store(KEY, made, entry)
    assert cache.fetch(KEY, tmp_path / "t2", REL) == entry
    assert [p.name for p in (tmp_path / "cache" / KEY[:2]).iterdir()] == [KEY]


def test_an_interrupted_store_leaves_no_entry_and_no_temporary_files(tmp_path: Path, monkeypatch) -> None:
    made, entry = entry_files(tmp_path, "a.jpg", "b.jpg")
    copied, real_copy = [], shutil.copyfile

    def copy_then_stop(src, dst):
        if copied:
            raise KeyboardInterrupt
        copied.append(real_copy(src, dst))

    monkeypatch.setattr(cache_module.shutil, "copyfile", copy_then_stop)
    cache = RenditionCache(tmp_path / "cache")
    with pytest.raises(KeyboardInterrupt):
        cache.store(KEY, made, entry)
    monkeypatch.undo()
    assert list((tmp_path / "cache" / KEY[:2]).iterdir()) == []
    assert cache.fetch(KEY, tmp_path / "t", REL) is None


def test_two_builds_storing_one_key_keep_one_complete_entry(tmp_path: Path) -> None:
    made, entry = entry_files(tmp_path, "a.jpg")
    first, second = RenditionCache(tmp_path / "cache"), RenditionCache(tmp_path / "cache")
    first.store(KEY, made, entry)
    second.store(KEY, made, entry)
    assert [p.name for p in (tmp_path / "cache" / KEY[:2]).iterdir()] == [KEY]
    assert second.fetch(KEY, tmp_path / "t", REL) == entry


def test_the_key_follows_source_settings_and_algorithm_version(monkeypatch) -> None:
    base = rendition_key("video", "d" * 64, FAST.video)
    assert rendition_key("video", "d" * 64, FAST.video) == base
    assert rendition_key("video", "e" * 64, FAST.video) != base
    assert rendition_key("video", "d" * 64, replace(FAST.video, crf=30)) != base
    monkeypatch.setitem(keys_module.ALGORITHM_VERSION, "video", keys_module.ALGORITHM_VERSION["video"] + 1)
    assert rendition_key("video", "d" * 64, FAST.video) != base


@pytest.mark.parametrize("caption", ["Plain caption", "Ünïcødé & <xml> \"quotes\" ]]> \x00\x07 end",
                                     "long " * 600])
def test_credit_added_to_a_credit_less_rendition_matches_a_direct_encode(tmp_path: Path, caption: str) -> None:
    """Splicing EXIF and XMP gives the bytes Pillow writes when it encodes with them: no re-encode needed."""
    source = make_photo(tmp_path / "p.jpg", (500, 400))
    item = MediaItem("p", Path("p.jpg"), caption=caption, credit="Ann/Agency", alt="Alt <text>",
                     copyright="© 2026 Example", creator="Ann")
    bare, _ = make_photo_renditions(without_credit(item), source, tmp_path / "bare", FAST.photos)
    exif, xmp, _ = credit_metadata(item)
    for rendition in bare:
        path = tmp_path / "bare" / rendition.path
        with Image.open(path) as img:
            pixels = img.copy()
            options = {"quality": FAST.photos.jpeg_quality, "optimize": True, "progressive": True} \
                if img.format == "JPEG" else {"quality": FAST.photos.webp_quality, "method": WEBP_METHOD}
            direct = tmp_path / f"direct-{path.name}"
            encoded_bare = tmp_path / f"bare-{path.name}"
            pixels.save(encoded_bare, img.format, icc_profile=b"", **options)
            pixels.save(direct, img.format, icc_profile=b"", exif=exif, xmp=xmp, **options)
        spliced = splice_metadata(encoded_bare.read_bytes(), exif.tobytes(), xmp)
        assert spliced == direct.read_bytes(), rendition.path
    splice_credit(tmp_path / "bare" / "media" / "p" / "medium.webp", item)
    found = read_embedded_metadata(tmp_path / "bare" / "media" / "p" / "medium.webp")
    assert found.credit == "Ann/Agency" and found.alt == "Alt <text>"


# --- what a rebuild re-encodes -------------------------------------------------------------------

def mixed_story(folder: Path, caption: str = "A harbour") -> Path:
    make_photo(folder / "photos" / "p.jpg", (640, 480))
    make_video(folder / "video" / "v.mp4", seconds=1.0, size=(320, 240))
    write_story(folder, f"""
        headline: Cache story
        published: 2026-06-20T09:30:00Z
        media:
          - {{id: p, file: photos/p.jpg, caption: "{caption}", credit: Ann, alt: A photo}}
          - {{id: v, file: video/v.mp4, caption: A clip, credit: Bo}}
        """)
    return folder


POSTER_CROPS = 3  # 16:9, 4:3 and 1:1 crops of the video's poster (the photo leads, so it has no share image)


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A mixed story built once (cold) into a cache that the tests below rebuild against."""
    base = tmp_path_factory.mktemp("cache")
    story = mixed_story(base / "story")
    first = build(story, base / "out", FAST, BuildOptions(cache_dir=base / "cache"))
    media = base / "out" / first.slug / "media"
    counts = {kind: len(list((media / kind).iterdir())) for kind in ("p", "v")}
    return {"base": base, "story": story, "first": first, "counts": counts}


def test_a_cold_build_makes_everything_and_a_warm_one_nothing(warm: dict, tmp_path: Path) -> None:
    assert warm["first"].built == sum(warm["counts"].values()) and warm["first"].cached == 0
    again = build(warm["story"], tmp_path / "out", FAST, BuildOptions(cache_dir=warm["base"] / "cache"))
    assert again.built == 0 and again.cached == warm["first"].built
    cold, hot = warm["first"].output, again.output
    files = sorted(p.relative_to(cold) for p in cold.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(hot) for p in hot.rglob("*") if p.is_file())
    for rel in files:
        assert (cold / rel).read_bytes() == (hot / rel).read_bytes(), rel


def test_a_photo_setting_change_re_encodes_only_the_photo(warm: dict, tmp_path: Path) -> None:
    settings = replace(FAST, photos=replace(FAST.photos, jpeg_quality=70))
    result = build(warm["story"], tmp_path / "out", settings, BuildOptions(cache_dir=warm["base"] / "cache"))
    # The video's poster crops are JPEGs at the photos' quality too; its ladder, poster and sprite stay cached.
    assert (result.built, result.cached) == (warm["counts"]["p"] + POSTER_CROPS, warm["counts"]["v"] - POSTER_CROPS)


def test_a_video_ladder_change_re_encodes_only_the_video(warm: dict, tmp_path: Path) -> None:
    ladder = (VideoRung("180p", 180, "500k", "1M"),)
    settings = replace(FAST, video=replace(FAST.video, ladder=ladder))
    result = build(warm["story"], tmp_path / "out", settings, BuildOptions(cache_dir=warm["base"] / "cache"))
    assert result.cached == warm["counts"]["p"]
    assert result.built == len(list((result.output / "media" / "v").iterdir()))
    assert (result.output / "media" / "v" / "180p.mp4").is_file()


def test_an_algorithm_version_bump_invalidates_only_its_kind(warm: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(keys_module.ALGORITHM_VERSION, "video", keys_module.ALGORITHM_VERSION["video"] + 1)
    result = build(warm["story"], tmp_path / "out", FAST, BuildOptions(cache_dir=warm["base"] / "cache"))
    # The HLS is keyed on the rungs' bytes, which the same encode gave again: it stays cached (its master);
    # so are the poster's crops, keyed by its bytes.
    assert (result.built, result.cached) == (warm["counts"]["v"] - 1 - POSTER_CROPS,
                                             warm["counts"]["p"] + 1 + POSTER_CROPS)
    monkeypatch.setitem(keys_module.ALGORITHM_VERSION, "hls", keys_module.ALGORITHM_VERSION["hls"] + 1)
    result = build(warm["story"], tmp_path / "out", FAST, BuildOptions(cache_dir=warm["base"] / "cache"))
    assert (result.built, result.cached) == (1, warm["counts"]["p"] + warm["counts"]["v"] - 1)


def test_no_cache_re_encodes_everything(warm: dict, tmp_path: Path) -> None:
    result = build(warm["story"], tmp_path / "out", FAST, BuildOptions(cache_dir=None))
    assert result.cached == 0 and result.built == warm["first"].built


def test_a_caption_edit_re_encodes_no_media_and_reaches_the_files(tmp_path: Path) -> None:
    story = mixed_story(tmp_path / "story", caption="Old caption")
    args = ("build", str(story), "--out", str(tmp_path / "out"), "--json")
    cold = run_cli(*args)
    assert cold.returncode == 0, cold.stderr
    (story / "story.md").write_text((story / "story.md").read_text().replace("Old caption", "New caption"))
    edited = run_cli(*args)
    assert edited.returncode == 0, edited.stderr
    before, after = json.loads(cold.stdout)["stories"][0], json.loads(edited.stdout)["stories"][0]
    assert after["built"] == 0 and after["cached"] == before["built"]
    root = Path(after["output"])
    photos = sorted((root / "media" / "p").iterdir())
    assert {p.suffix for p in photos} == {".jpg", ".webp"}
    for photo in photos:
        assert read_embedded_metadata(photo).caption == "New caption", photo.name
    manifest = json.loads((root / "manifest.json").read_text())
    for association in manifest["associations"]:
        for rendition in association["renditions"]:
            assert (root / rendition["href"]).stat().st_size == rendition["sizeInBytes"], rendition["href"]
    assert run_cli("verify", str(root)).returncode == 0


def test_with_avif_configured_a_caption_edit_still_reaches_the_files(tmp_path: Path) -> None:
    make_photo(tmp_path / "story" / "p.jpg", (400, 300))
    story = write_story(tmp_path / "story", "headline: Avif\nmedia:\n  - {id: p, file: p.jpg, caption: Old, "
                        "credit: Ann, alt: A}\n")
    settings = replace(FAST, photos=PhotoSettings(sizes=(PhotoSize("small", 200, ("jpg", "avif")),), square=0))
    build(story, tmp_path / "out", settings, BuildOptions(cache_dir=tmp_path / "cache"))
    (story / "story.md").write_text((story / "story.md").read_text().replace("Old", "New"))
    result = build(story, tmp_path / "out", settings, BuildOptions(cache_dir=tmp_path / "cache"))
    for name in ("small.jpg", "small.avif"):
        assert read_embedded_metadata(result.output / "media" / "p" / name).caption == "New", name


def test_file_digest_reads_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert file_digest(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- verified when read, pruned by use -----------------------------------------------------------

def test_a_damaged_entry_is_never_published_it_is_made_again_with_a_warning(tmp_path: Path) -> None:
    story = mixed_story(tmp_path / "story")
    cache = tmp_path / "cache"
    first = build(story, tmp_path / "a", FAST, BuildOptions(cache_dir=cache))
    [video] = [p for p in cache.rglob("240p.mp4")]
    data = bytearray(video.read_bytes())
    data[len(data) // 2: len(data) // 2 + 4] = b"\xde\xad\xbe\xef"  # same size: only a digest sees it
    video.write_bytes(bytes(data))
    again = build(story, tmp_path / "b", FAST, BuildOptions(cache_dir=cache))
    assert again.built > 0  # the video's files were made again
    (warning,) = [w for w in again.warnings if w.startswith("cache:")]
    assert warning == ("cache: the entry for media/v was damaged (240p.mp4 does not match its digest); it was "
                       "discarded and the files made again")
    made = (tmp_path / "b" / again.slug / "media" / "v" / "240p.mp4").read_bytes()
    assert made == (tmp_path / "a" / first.slug / "media" / "v" / "240p.mp4").read_bytes()
    assert run_cli("verify", str(tmp_path / "b" / again.slug)).returncode == 0
    third = build(story, tmp_path / "c", FAST, BuildOptions(cache_dir=cache))
    assert third.built == 0 and not [w for w in third.warnings if w.startswith("cache:")]  # replaced, good again


def test_entries_from_before_digests_are_made_again(tmp_path: Path) -> None:
    made, entry = entry_files(tmp_path, "a.jpg")
    cache = RenditionCache(tmp_path / "cache")
    cache.store(KEY, made, entry)
    record = tmp_path / "cache" / KEY[:2] / KEY / "entry.json"
    data = json.loads(record.read_text())
    del data["digests"]
    record.write_text(json.dumps(data))
    assert cache.fetch(KEY, tmp_path / "t", REL) is None
    assert cache.warnings and "older mediapack" in cache.warnings[0]


def test_prune_removes_entries_unused_for_long_then_the_least_recently_used(tmp_path: Path) -> None:
    import os
    import time

    cache = RenditionCache(tmp_path / "cache")
    keys = [f"{i:02x}" + "1" * 62 for i in range(4)]
    for index, key in enumerate(keys):
        made, entry = entry_files(tmp_path / key, "a.jpg")
        cache.store(key, made, entry)
        used = time.time() - (40 - index * 10) * 86400  # 40, 30, 20 and 10 days ago
        os.utime(tmp_path / "cache" / key[:2] / key / "entry.json", (used, used))
    assert cache.fetch(keys[0], tmp_path / "t", REL) is not None  # used just now: no longer the oldest
    pruned = cache.prune(older_than=25 * 86400)
    assert (pruned.removed, pruned.kept) == (1, 3)
    assert not (tmp_path / "cache" / keys[1][:2] / keys[1]).exists()
    one = pruned.kept_bytes // 3
    pruned = cache.prune(max_bytes=one + 10)  # room for one entry: the most recently used stays
    assert (pruned.removed, pruned.kept) == (2, 1)
    assert (tmp_path / "cache" / keys[0][:2] / keys[0]).exists()


def test_the_prune_command(tmp_path: Path) -> None:
    made, entry = entry_files(tmp_path, "a.jpg")
    RenditionCache(tmp_path / "cache").store(KEY, made, entry)
    proc = run_cli("cache", "prune", "--cache", str(tmp_path / "cache"), "--older-than", "30d")
    assert proc.returncode == 0 and "0 entries removed" in proc.stderr and "1 kept" in proc.stderr
    proc = run_cli("cache", "prune", "--cache", str(tmp_path / "cache"), "--max-size", "0B")
    assert proc.returncode == 0 and "1 entries removed" in proc.stderr
    bad = run_cli("cache", "prune", "--cache", str(tmp_path / "cache"), "--older-than", "soon")
    assert bad.returncode == 2 and "--older-than must be a time like 12h or 30d" in bad.stderr
    assert run_cli("cache", "prune", "--cache", str(tmp_path / "cache")).returncode == 2


def test_prune_refuses_a_folder_that_is_not_a_cache_and_removes_nothing(tmp_path: Path) -> None:
    story = tmp_path / "work" / "stories" / "ferry"
    story.mkdir(parents=True)
    (story / "story.md").write_text("hi", encoding="utf-8")
    (tmp_path / "work" / "ab").mkdir()  # even a folder named like a shard
    proc = run_cli("cache", "prune", "--cache", str(tmp_path / "work"), "--older-than", "1s")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")
    assert "not a mediapack cache" in proc.stderr and "Traceback" not in proc.stderr
    assert (story / "story.md").read_text(encoding="utf-8") == "hi"


def test_a_cache_is_tagged_and_prune_touches_only_its_entries(tmp_path: Path) -> None:
    made, entry = entry_files(tmp_path, "a.jpg")
    cache = RenditionCache(tmp_path / "cache")
    cache.store(KEY, made, entry)
    tag = (tmp_path / "cache" / "CACHEDIR.TAG").read_bytes()
    assert tag.startswith(b"Signature: 8a477f597d28d172789f06886806bc55")  # backup tools skip the folder
    (tmp_path / "cache" / KEY[:2] / "notes").mkdir()  # not an entry: someone's folder
    (tmp_path / "cache" / KEY[:2] / "notes" / "keep.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "cache" / "README.txt").write_text("mine", encoding="utf-8")
    pruned = cache.prune(max_bytes=0)
    assert (pruned.removed, pruned.kept) == (1, 0)
    assert not (tmp_path / "cache" / KEY[:2] / KEY).exists()
    assert (tmp_path / "cache" / KEY[:2] / "notes" / "keep.txt").is_file()
    assert (tmp_path / "cache" / "README.txt").is_file()
