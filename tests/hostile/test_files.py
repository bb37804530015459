"""Hostile files: broken, disguised, scripted, bomb-like or oversized media are refused on one line, unread."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_inputs import FifoTrap, ListeningSocket, forged_png, snapshot, text_bomb
from PIL import Image, ImageFile, PngImagePlugin

from conftest import make_photo, make_video, run_cli, run_ffmpeg, write_story
from mediapack.check import check_story
from mediapack.config import load_settings
from mediapack.errors import InputError
from mediapack.model import PHOTO


def story_with(folder: Path, file: str, extra: str = "") -> Path:
    """Write a story with one media item ``m`` for ``file``."""
    return write_story(folder, f"headline: Files\nmedia:\n  - id: m\n    file: {file!r}\n"
                               f"    caption: c\n    credit: c\n    alt: a\n{extra}")


def only_problem(folder: Path) -> str:
    """Check the story in-process; return its one problem (there must be exactly one)."""
    with pytest.raises(InputError) as caught:
        check_story(folder, load_settings(folder))
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1, problems
    assert "\n" not in problems[0]
    return problems[0]


def truncated(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def cut_after_index(folder: Path, name: str) -> Path:
    """An MP4 with its index first (+faststart), cut off mid-download: the index promises all 3 s."""
    path = make_video(folder / name, seconds=3, size=(64, 48), extra=("-movflags", "+faststart"))
    data = path.read_bytes()
    path.write_bytes(data[:-200])
    return path


def zero_bytes(folder: Path, name: str) -> Path:
    (folder / name).write_bytes(b"")
    return folder / name


def text(folder: Path, name: str) -> Path:
    (folder / name).write_text("Meeting notes, not a picture.\n" * 40, encoding="utf-8")
    return folder / name


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """Make ``path`` ``size`` bytes long without writing them (a hole), after its real content."""
    if head:
        path.write_bytes(head)
    with path.open("ab") as handle:
        handle.truncate(size)
    return path


def huge_video(folder: Path, name: str) -> Path:
    """A one-frame 6000x6000 MJPEG: 36 megapixels, over the 8K limit, 200 KB on disk."""
    run_ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=6000x6000:r=1:d=1", "-frames:v", "1", "-c:v", "mjpeg",
               "-q:v", "31", str(folder / name))
    return folder / name


def long_video(folder: Path, name: str) -> Path:
    """Three 64x64 frames two hours apart: a six-hour video of 6 KB."""
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=1/7200:duration=21600", "-c:v", "libx264",
               "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(folder / name))
    return folder / name


# name -> (make the file in the story folder, the reason the one-line error must give)
CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zero-byte photo": (lambda f: zero_bytes(f, "empty.jpg"), "empty file (0 bytes)"),
    "zero-byte video": (lambda f: zero_bytes(f, "empty.mp4"), "empty file (0 bytes)"),
    "truncated JPEG": (lambda f: truncated(make_photo(f / "cut.jpg", (400, 300))), "corrupt or truncated JPEG"),
    "truncated PNG": (lambda f: truncated(make_photo(f / "cut.png", (400, 300))), "corrupt or truncated PNG"),
    "truncated MP4": (lambda f: truncated(make_video(f / "cut.mp4", seconds=1, size=(64, 48))),
                      "not a media file ffmpeg can read, or truncated"),
    "MP4 cut after its index": (lambda f: cut_after_index(f, "cut-short.mp4"),
                                "truncated: it promises 3.0 s but its data ends before that"),
    "text as JPEG": (lambda f: text(f, "notes.jpg"), "cannot decode: Invalid data found"),
    "text as MP4": (lambda f: text(f, "notes.mp4"), "not a media file ffmpeg can read"),
    "pixel bomb": (lambda f: forged_png(f / "bomb.png", 30000, 30000), "over the pixel limit of 100000000"),
    "zTXt bomb": (lambda f: forged_png(f / "ztxt.png", 8, 8, text_bomb(b"zTXt", 64)),
                  "corrupt or unsafe image (Decompressed data too large"),
    "iTXt bomb": (lambda f: forged_png(f / "itxt.png", 8, 8, text_bomb(b"iTXt", 64)),
                  "corrupt or unsafe image (Decompressed data too large"),
    "8K+ video": (lambda f: huge_video(f, "huge.mov"),
                  "6000x6000 video is over the pixel limit of 35389440 (video.max_pixels)"),
    "6 h video": (lambda f: long_video(f, "long.mp4"),
                  "21600 s is over the duration limit of 14400 s (video.max_duration)"),
    "30 GB video": (lambda f: sparse(f / "huge.mp4", 30 << 30),
                    f"{30 << 30} bytes is over the size limit of 20000000000 (video.max_bytes)"),
    "600 MB photo": (lambda f: sparse(make_photo(f / "huge.jpg", (64, 48)), 600 << 20),
                     f"{600 << 20} bytes is over the size limit of 500000000 (photos.max_bytes)"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_file_is_refused_on_one_line_naming_it(tmp_path: Path, case: str) -> None:
    make, reason = CASES[case]
    path = make(tmp_path)
    story_with(tmp_path, path.name)
    problem = only_problem(tmp_path)
    assert problem.startswith(f"media[m]: {path}: "), problem
    assert reason in problem, problem


def test_bad_files_fail_the_build_with_exit_1_and_nothing_written(tmp_path: Path) -> None:
    story = tmp_path / "story"
    story.mkdir()
    paths = [make(story) for make, _ in CASES.values()]
    media = "".join(f"  - {{id: m{i}, file: {p.name!r}, caption: c, credit: c, alt: a}}\n" for i, p in enumerate(paths))
    write_story(story, f"headline: Bad files\nmedia:\n{media}")
    before = snapshot(tmp_path)
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == f"error: {story / 'story.md'}: {len(CASES)} problem(s) found"
    for i, (path, (_, reason)) in enumerate(zip(paths, CASES.values(), strict=True)):
        assert any(line.startswith(f"  media[m{i}]: {path}: ") and reason in line for line in lines), reason
    assert snapshot(tmp_path) == before


def test_a_png_named_mp4_is_used_as_the_photo_it_is(tmp_path: Path) -> None:
    make_photo(tmp_path / "disguised.mp4", (320, 240), fmt="PNG")
    story_with(tmp_path, "disguised.mp4")
    checked = check_story(tmp_path, load_settings(tmp_path))
    assert (checked.infos["m"].kind, checked.infos["m"].format) == (PHOTO, "PNG")


def test_limits_lowered_in_the_story_folder_apply(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "p.jpg", (320, 240))
    story_with(tmp_path, "p.jpg")
    (tmp_path / "mediapack.toml").write_text("[photos]\nmax_bytes = 1000\n", encoding="utf-8")
    size = photo.stat().st_size
    assert only_problem(tmp_path) == (f"media[m]: {photo}: {size} bytes is over the size limit of 1000 "
                                      "(photos.max_bytes)")


def test_oversized_subtitles_are_refused_unread(tmp_path: Path) -> None:
    make_video(tmp_path / "v.mp4", seconds=1, size=(64, 48))
    subtitles = sparse(tmp_path / "v.srt", 30 << 20, b"1\n00:00:00,000 --> 00:00:01,000\nhi\n\n")
    story_with(tmp_path, "v.mp4", "    subtitles: v.srt\n")
    assert only_problem(tmp_path) == f"{subtitles}: media[m].subtitles: larger than 10 MB"


def playlist(kind: str, target: str) -> str:
    if kind == "hls":
        return f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{target}\n#EXT-X-ENDLIST\n"
    return f"ffconcat version 1.0\nfile '{target}'\n"


@pytest.mark.parametrize("kind", ["hls", "ffconcat"])
def test_playlists_posing_as_video_open_neither_local_files_nor_urls(tmp_path: Path, kind: str) -> None:
    trap, server = FifoTrap(tmp_path / "secret.ts"), ListeningSocket()
    (tmp_path / "local.mp4").write_text(playlist(kind, str(trap.path)), encoding="utf-8")
    (tmp_path / "remote.mp4").write_text(playlist(kind, f"{server.url}/segment.ts"), encoding="utf-8")
    write_story(tmp_path, "headline: Playlists\nmedia:\n"
                          "  - {id: local, file: local.mp4, caption: c, credit: c}\n"
                          "  - {id: remote, file: remote.mp4, caption: c, credit: c}\n")
    try:
        proc = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"))
    finally:
        opened, connected = trap.close(), server.connected()
    assert not opened, "the playlist's local file was opened"
    assert not connected, "the playlist's URL was fetched"
    assert proc.returncode == 1
    for name in ("local", "remote"):
        assert (f"  media[{name}]: {tmp_path / name}.mp4: not a media file ffmpeg can read safely "
                "(playlist/concat script)") in proc.stderr.splitlines()
    assert not (tmp_path / "out").exists()


VOBSUB_INDEX = ("# VobSub index file, v7 (do not modify this line!)\nsize: 720x480\n"
                "id: en, index: 0\ntimestamp: 00:00:01:000, filepos: 000000000\n")
# Magic Lantern Video: block type, size, version, then GUID, file numbers, video class, frame counts, rate.
MLV_HEADER = (b"MLVI" + struct.pack("<I", 52) + b"v2.0\0\0\0\0"
              + struct.pack("<QHHIHHIIII", 1, 0, 2, 0, 1, 0, 1, 0, 25, 1))


@pytest.mark.parametrize("kind,sibling", [("vobsub", "clip.sub"), ("mlv", "clip.m00")])
def test_formats_that_read_sibling_files_are_refused_unopened(tmp_path: Path, kind: str, sibling: str) -> None:
    clip = tmp_path / "clip.mp4"
    if kind == "vobsub":
        clip.write_text(VOBSUB_INDEX, encoding="utf-8")
    else:
        clip.write_bytes(MLV_HEADER + bytes(64))
    trap = FifoTrap(tmp_path / sibling)  # a FIFO: without the writer's help, opening it would hang the probe
    story_with(tmp_path, "clip.mp4")
    try:
        problem = only_problem(tmp_path)
    finally:
        opened = trap.close()
    assert not opened, f"{sibling} was opened"
    assert problem == f"media[m]: {clip}: not a media file ffmpeg can read safely (playlist/concat script)"


def test_pillow_safety_limits_are_left_on() -> None:
    # Importing every stage, the lazily imported compositions too, must not loosen Pillow's guards.
    import mediapack.build
    import mediapack.compose.slideshow
    import mediapack.compose.social  # noqa: F401 - the three imports bind one name

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert PngImagePlugin.MAX_TEXT_CHUNK <= 1 << 20 and PngImagePlugin.MAX_TEXT_MEMORY <= 64 << 20
    assert Image.MAX_IMAGE_PIXELS is not None
