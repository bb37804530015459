"""OUT/.mediapack: never another story's output, and an unchanged story is up to date at once."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import make_photo, run_cli, write_story
from mediapack.records import RECORDS
from test_imports import loaded_after


def photo_story(folder: Path, slug: str, caption: str) -> Path:
    make_photo(folder / "p.jpg", (160, 120))
    return write_story(folder, f"headline: {caption}\nslug: {slug}\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                               f"  - {{id: p, file: p.jpg, caption: {caption}, credit: d, alt: a}}\n")


def test_another_story_of_the_same_slug_is_refused_naming_both_folders(tmp_path: Path) -> None:
    first = photo_story(tmp_path / "first", "ferry", "First story")
    second = photo_story(tmp_path / "second", "ferry", "Second story")
    out = tmp_path / "dist"
    assert run_cli("build", str(first), "--out", str(out)).returncode == 0
    page = (out / "ferry" / "index.html").read_bytes()
    proc = run_cli("build", str(second), "--out", str(out))
    assert proc.returncode == 1
    (line,) = proc.stderr.splitlines()
    assert line == (f"error: {out / 'ferry'}: was built from {first}, and {second} has the same slug 'ferry'; "
                    "set another slug in its front matter, or build with --force to replace it")
    assert (out / "ferry" / "index.html").read_bytes() == page  # nothing lost
    forced = run_cli("build", str(second), "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Second story" in (out / "ferry" / "index.html").read_text(encoding="utf-8")
    # Now the second story owns it: the first is the one refused.
    assert run_cli("build", str(first), "--out", str(out)).returncode == 1


def test_the_same_story_rebuilds_also_after_the_whole_checkout_moved(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "repo" / "stories" / "ferry", "ferry", "Ferry")
    out = tmp_path / "repo" / "dist"
    assert run_cli("build", str(story), "--out", str(out)).returncode == 0
    assert run_cli("build", str(story), "--out", str(out)).returncode == 0
    assert (out / RECORDS / "built-from" / "ferry").read_text(encoding="utf-8") == "../stories/ferry\n"
    shutil.move(tmp_path / "repo", tmp_path / "moved")
    moved = tmp_path / "moved"
    proc = run_cli("build", str(moved / "stories" / "ferry"), "--out", str(moved / "dist"))
    assert proc.returncode == 0, proc.stderr


def test_an_output_from_before_the_record_is_simply_rebuilt(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "story", "ferry", "Ferry")
    out = tmp_path / "dist"
    assert run_cli("build", str(story), "--out", str(out)).returncode == 0
    shutil.rmtree(out / RECORDS)
    assert run_cli("build", str(story), "--out", str(out)).returncode == 0


# --- an unchanged story is up to date: the rebuild stops before any media library loads -----------

def build_json(story: Path, out: Path, *extra: str) -> dict:
    proc = run_cli("build", str(story), "--out", str(out), "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["stories"][0]


def test_an_unchanged_rebuild_is_up_to_date_and_loads_no_media_library(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "story", "ferry", "Ferry")
    out = tmp_path / "dist"
    first = build_json(story, out)
    assert not first["up_to_date"] and first["built"] > 0
    again = build_json(story, out)
    assert again["up_to_date"] and again["built"] == 0 and again["cached"] == first["built"]
    assert again["packages"] == first["packages"] and again["output"] == first["output"]
    proc = run_cli("build", str(story), "--out", str(out))
    assert proc.stderr.strip() == (f"ferry is up to date: nothing it is made from has changed since it was built "
                                   f"-> {out / 'ferry' / 'index.html'}")
    assert loaded_after("build", str(story), "--out", str(out), cwd=tmp_path) == set()


def test_a_new_file_time_alone_is_no_change_but_new_content_is(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "story", "ferry", "Ferry")
    out = tmp_path / "dist"
    build_json(story, out)
    os.utime(story / "p.jpg", (1_000_000_000, 1_000_000_000))  # as a fresh git checkout gives
    assert build_json(story, out)["up_to_date"]
    (story / "story.md").write_text((story / "story.md").read_text().replace("caption: Ferry", "caption: Boat"))
    rebuilt = build_json(story, out)
    assert not rebuilt["up_to_date"]
    assert "Boat" in (out / "ferry" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("change", ["setting", "output", "no-cache", "force", "leftover"])
def test_anything_that_could_change_the_output_rebuilds(tmp_path: Path, change: str) -> None:
    story = photo_story(tmp_path / "story", "ferry", "Ferry")
    out = tmp_path / "dist"
    build_json(story, out)
    extra: tuple[str, ...] = ()
    if change == "setting":
        (story / "mediapack.toml").write_text("[photos]\njpeg_quality = 70\n", encoding="utf-8")
    elif change == "output":
        (out / "ferry" / "media" / "p" / "thumb.jpg").unlink()
    elif change == "leftover":
        (out / ".ferry.building-killed").mkdir()  # what a killed build leaves: the next build clears it
    else:
        extra = (f"--{change}",)
    rebuilt = build_json(story, out, *extra)
    assert not rebuilt["up_to_date"]
    assert run_cli("verify", str(out / "ferry")).returncode == 0
    assert not (out / ".ferry.building-killed").exists()
