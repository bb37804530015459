"""The story's own files in the full package: one entry per file, however many items show it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from conftest import make_photo, run_cli, write_story


@pytest.mark.parametrize("originals", ["sanitised", "untouched"])
def test_two_items_of_one_photo_build_with_one_original_in_the_zip(tmp_path: Path, originals: str) -> None:
    story = tmp_path / "story"
    make_photo(story / "p" / "a.jpg", (320, 240))
    (story / "mediapack.toml").write_text(f'[packages]\noriginals = "{originals}"\n', encoding="utf-8")
    write_story(story, """
        headline: Twice
        published: 2026-06-20T09:30:00Z
        media:
          - {id: wide, file: p/a.jpg, caption: The harbour, credit: Ann}
          - {id: again, file: p/a.jpg, caption: The harbour again, credit: Ann}
        """)
    assert run_cli("check", str(story)).returncode == 0
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    [full] = (tmp_path / "out" / "twice" / "packages").glob("*-full.zip")
    names = zipfile.ZipFile(full).namelist()
    assert names.count("originals/p/a.jpg") == 1
    assert {"media/wide/thumb.jpg", "media/again/thumb.jpg"} <= set(names)  # each item keeps its renditions
