"""check refuses what build would refuse, and says everything at once: front matter, subtitles, media."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_audio, make_photo, make_video, run_cli, write_story
from mediapack.check import check_story
from mediapack.config import load_settings
from mediapack.errors import InputError


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        check_story(folder, load_settings(folder))
    return [str(p) for p in caught.value.problems]


def warnings_of(folder: Path) -> list[str]:
    return [str(w) for w in check_story(folder, load_settings(folder)).warnings]


def clip_story(folder: Path, extra: str = "", subtitles: str | bytes | None = None, seconds: float = 2.0,
               name: str = "clip.srt") -> Path:
    make_video(folder / "clip.mp4", seconds=seconds, size=(160, 120))
    if subtitles is not None:
        data = subtitles.encode("utf-8") if isinstance(subtitles, str) else subtitles
        (folder / name).write_bytes(data)
    media = "  - {id: clip, file: clip.mp4, caption: c, credit: d" + (f", subtitles: {name}" if subtitles
                                                                   is not None else "") + extra + "}"
    return write_story(folder, f"headline: Clip\npublished: 2026-06-20T09:30:00Z\nmedia:\n{media}\n")


# --- front matter ------------------------------------------------------------------------------

def test_the_count_is_followed_by_exactly_that_many_problems_and_warnings_come_after(tmp_path: Path) -> None:
    make_photo(tmp_path / "p.jpg", (64, 48))
    write_story(tmp_path, """
        headline: Four problems
        published: 2026-06-20T09:30:00Z
        media:
          - {id: p, file: p.jpg, credit: c, captoin: typo}
          - {id: q, file: missing.jpg, caption: c, credit: d, alt: a}
          - {id: r, file: also-missing.mp4, caption: c, credit: d}
        """, body="![[q]]\n\n![[nobody]]\n\n![[p]]\n\n![[p]]\n")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == f"error: {tmp_path / 'story.md'}: 4 problem(s) found"
    problems = [line for line in lines[1:] if line.startswith("  ")]
    assert len(problems) == 4, lines
    assert any("missing.jpg: media[q].file: file not found" in p for p in problems)
    assert any("also-missing.mp4: media[r].file: file not found" in p for p in problems)
    assert any("![[nobody]]: placement names no media item" in p for p in problems)
    assert any("![[p]]: places the item 2 times; place it once" in p for p in problems)
    warnings = [line for line in lines[1:] if line.startswith("warning: ")]
    assert len(lines) == 5 + len(warnings)
    assert any("media[p].captoin: unknown media key (ignored) (did you mean `caption`?)" in w for w in warnings)
    assert any("media[p].caption: missing" in w for w in warnings)


def test_a_misspelt_media_key_gets_a_suggestion(tmp_path: Path) -> None:
    make_photo(tmp_path / "p.jpg", (64, 48))
    write_story(tmp_path, "headline: H\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: p, file: p.jpg, caption: c, credit: d, atl: a}\n")
    assert any("media[p].atl: unknown media key (ignored) (did you mean `alt`?)" in w
               for w in warnings_of(tmp_path))


def test_a_key_given_twice_is_a_problem_naming_both_lines(tmp_path: Path) -> None:
    make_photo(tmp_path / "p.jpg", (64, 48))
    write_story(tmp_path, """
        headline: First
        published: 2026-06-20T09:30:00Z
        headline: Second
        media:
          - id: p
            file: p.jpg
            caption: one
            alt: a
            caption: two
            credit: c
        """)
    assert problems_of(tmp_path) == [
        f"{tmp_path / 'story.md'}: headline: given twice (lines 2 and 4); keep one of them",
        f"{tmp_path / 'story.md'}: media[p].caption: given twice (lines 8 and 10); keep one of them"]


def test_subtitles_or_a_poster_time_on_a_photo_are_problems(tmp_path: Path) -> None:
    make_photo(tmp_path / "p.jpg", (64, 48))
    (tmp_path / "p.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n", encoding="utf-8")
    write_story(tmp_path, "headline: H\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: p, file: p.jpg, caption: c, credit: d, alt: a, subtitles: p.srt, poster_at: 2}\n")
    found = problems_of(tmp_path)
    assert len(found) == 2
    assert found[0].endswith("media[p].subtitles: is not for photos, and p.jpg is a photo: take it out, "
                             "or point file at the video it belongs to")
    assert "media[p].poster_at: is not for photos" in found[1]


def test_a_poster_time_past_the_end_is_a_warning(tmp_path: Path) -> None:
    clip_story(tmp_path, extra=", poster_at: 30")
    assert warnings_of(tmp_path) == [(f"{tmp_path / 'story.md'}: media[clip].poster_at: 30 s is past the end of "
                                      "the video (2.0 s); the poster is taken from its last frames")]


def test_a_published_time_without_a_zone_is_a_warning(tmp_path: Path) -> None:
    write_story(tmp_path, "headline: H\npublished: 2026-06-20T09:30:00\n")
    assert warnings_of(tmp_path) == [(
        f"{tmp_path / 'story.md'}: published: has no time zone, so it is taken as UTC; write it with one, like "
        "2026-06-20T09:30:00Z or 2026-06-20T13:00:00+03:30")]


@pytest.mark.parametrize(("epoch", "said"), [
    ("", "dated 1980-01-01 (set published, or SOURCE_DATE_EPOCH)"), ("1781947800", "dated from SOURCE_DATE_EPOCH")])
def test_a_missing_published_says_how_the_zips_are_dated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        epoch: str, said: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    write_story(tmp_path, "headline: H\n")
    assert warnings_of(tmp_path) == [f"{tmp_path / 'story.md'}: published: missing: the zips' entries are {said}"]


# --- subtitles -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "said"), [
    ("", ["no subtitle cues found"]),
    ("1\n00:00:01,000 --> 00:00:00,500\nBackwards\n",
     ["line 2: cue ends before it starts"]),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:00.500\nBackwards\n\n00:00.5 --> 00:01,x\nGarbage\n",
     ["line 3: cue ends before it starts", "line 6: cannot read the cue timing"]),
    ("Hello there\nno timing at all\n",
     ["line 1: expected a cue timing like 00:00:01,000 --> 00:00:02,000"]),
])
def test_check_reads_the_subtitles_and_reports_every_problem(tmp_path: Path, text: str, said: list[str]) -> None:
    clip_story(tmp_path, subtitles=text)
    key = f"{tmp_path / 'clip.srt'}: media[clip].subtitles"
    assert problems_of(tmp_path) == [f"{key}: {message}" for message in said]
    proc = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and not (tmp_path / "out" / "clip").exists()


def test_utf16_subtitles_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    text = "1\r\n00:00:00,000 --> 00:00:01,500\r\nHéllo wörld می‌رود\r\n"
    clip_story(tmp_path, subtitles=text.encode("utf-16"))
    assert check_story(tmp_path, load_settings(tmp_path)).warnings == ()
    proc = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    vtt = (tmp_path / "out" / "clip" / "media" / "clip" / "captions.vtt").read_text(encoding="utf-8")
    assert "Héllo wörld می\u200cرود" in vtt


def test_persian_subtitles_in_windows_1256_are_read_with_a_warning(tmp_path: Path) -> None:
    text = "1\r\n00:00:00,000 --> 00:00:01,500\r\nسلام بندر\r\n"
    clip_story(tmp_path, subtitles=text.encode("cp1256"), name="clip.fa.srt")  # the file's own language
    said = (f"{tmp_path / 'clip.fa.srt'}: media[clip].subtitles: not UTF-8: read as cp1256, the code page 'fa' "
            "subtitles were saved in before UTF-8; if the captions' words look wrong, save the file as UTF-8")
    assert warnings_of(tmp_path) == [said]
    proc = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    vtt = (tmp_path / "out" / "clip" / "media" / "clip" / "captions.vtt").read_text(encoding="utf-8")
    assert "سلام بندر" in vtt


def test_cues_after_the_end_of_the_video_are_a_warning(tmp_path: Path) -> None:
    clip_story(tmp_path, subtitles="1\n00:00:00,000 --> 00:00:01,000\nIn\n\n2\n00:00:05,000 --> 00:00:09,000\nOut\n")
    assert warnings_of(tmp_path) == [(f"{tmp_path / 'clip.srt'}: media[clip].subtitles: 1 cue(s) start after the "
                                      "video ends (2.0 s), the first at 5.0 s: nobody will see them")]


# --- media ffmpeg would refuse -------------------------------------------------------------------

@pytest.mark.parametrize("size", [(2, 2), (4, 1000), (1000, 6), (14, 14)])
def test_a_video_too_small_to_publish_is_refused_in_words(tmp_path: Path, size: tuple[int, int]) -> None:
    make_video(tmp_path / "tiny.mp4", seconds=1.0, size=size, extra=("-pix_fmt", "yuv420p"))
    write_story(tmp_path, "headline: Tiny\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: tiny, file: tiny.mp4, caption: c, credit: d}\n")
    expected = (f"{tmp_path / 'tiny.mp4'}: a {size[0]}x{size[1]} video is too small to publish; a video needs "
                "at least 16 pixels on each side")
    for command in ("check", "build"):
        proc = run_cli(command, str(tmp_path), "--out", str(tmp_path / "out")) if command == "build" else \
            run_cli(command, str(tmp_path))
        assert proc.returncode == 1
        assert proc.stderr.splitlines()[0] == f"error: media[tiny]: {expected}", proc.stderr
        assert "ffmpeg" not in proc.stderr
    assert not (tmp_path / "out" / "tiny").exists()


def test_a_16_pixel_video_builds(tmp_path: Path) -> None:
    make_video(tmp_path / "small.mp4", seconds=1.0, size=(16, 16))
    write_story(tmp_path, "headline: Small\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: small, file: small.mp4, caption: c, credit: d}\n")
    proc = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stories"][0]["ok"]


# --- long captions -----------------------------------------------------------------------------

def caption_story(folder: Path, caption: str) -> Path:
    make_photo(folder / "p.jpg", (320, 240))
    return write_story(folder, "headline: Long\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                               f"  - {{id: p, file: p.jpg, caption: \"{caption}\", credit: d, alt: a}}\n")


def embedded_caption(path: Path) -> str:
    from mediapack.photo.metadata import read_embedded_metadata

    return read_embedded_metadata(path).caption or ""


def test_a_long_caption_is_kept_whole_everywhere(tmp_path: Path) -> None:
    caption = " ".join(f"word{i}" for i in range(900))  # about 6,000 characters
    story = caption_story(tmp_path / "story", caption)
    assert [str(w) for w in check_story(story, load_settings(story)).warnings] == [(  # IIM's limit: 2000 bytes
        f"{story / 'story.md'}: media[p].caption: is longer than IPTC IIM allows, so the IIM copy in the JPEG "
        "files is cut (XMP and EXIF hold it whole)")]
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "out" / "long"
    assert caption in (root / "article.txt").read_text(encoding="utf-8")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["associations"][0]["descriptions"][0]["value"] == caption
    assert embedded_caption(root / "media" / "p" / "thumb.jpg") == caption


def test_a_caption_too_long_for_a_jpeg_segment_is_cut_there_only_with_a_warning(tmp_path: Path) -> None:
    caption = " ".join(f"word{i}" for i in range(12000))  # about 100,000 characters
    story = caption_story(tmp_path / "story", caption)
    _, warning = warnings_of(story)  # after the IIM one
    assert warning.startswith(f"{story / 'story.md'}: media[p].caption: is {len(caption)} characters: the "
                              "photo files embed only its start")
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "out" / "long"
    assert caption in (root / "article.txt").read_text(encoding="utf-8")
    embedded = embedded_caption(root / "media" / "p" / "thumb.jpg")
    assert 10_000 < len(embedded) < len(caption) and caption.startswith(embedded.removesuffix("…"))


# --- what a first pass by a new user found ----------------------------------------------------------

@pytest.mark.parametrize("bed", ["text", "photo", "silent video", "empty"])
def test_check_probes_the_audio_bed(tmp_path: Path, bed: str) -> None:
    make_photo(tmp_path / "p.jpg", (320, 240))
    path = tmp_path / "bed.m4a"
    if bed == "text":
        path.write_text("not audio at all", encoding="utf-8")
    elif bed == "photo":
        make_photo(path, (64, 48), "JPEG")
    elif bed == "silent video":
        make_video(path, seconds=1.0, size=(160, 120), audio=False, extra=("-f", "mp4"))
    else:
        path.write_bytes(b"")
    write_story(tmp_path, "headline: Bed\npublished: 2026-06-20T09:30:00Z\n"
                          "compose: {slideshow: true, audio_bed: bed.m4a}\nmedia:\n"
                          "  - {id: p, file: p.jpg, caption: c, credit: d, alt: a}\n")
    (problem,) = problems_of(tmp_path)
    assert problem.startswith(f"compose.audio_bed: {path}: ")


def test_sizes_above_the_photo_give_every_format_they_ask_for(tmp_path: Path) -> None:
    make_photo(tmp_path / "tall.jpg", (1400, 2000))
    (tmp_path / "mediapack.toml").write_text(
        '[photos.sizes]\nhuge = {long_edge = 4000, formats = ["jpg"]}\nxl = {long_edge = 3000, formats = ["webp"]}\n'
        'small = 500\n', encoding="utf-8")
    write_story(tmp_path, "headline: Tall\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: t, file: tall.jpg, caption: c, credit: d, alt: a}\n")
    proc = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "out" / "tall" / "media" / "t"
    assert sorted(p.name for p in folder.iterdir()) == ["crop-16x9.jpg", "crop-1x1.jpg", "crop-4x3.jpg", "share.jpg",
                                                        "small.jpg", "square.jpg", "xl.jpg", "xl.webp"]
    from PIL import Image

    for name in ("xl.jpg", "xl.webp"):
        with Image.open(folder / name) as img:
            assert img.size == (1400, 2000)


def test_an_animation_too_small_for_video_is_published_as_its_still(tmp_path: Path) -> None:
    from PIL import Image

    frames = [Image.new("RGB", (15, 15), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "dot.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
    write_story(tmp_path, "headline: Dot\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: dot, file: dot.gif, caption: c, credit: d, alt: a}\n")
    assert warnings_of(tmp_path) == [(f"{tmp_path / 'story.md'}: media[dot]: dot.gif is an animation of 15x15, too "
                                      "small to play as a video (at least 16 pixels each way): it is published as "
                                      "its first frame")]
    proc = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "out" / "dot" / "media" / "dot" / "animation.mp4").exists()


def test_an_impossible_date_names_its_key(tmp_path: Path) -> None:
    write_story(tmp_path, "headline: H\npublished: 2026-13-01T10:00:00Z\n")
    assert problems_of(tmp_path) == [(f"{tmp_path / 'story.md'}: published: not an ISO 8601 date-time like "
                                      "2026-06-20T09:30:00Z: '2026-13-01T10:00:00Z'")]


def test_a_date_a_zip_cannot_hold_is_a_warning(tmp_path: Path) -> None:
    write_story(tmp_path, "headline: H\npublished: 1900-06-20T09:30:00Z\n")
    assert warnings_of(tmp_path) == [(f"{tmp_path / 'story.md'}: published: is in 1900: zips hold dates from 1980 "
                                      "to 2107 only, so their entries are dated 1980")]


def test_a_poster_time_that_is_no_number_is_refused(tmp_path: Path) -> None:
    clip_story(tmp_path, extra=", poster_at: .nan")
    assert problems_of(tmp_path) == [(f"{tmp_path / 'story.md'}: media[clip].poster_at: must be a number of "
                                      "seconds, 0 or more")]


def test_a_file_given_as_the_story_says_what_a_story_folder_is(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "photo.jpg", (64, 48))
    proc = run_cli("build", str(photo), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {photo}: is a file, not a story folder (a story folder holds story.md)"


def test_a_batch_shows_a_stories_own_error_rather_than_a_slug_clash(tmp_path: Path) -> None:
    good, broken = tmp_path / "good", tmp_path / "broken"
    for folder in (good, broken):
        make_photo(folder / "p.jpg", (64, 48))
        write_story(folder, "headline: Same\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                            "  - {id: p, file: p.jpg, caption: c, credit: d, alt: a}\n")
    (broken / "mediapack.toml").write_text("[video]\ncrf = 99\n", encoding="utf-8")
    proc = run_cli("build", str(good), str(broken), "--out", str(tmp_path / "out"), "--json")
    first, second = json.loads(proc.stdout)["stories"]
    assert first["ok"] and not second["ok"] and second["exit_code"] == 2
    assert "video.crf" in second["errors"][1]


def test_a_focus_on_audio_is_refused(tmp_path: Path) -> None:
    make_audio(tmp_path / "tone.m4a", seconds=0.5)
    write_story(tmp_path, "headline: H\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: tone, file: tone.m4a, caption: c, credit: d, focus: [0.5, 0.5]}\n")
    assert problems_of(tmp_path) == [(f"{tmp_path / 'story.md'}: media[tone].focus: is for photos and videos, "
                                     "and tone.m4a is audio (nothing to crop): take it out")]


def test_the_settings_give_the_story_its_publisher_uri_and_licence(tmp_path: Path) -> None:
    make_photo(tmp_path / "p.jpg", (64, 48))
    (tmp_path / "mediapack.toml").write_text("[publisher]\nname = 'Example News'\nurl = 'https://news.example.org'\n"
                                             "[manifest]\nuri_prefix = 'https://example.org/id/'\n"
                                             "[rights]\nlicense = 'https://example.org/licence'\n")
    write_story(tmp_path, "headline: H\nslug: hello\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: p, file: p.jpg, caption: c, credit: d, alt: a}\n")
    story = check_story(tmp_path, load_settings(tmp_path)).story
    assert (story.publisher.name, story.publisher.url, story.publisher.logo) == (
        "Example News", "https://news.example.org", None)
    assert story.uri == "https://example.org/id/hello"
    assert story.license == story.item("p").license == "https://example.org/licence"
    write_story(tmp_path, "headline: H\nslug: hello\nuri: urn:newsroom:own\npublished: 2026-06-20T09:30:00Z\n")
    assert check_story(tmp_path, load_settings(tmp_path)).story.uri == "urn:newsroom:own"  # the story's own wins


@pytest.mark.parametrize(("language", "warned"), [("pl", True), ("fa", False), ("pt-BR", False), ("en-GB", False)])
def test_a_language_without_labels_gets_english_ones_and_one_warning(tmp_path: Path, language: str,
                                                                     warned: bool) -> None:
    write_story(tmp_path, f"headline: H\npublished: 2026-06-20T09:30:00Z\nlanguage: {language}\n")
    expected = [(f"{tmp_path / 'story.md'}: language: mediapack has no labels in 'pl': the page's labels are "
                 "in English (set your own in mediapack.toml's [page.labels])")]
    assert warnings_of(tmp_path) == (expected if warned else [])


@pytest.mark.parametrize("label", ["By {names:d}", "By {names:>999999999}", "By {names!r}"])
def test_a_label_with_a_format_spec_in_the_story_folder_is_refused_by_check_and_build(tmp_path: Path,
                                                                                       label: str) -> None:
    story = write_story(tmp_path / "story", "headline: H\nbyline: [Ann, Bo]\npublished: 2026-06-20T09:30:00Z\n")
    (story / "mediapack.toml").write_text(f"[page.labels]\nby = {json.dumps(label)}\n", encoding="utf-8")
    said = f"error: {story / 'mediapack.toml'}: page.labels.by: placeholders take no format or conversion"
    for command in (("check", str(story)), ("build", str(story), "-o", str(tmp_path / "out"))):
        proc = run_cli(*command)
        assert proc.returncode == 2 and said in proc.stderr, proc.stderr
        assert "unexpected error" not in proc.stderr
    assert not (tmp_path / "out").exists()
