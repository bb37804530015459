"""Hostile paths: nothing outside the story folder is read, nothing outside --out is written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_inputs import FifoTrap, snapshot, yaml_text

from conftest import make_photo, run_cli, write_story
from mediapack.build import build
from mediapack.check import check_story
from mediapack.config import load_settings
from mediapack.context import BuildOptions, Reporter
from mediapack.errors import ConfigError, InputError


def refused(folder: Path) -> list[str]:
    """Check a story in-process; return its problems, one line each (it must not pass)."""
    with pytest.raises(InputError) as caught:
        check_story(folder, load_settings(folder))
    return [str(p) for p in caught.value.problems]


def test_media_paths_leading_outside_are_refused_before_anything_opens_them(tmp_path: Path) -> None:
    outside, story = tmp_path / "outside", tmp_path / "story"
    secret = FifoTrap(outside / "secret.jpg")  # opening it for reading would be noticed
    make_photo(outside / "real.jpg", (64, 48))
    (outside / "bed.m4a").write_bytes(b"not read")
    (outside / "subs.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nsecret\n", encoding="utf-8")
    make_photo(story / "photos" / "ok.jpg", (64, 48))
    (story / "photos" / "link-out.jpg").symlink_to(secret.path)
    (story / "linked-dir").symlink_to(outside, target_is_directory=True)
    (story / "subs-out.srt").symlink_to(outside / "subs.srt")
    (story / "bed.m4a").symlink_to(outside / "bed.m4a")
    entries = {
        "absolute": f"file: {yaml_text(str(secret.path))}",
        "dotdot": "file: ../outside/secret.jpg",
        "sneaky": "file: photos/../../outside/secret.jpg",
        "link": "file: photos/link-out.jpg",
        "dir-link": "file: linked-dir/real.jpg",
        "backslash": r"file: 'photos\..\..\outside\secret.jpg'",
        "subs-dotdot": "file: photos/ok.jpg\n    subtitles: ../outside/subs.srt",
        "subs-absolute": f"file: photos/ok.jpg\n    subtitles: {yaml_text(str(outside / 'subs.srt'))}",
        "subs-link": "file: photos/ok.jpg\n    subtitles: subs-out.srt",
    }
    media = "".join(f"  - id: {key}\n    {value}\n    caption: c\n    credit: c\n    alt: a\n"
                    for key, value in entries.items())
    write_story(story, f"headline: Paths\ncompose:\n  slideshow: true\n  audio_bed: ../outside/bed.m4a\n"
                       f"media:\n{media}")
    try:
        proc = run_cli("check", str(story))
    finally:
        assert not secret.close(), "a file outside the story folder was opened"
    assert proc.returncode == 1
    said = proc.stderr
    inside = "must stay inside the story folder"
    for key in ("absolute", "dotdot", "sneaky"):
        assert f"story.md: media[{key}].file: {inside}" in said, key
    assert f"{story / 'photos' / 'link-out.jpg'}: media[link].file: links outside the story folder" in said
    assert f"{story / 'linked-dir' / 'real.jpg'}: media[dir-link].file: links outside the story folder" in said
    assert "media[backslash].file: must be a plain relative path (no backslashes" in said
    assert f"media[subs-dotdot].subtitles: {inside}" in said
    assert f"media[subs-absolute].subtitles: {inside}" in said
    assert f"{story / 'subs-out.srt'}: media[subs-link].subtitles: links outside the story folder" in said
    assert f"compose.audio_bed: {inside}" in said
    assert "secret" not in said.replace("secret.jpg", "")  # the subtitles outside were never read


def test_an_audio_bed_linked_out_of_the_story_folder_is_refused(tmp_path: Path) -> None:
    story = tmp_path / "story"
    make_photo(story / "p.jpg", (64, 48))
    (tmp_path / "bed.m4a").write_bytes(b"outside")
    (story / "bed.m4a").symlink_to(tmp_path / "bed.m4a")
    write_story(story, "headline: Bed\ncompose: {slideshow: true, audio_bed: bed.m4a}\n"
                       "media:\n  - {id: p, file: p.jpg, caption: c, credit: c, alt: a}\n")
    assert refused(story) == [f"{story / 'bed.m4a'}: compose.audio_bed: links outside the story folder"]


def test_a_story_md_linked_out_of_the_folder_is_refused_unread(tmp_path: Path) -> None:
    write_story(tmp_path / "elsewhere", "headline: Someone else's unpublished scoop\n")
    story = tmp_path / "story"
    story.mkdir()
    (story / "story.md").symlink_to(tmp_path / "elsewhere" / "story.md")
    proc = run_cli("check", str(story))
    assert proc.returncode == 1
    assert proc.stderr == f"error: {story / 'story.md'}: links outside the story folder\n"


def test_a_story_mediapack_toml_linked_out_or_oversized_is_refused_unread(tmp_path: Path) -> None:
    story = tmp_path / "story"
    write_story(story, "headline: Config\n")
    (tmp_path / "elsewhere.toml").write_text("[secret]\napi_key = 1\n", encoding="utf-8")
    config = story / "mediapack.toml"
    config.symlink_to(tmp_path / "elsewhere.toml")
    with pytest.raises(ConfigError) as caught:
        load_settings(story)
    assert [str(p) for p in caught.value.problems] == [f"{config}: links outside the story folder"]
    config.unlink()
    with config.open("wb") as handle:
        handle.truncate(50 << 20)  # 50 MB of nothing, as a hole
    with pytest.raises(ConfigError) as caught:
        load_settings(story)
    assert [str(p) for p in caught.value.problems] == [f"{config}: larger than 1 MB"]


def test_a_symlinked_story_folder_builds_from_its_real_folder_only(tmp_path: Path) -> None:
    real = tmp_path / "uploads" / "real"
    make_photo(real / "p.jpg", (96, 64))
    make_photo(tmp_path / "uploads" / "neighbour.jpg", (96, 64))
    write_story(real, "headline: Linked folder\nmedia:\n  - {id: p, file: p.jpg, caption: c, credit: c, alt: a}\n")
    (tmp_path / "stories").mkdir()
    linked = tmp_path / "stories" / "linked"
    linked.symlink_to(real, target_is_directory=True)
    before = snapshot(real)
    out = tmp_path / "out"
    proc = run_cli("build", str(linked), "--out", str(out), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert (out / "linked-folder" / "index.html").is_file()
    assert (out / "linked-folder" / "media" / "p" / "thumb.jpg").is_file()
    assert snapshot(real) == before
    # Inside the linked folder, '..' is the real folder's parent: still outside.
    (real / "n.jpg").symlink_to(tmp_path / "uploads" / "neighbour.jpg")
    write_story(real, "headline: Linked folder\nmedia:\n  - {id: n, file: n.jpg, caption: c, credit: c, alt: a}\n")
    assert refused(linked) == [f"{real / 'n.jpg'}: media[n].file: links outside the story folder"]


@pytest.mark.parametrize("media_id", ["../x", "a/b", "A", "-x", "x-", "x y", "x.jpg", "ünï", "a" * 65,
                                      "x\u202ey", "x:y", "nul\0"])
def test_media_ids_outside_a_z_0_9_dash_are_refused(tmp_path: Path, media_id: str) -> None:
    make_photo(tmp_path / "p.jpg", (32, 32))
    write_story(tmp_path, f"headline: Ids\nmedia:\n  - id: {yaml_text(media_id)}\n    file: p.jpg\n")
    problems = refused(tmp_path)
    assert any(": media[0].id: must hold only a-z, 0-9 and '-'" in p for p in problems), problems


@pytest.mark.parametrize("slug", ["../../evil", "a/b", "/abs", "UPPER", ".hidden", "a" * 65, "x:y", "x\ny", "-"])
def test_slugs_outside_a_z_0_9_dash_are_refused(tmp_path: Path, slug: str) -> None:
    write_story(tmp_path, f"headline: Slugs\nslug: {yaml_text(slug)}\n")
    assert refused(tmp_path) == [(f"{tmp_path / 'story.md'}: slug: must hold only a-z, 0-9 and '-' "
                                  "(at most 64 characters)")]


def test_a_build_writes_only_inside_out_and_its_cache(tmp_path: Path) -> None:
    story = tmp_path / "story"
    make_photo(story / "p.jpg", (96, 64))
    write_story(story, 'headline: "../../../etc/passwd\\0"\n'
                       "media:\n  - {id: p, file: p.jpg, caption: c, credit: c, alt: a}\n")
    out = tmp_path / "work" / "out"
    out.parent.mkdir()
    before = snapshot(tmp_path)
    proc = run_cli("build", str(story), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    after = snapshot(tmp_path)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed and all(path.startswith(("work/out", "work/.mediapack-cache")) for path in changed), changed
    # The slug from the headline, and the records of which story folder built what; no leftovers.
    assert sorted(p.name for p in out.iterdir()) == [".mediapack", "_headers", "etc-passwd"]


def test_staging_folders_live_inside_out_while_building(tmp_path: Path) -> None:
    story = tmp_path / "story"
    make_photo(story / "p.jpg", (96, 64))
    write_story(story, "headline: Staging\nmedia:\n  - {id: p, file: p.jpg, caption: c, credit: c, alt: a}\n")
    out, cache = tmp_path / "out", tmp_path / "cache"
    before = set(snapshot(tmp_path))
    seen: list[set[str]] = []

    class Watcher(Reporter):
        def task(self, label: str) -> Callable[[float], None]:
            seen.append(set(snapshot(tmp_path)) - before)  # mid-build: what exists that did not before
            return super().task(label)

    build(story, out, load_settings(story), BuildOptions(cache_dir=cache), reporter=Watcher())
    assert len(seen) == 2  # the photo and the packages
    during = set().union(*seen)
    assert any(p.startswith("out/.staging.building-") for p in during), during
    assert all(p.startswith(("out/", "cache/")) or p in ("out", "cache") for p in during), during
    assert [name for name in os.listdir(out) if name.startswith(".")] == [".mediapack"]
