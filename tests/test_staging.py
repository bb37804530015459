"""Output folders: never another story's, never half-written; the record of which story built each."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import make_photo, run_cli, write_story
from mediapack.staging import RECORDS


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
