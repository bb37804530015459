"""Hostile file names: a leading '-', ':', '|', '%', spaces and non-ASCII work; control characters are refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hostile_inputs import yaml_text

from conftest import make_photo, make_video, run_cli, write_story
from mediapack.check import check_story
from mediapack.config import load_settings
from mediapack.errors import InputError

PHOTO_DASH = "-dash.jpg"  # at the top of the story folder: "-dash.jpg" is also how it is written
PHOTO_UNICODE = "photos/ünï cødé ✓ «name».png"
VIDEO = "video/-i concat:a|http:%d.mp4"  # an option, a protocol, a concat list and a sequence pattern
SUBTITLES = "video/-subs: ü.srt"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build a story whose folder, --out folder and every file name look like options or protocols."""
    root = tmp_path_factory.mktemp("names")
    story, out = root / "-story: ü", root / "-out:dir"
    make_photo(story / PHOTO_DASH, (160, 120))
    make_photo(story / PHOTO_UNICODE, (160, 120))
    make_video(story / VIDEO, seconds=1.0, size=(160, 120))
    (story / SUBTITLES).write_text("1\n00:00:00,000 --> 00:00:00,900\nHello\n", encoding="utf-8")
    write_story(story, f"""
        headline: Names
        media:
          - {{id: dash, file: {yaml_text(PHOTO_DASH)}, caption: c, credit: c, alt: a}}
          - {{id: unicode, file: {yaml_text(PHOTO_UNICODE)}, caption: c, credit: c, alt: a}}
          - {{id: clip, file: {yaml_text(VIDEO)}, subtitles: {yaml_text(SUBTITLES)}, caption: c, credit: c}}
        """)
    proc = run_cli("build", str(story), "--out", str(out), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    return {"story": story, "root": out / "names"}


def test_every_hostile_name_builds(built: dict[str, Path]) -> None:
    media = built["root"] / "media"
    assert (media / "dash" / "thumb.jpg").is_file() and (media / "unicode" / "thumb.jpg").is_file()
    assert {"120p.mp4", "poster.jpg", "thumbnails.jpg", "captions.vtt"} <= {p.name for p in (media / "clip").iterdir()}
    assert (media / "clip" / "captions.vtt").read_text(encoding="utf-8").endswith("Hello\n")


def packets(data: bytes) -> list[bytes]:
    """The compressed packets of every stream of a media file, in order."""
    import io

    import av

    with av.open(io.BytesIO(data)) as container:
        return [bytes(p) for p in container.demux() if p.size]


def test_originals_keep_their_names_in_the_full_package(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["root"] / "packages" / "names-full.zip") as full:
        originals = sorted(n for n in full.namelist() if n.startswith("originals/"))
        assert originals == sorted(f"originals/{name}" for name in (PHOTO_DASH, PHOTO_UNICODE, VIDEO))
        shipped = full.read(f"originals/{VIDEO}")
    assert packets(shipped) == packets((built["story"] / VIDEO).read_bytes())  # sanitised: streams as they came
    assert run_cli("verify", str(built["root"] / "packages" / "names-full.zip")).returncode == 0


def test_probe_reads_names_that_look_like_options(built: dict[str, Path]) -> None:
    proc = run_cli("probe", "--", PHOTO_DASH, VIDEO, cwd=built["story"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == PHOTO_DASH
    assert f"\n{VIDEO}\n  kind: video\n" in proc.stdout


@pytest.mark.parametrize("name", ["photos/new\nline.jpg", "photos/tab\tname.jpg", "photos\\back.jpg",
                                  "photos/bell\x07.jpg", "photos/rtl\u202egpj.exe"])
def test_names_with_control_characters_or_backslashes_are_refused_clearly(tmp_path: Path, name: str) -> None:
    write_story(tmp_path, f"headline: Names\nmedia:\n  - id: m\n    file: {yaml_text(name)}\n")
    with pytest.raises(InputError) as caught:
        check_story(tmp_path, load_settings(tmp_path))
    assert [str(p) for p in caught.value.problems] == [(
        f"{tmp_path / 'story.md'}: media[m].file: must be a plain relative path "
        "(no backslashes or control characters)")]


ZWNJ_NAME = "photos/می\u200cرود.jpg"  # Persian: the zero-width non-joiner is part of the word
FAMILY = "photos/\U0001F469\u200d\U0001F469\u200d\U0001F467.jpg"  # one emoji, joined by ZWJ


def test_format_characters_are_kept_in_names_and_in_every_text_output(tmp_path: Path) -> None:
    story = tmp_path / "story"
    make_photo(story / ZWNJ_NAME, (160, 120))
    make_photo(story / FAMILY, (160, 120))
    make_video(story / "clip.mp4", seconds=1.0, size=(160, 120))
    caption = "قایق می\u200cرود \u200fمی‌آید"  # ZWNJ and a right-to-left mark
    (story / "clip.srt").write_text(f"1\n00:00:00,000 --> 00:00:00,900\n{caption}\n", encoding="utf-8")
    write_story(story, f"""
        headline: Names
        published: 2026-06-20T09:30:00Z
        media:
          - {{id: zwnj, file: "{ZWNJ_NAME}", caption: "{caption}", credit: c, alt: a}}
          - {{id: family, file: "{FAMILY}", caption: c, credit: c, alt: a}}
          - {{id: clip, file: clip.mp4, subtitles: clip.srt, caption: c, credit: c}}
        """)
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "out" / "names"
    for name in ("article.txt", "index.html", "manifest.json", "media/clip/captions.vtt"):
        assert caption in (root / name).read_text(encoding="utf-8"), name
    with zipfile.ZipFile(root / "packages" / "names-full.zip") as archive:
        assert {f"originals/{ZWNJ_NAME}", f"originals/{FAMILY}"} <= set(archive.namelist())
    assert run_cli("verify", str(root / "packages" / "names-full.zip")).returncode == 0
