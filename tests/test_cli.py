"""The command line as a user meets it: exit codes, messages, --json, and no tracebacks."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_photo, make_video, run_cli, write_story


def test_help_teaches_the_commands() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    for command in ("build", "check", "verify", "probe", "init", "doctor"):
        assert command in proc.stdout
    build_help = run_cli("build", "--help").stdout
    assert "--base-url" in build_help and "--json" in build_help and "--no-cache" in build_help
    assert "  mediapack build stories/*/ --out dist --base-url" in build_help  # an example, kept unwrapped
    assert "Exit codes: 0 all built; 1 a story has a problem or failed" in build_help


def test_check_reports_missing_file_missing_caption_and_bad_date_at_once(tmp_path: Path) -> None:
    make_photo(tmp_path / "a.jpg", (64, 48))
    write_story(tmp_path, """
        headline: Three problems
        published: 20 June
        media:
          - {id: gone, file: missing.jpg, caption: x, credit: y, alt: z}
          - {id: here, file: a.jpg, credit: y, alt: z}
        """)
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 1
    assert "missing.jpg" in proc.stderr and "file not found" in proc.stderr
    assert "published" in proc.stderr and "20 June" in proc.stderr
    assert "media[here].caption" in proc.stderr
    assert not (tmp_path / "dist").exists()


def test_check_passes_a_good_story(tiny_story: Path) -> None:
    proc = run_cli("check", str(tiny_story))
    assert proc.returncode == 0, proc.stderr
    assert "ok:" in proc.stderr


def test_strict_turns_a_missing_credit_into_an_error(tmp_path: Path) -> None:
    make_photo(tmp_path / "a.jpg", (64, 48))
    write_story(tmp_path, "headline: x\nmedia:\n  - {id: a, file: a.jpg, caption: c, alt: t}\n")
    assert run_cli("check", str(tmp_path)).returncode == 0
    proc = run_cli("check", "--strict", str(tmp_path))
    assert proc.returncode == 1 and "media[a].credit" in proc.stderr


def test_a_text_file_posing_as_video_is_refused_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_text("this is not a video\n")
    write_story(tmp_path, "headline: x\nmedia:\n  - {id: clip, file: clip.mp4, caption: c, credit: d}\n")
    proc = run_cli("build", str(tmp_path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "clip.mp4" in errors[0]
    assert not (tmp_path / "out" / "x").exists()


def test_bad_config_exits_2_naming_the_key(tiny_story: Path) -> None:
    (tiny_story / "mediapack.toml").write_text("[video]\ncrf = 'best'\n")
    proc = run_cli("check", str(tiny_story))
    assert proc.returncode == 2 and "video.crf" in proc.stderr


def test_base_url_must_be_http(tiny_story: Path, tmp_path: Path) -> None:
    proc = run_cli("build", str(tiny_story), "--out", str(tmp_path / "o"), "--base-url", "javascript:alert(1)")
    assert proc.returncode == 2 and "--base-url" in proc.stderr


def test_doctor_shows_ffmpeg_and_encoders() -> None:
    proc = run_cli("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ffmpeg" in proc.stdout and "version" in proc.stdout
    assert "libx264" in proc.stdout and "aac" in proc.stdout


def test_doctor_exits_3_when_ffmpeg_is_missing(tmp_path: Path) -> None:
    proc = run_cli("doctor", env={"MEDIAPACK_FFMPEG": str(tmp_path / "no-ffmpeg")})
    assert proc.returncode == 3
    assert "no-ffmpeg" in proc.stdout + proc.stderr


def test_check_refuses_a_video_story_when_ffmpeg_is_broken_as_build_does(tiny_story: Path) -> None:
    broken = {"MEDIAPACK_FFMPEG": "/bin/true"}  # runs, exits 0, prints nothing
    check = run_cli("check", str(tiny_story), env=broken)
    build = run_cli("build", str(tiny_story), "--out", str(tiny_story.parent / "out"), env=broken)
    assert check.returncode == build.returncode == 3
    assert "/bin/true: not a working ffmpeg (from MEDIAPACK_FFMPEG; exit 0): it printed no 'ffmpeg version' line" \
        in check.stderr
    doctor = run_cli("doctor", env=broken)
    assert doctor.returncode == 3 and "exit 0): it printed no 'ffmpeg version' line" in doctor.stdout


def test_init_scaffolds_and_refuses_to_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "new-story"
    proc = run_cli("init", str(folder))
    assert proc.returncode == 0
    assert (folder / "story.md").is_file() and (folder / "photos").is_dir()
    check = run_cli("check", str(folder))
    assert check.returncode == 0  # a scaffold is a valid story, but check says what is still to write
    assert [line.split(": ", 3)[-1] for line in check.stderr.splitlines() if line.startswith("warning:")] == [
        "still the placeholder `mediapack init` wrote: write the story's own"] * 2
    again = run_cli("init", str(folder))
    assert again.returncode == 1 and "already exists" in again.stderr


def test_probe_shows_size_duration_and_caption(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "-odd name.mp4", seconds=1.0, size=(160, 120))
    photo = make_photo(tmp_path / "p.jpg", (120, 80))
    proc = run_cli("probe", "--json", str(clip), str(photo))
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found[0]["kind"] == "video" and found[0]["width"] == 160 and found[0]["height"] == 120
    assert abs(found[0]["duration"] - 1.0) < 0.2
    assert found[1]["kind"] == "photo" and found[1]["width"] == 120
    missing = run_cli("probe", str(tmp_path / "nope.mp4"))
    assert missing.returncode == 1 and "nope.mp4" in missing.stderr
    both = run_cli("probe", "--json", str(photo), str(tmp_path / "nope.mp4"))
    assert both.returncode == 1
    assert json.loads(both.stdout)[1] == {"file": str(tmp_path / "nope.mp4"),
                                          "error": f"{tmp_path / 'nope.mp4'}: file not found"}
    text = run_cli("probe", str(clip)).stdout.splitlines()
    assert "  streams:" in text and "    index 0, type video, codec h264, default yes" in text
    assert not [line for line in text if "{" in line or "False" in line]  # no Python reprs


def test_verify_of_a_missing_path(tmp_path: Path) -> None:
    proc = run_cli("verify", str(tmp_path / "nothing"))
    assert proc.returncode == 1 and "not found" in proc.stderr


def photo_story(folder: Path, headline: str) -> Path:
    make_photo(folder / "p.jpg", (480, 360))
    return write_story(folder, f"headline: {headline}\nmedia:\n  - {{id: p, file: p.jpg, caption: c, credit: d, "
                       "alt: a}\n")


def test_a_batch_builds_the_good_stories_and_reports_the_bad_one(tmp_path: Path) -> None:
    good = photo_story(tmp_path / "stories" / "a-good", "First good")
    bad = write_story(tmp_path / "stories" / "b-bad", "headline: Bad\nmedia:\n  - {id: p, file: gone.jpg}\n")
    clip = make_video(tmp_path / "stories" / "c-good" / "v.mp4", seconds=1.0, size=(160, 120))
    other = write_story(clip.parent, "headline: Second good\nmedia:\n  - {id: v, file: v.mp4, caption: c, credit: d}\n")
    out = tmp_path / "dist"
    proc = run_cli("build", str(good), str(bad), str(other), "--out", str(out), "--jobs", "2", "--json")
    assert proc.returncode == 1
    summary = json.loads(proc.stdout)
    assert summary["ok"] is False and summary["exit_code"] == 1
    assert [(s["story"], s["ok"]) for s in summary["stories"]] == [(str(good), True), (str(bad), False),
                                                                   (str(other), True)]
    assert any("gone.jpg" in line for line in summary["stories"][1]["errors"])
    assert sorted(p.name for p in out.iterdir() if p.name != ".mediapack") == ["_headers", "first-good", "second-good"]
    for story in (summary["stories"][0], summary["stories"][2]):
        assert (Path(story["output"]) / "index.html").is_file() and story["built"] > 0
    assert "gone.jpg" in proc.stderr and "built first-good" in proc.stderr
    assert proc.stderr.count("share cards need --base-url") == 1  # once for the run, not per story
    assert [w for w in summary["warnings"] if "share cards need --base-url" in w]
    assert "\x1b[" not in proc.stderr, "no escape codes when stderr is not a terminal"


def test_a_config_error_in_one_story_gives_the_batch_exit_2(tmp_path: Path) -> None:
    good = photo_story(tmp_path / "good", "Fine")
    broken = photo_story(tmp_path / "broken", "Broken")
    (broken / "mediapack.toml").write_text("[photos]\njpeg_quality = 'high'\n")
    proc = run_cli("build", str(broken), str(good), "--out", str(tmp_path / "dist"), "--json")
    assert proc.returncode == 2
    stories = json.loads(proc.stdout)["stories"]
    assert [s["exit_code"] for s in stories] == [2, 0]
    assert (tmp_path / "dist" / "fine" / "index.html").is_file()


def test_json_usage_errors_still_print_one_object(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "s", "S")
    proc = run_cli("build", str(story), "--json", "--base-url", "ftp://x", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    summary = json.loads(proc.stdout)
    assert summary["exit_code"] == 2 and "--base-url" in summary["errors"][0]
    assert "--base-url" in proc.stderr


def test_build_help_lists_the_ci_options() -> None:
    text = run_cli("build", "--help").stdout
    for option in ("--jobs", "--cache", "--lock-timeout", "MEDIAPACK_CACHE"):
        assert option in text, option


def test_two_stories_with_one_slug_are_both_refused_before_anything_is_written(tmp_path: Path) -> None:
    first = photo_story(tmp_path / "one", "Same headline")
    second = photo_story(tmp_path / "two", "Same headline")
    third = photo_story(tmp_path / "three", "Another headline")
    proc = run_cli("build", str(first), str(second), str(third), "--out", str(tmp_path / "dist"), "--json")
    assert proc.returncode == 1
    stories = json.loads(proc.stdout)["stories"]
    assert [s["ok"] for s in stories] == [False, False, True]
    assert "same-headline" in stories[0]["errors"][0] and str(second) in stories[0]["errors"][0]
    assert "same-headline" in stories[1]["errors"][0] and str(first) in stories[1]["errors"][0]
    assert not (tmp_path / "dist" / "same-headline").exists()
    assert (tmp_path / "dist" / "another-headline" / "index.html").is_file()


# --- the rough edges a new user meets ------------------------------------------------------------

def test_build_and_check_take_the_story_md_file_for_its_folder(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "story", "From the file")
    assert run_cli("check", str(story / "story.md")).returncode == 0
    proc = run_cli("build", str(story / "story.md"), "--out", str(tmp_path / "dist"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "dist" / "from-the-file" / "index.html").is_file()


def test_init_into_a_folder_it_cannot_write_is_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    proc = run_cli("init", str(blocked / "story"))
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1 and "cannot create the story there" in proc.stderr


def test_verify_names_the_output_with_each_problem(tmp_path: Path) -> None:
    story = tmp_path / "story"
    make_photo(story / "a.jpg", (64, 48))
    write_story(story, "headline: Checked\npublished: 2026-06-20T09:30:00Z\n"
                       "media:\n  - {id: a, file: a.jpg, caption: A, credit: B, alt: C}\n")
    assert run_cli("build", str(story), "--out", str(tmp_path / "out"), "--no-cache").returncode == 0
    root = tmp_path / "out" / "checked"
    (root / "article.txt").write_text("changed", encoding="utf-8")
    proc = run_cli("verify", str(root))
    assert proc.returncode == 4
    assert proc.stderr.strip() == f"error: {root}: article.txt: checksum mismatch"
    (root / "embed.html").write_text("changed", encoding="utf-8")
    lines = run_cli("verify", str(root)).stderr.strip().splitlines()
    assert lines == [f"error: {root}: verification failed (2 problem(s))", f"  {root}: article.txt: checksum mismatch",
                     f"  {root}: embed.html: checksum mismatch"]


def test_a_base_url_in_another_script_is_written_as_links_need_it(tmp_path: Path) -> None:
    story = tmp_path / "story"
    make_photo(story / "a.jpg", (64, 48))
    write_story(story, "headline: Linked\npublished: 2026-06-20T09:30:00Z\n"
                       "media:\n  - {id: a, file: a.jpg, caption: A, credit: B, alt: C}\n")
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"), "--no-cache",
                   "--base-url", "https://média.example.org/städte")
    assert proc.returncode == 0, proc.stderr
    ascii_base = "https://xn--mdia-bpa.example.org/st%C3%A4dte/linked/"
    page = (tmp_path / "out" / "linked" / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{ascii_base}">' in page and "média" not in page.split("<body")[0]
    feed = (tmp_path / "out" / "feed.xml").read_text(encoding="utf-8")
    assert f"<link>{ascii_base}</link>" in feed and "städte" not in feed


def test_a_settings_file_among_the_stories_is_skipped_saying_so(tmp_path: Path) -> None:
    stories = tmp_path / "stories"
    make_photo(stories / "one" / "a.jpg", (64, 48))
    write_story(stories / "one", "headline: One\npublished: 2026-06-20T09:30:00Z\n"
                                 "media:\n  - {id: a, file: a.jpg, caption: A, credit: B, alt: C}\n")
    (stories / "mediapack.toml").write_text("[video]\ncrf = 26\n", encoding="utf-8")
    given = [str(p) for p in sorted(stories.iterdir())]  # what a shell makes of stories/*
    said = f"note: {stories / 'mediapack.toml'}: the settings of the stories beside it, not a story: skipped"
    check = run_cli("check", *given)
    assert check.returncode == 0 and said in check.stderr.splitlines()
    build = run_cli("build", *given, "--out", str(tmp_path / "out"), "--no-cache", "--json")
    assert build.returncode == 0 and said in build.stderr.splitlines()
    assert [story["slug"] for story in json.loads(build.stdout)["stories"]] == ["one"]
    alone = run_cli("build", str(stories / "mediapack.toml"), "--json")
    assert alone.returncode == 2 and json.loads(alone.stdout)["ok"] is False


def test_verify_of_something_that_is_no_output_exits_1_saying_so(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# hello\n", encoding="utf-8")
    proc = run_cli("verify", str(readme))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {readme}: neither an output folder nor a package zip"
    proc = run_cli("verify", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {tmp_path}: not an output folder of mediapack (it holds no SHA256SUMS)"


@pytest.mark.parametrize(("url", "said"), [
    ("https://", "must name a host"),
    ("https://media.example.org/stories?x=1", "must not hold a query (?) or a fragment (#)"),
    ("https://media.example.org/stories#top", "must not hold a query (?) or a fragment (#)"),
    ("https://media.example.org/my stories", "must not hold spaces"),
    ("ftp://media.example.org/", "must start with https:// or http://"),
    ("https://user:secret@media.example.org/", "must not hold a user name or password"),
    ("https://media.example.org:port/", "has a port that is not a number"),
    ("https://media.example.org:99999/", "has a port that is not a number from 1 to 65535"),
    ("https://.org/", "names no valid host ('.org')"),
    ("https://-bad-.org/", "names no valid host"),
    ("https://media.example.org/%zz", "has a '%' that is not an escape like %20"),
    ('https://media.example.org/"x"', "must not hold '\"'"),
])
def test_a_base_url_that_would_make_broken_links_is_refused(tiny_story: Path, tmp_path: Path, url: str,
                                                             said: str) -> None:
    proc = run_cli("build", str(tiny_story), "--out", str(tmp_path / "dist"), "--base-url", url, "--json")
    assert proc.returncode == 2
    assert said in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert json.loads(proc.stdout)["exit_code"] == 2
    assert not (tmp_path / "dist").exists()


def test_an_unwritable_cache_warns_and_the_build_goes_on(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "story", "Cacheless")
    (tmp_path / "not-a-folder").write_text("x", encoding="utf-8")
    proc = run_cli("build", str(story), "--out", str(tmp_path / "dist"), "--cache",
                   str(tmp_path / "not-a-folder" / "cache"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "building without the cache" in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["ok"] and any("building without the cache" in w for w in summary["warnings"])


def test_the_share_card_note_is_no_warning_strict_fails_on(tmp_path: Path) -> None:
    make_photo(tmp_path / "story" / "p.jpg", (480, 360))
    story = write_story(tmp_path / "story", "headline: Shared\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                        "  - {id: p, file: p.jpg, caption: c, credit: d, alt: a}\n")
    hosted = run_cli("build", str(story), "--out", str(tmp_path / "a"), "--strict", "--base-url", "https://x.org/s")
    local = run_cli("build", str(story), "--out", str(tmp_path / "b"), "--strict")
    assert hosted.returncode == local.returncode == 0, hosted.stderr + local.stderr
    assert "share cards" not in hosted.stderr
    assert local.stderr.count("note: share cards need --base-url") == 1


def test_every_story_entry_in_json_has_the_same_keys(tmp_path: Path) -> None:
    good = photo_story(tmp_path / "good", "Good")
    bad = write_story(tmp_path / "bad", "headline: Bad\nmedia:\n  - {id: p, file: gone.jpg}\n")
    proc = run_cli("build", str(good), str(bad), "--out", str(tmp_path / "dist"), "--json")
    first, second = json.loads(proc.stdout)["stories"]
    assert first.keys() == second.keys()
    assert second["slug"] == "bad" and second["output"] is None and second["packages"] == []
    assert second["warnings"] and second["errors"]


def test_verbose_works_after_the_command_and_logs_only_mediapack(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "story" / "v.mp4", seconds=1.0, size=(160, 120))
    story = write_story(clip.parent, "headline: Loud\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                                     "  - {id: v, file: v.mp4, caption: c, credit: d}\n")
    after = run_cli("build", str(story), "--out", str(tmp_path / "a"), "--no-cache", "-v")
    before = run_cli("-v", "build", str(story), "--out", str(tmp_path / "b"), "--no-cache")
    for proc in (after, before):
        assert proc.returncode == 0, proc.stderr
        logged = [line for line in proc.stderr.splitlines() if line.startswith("DEBUG ")]
        assert any("mediapack.ffmpeg: running" in line for line in logged)
        assert all(line.startswith("DEBUG mediapack.") for line in logged), set(logged) - {
            line for line in logged if line.startswith("DEBUG mediapack.")}
        assert len(logged) < 100


def test_an_interrupted_batch_lists_the_stories_that_finished(tmp_path: Path) -> None:
    done = photo_story(tmp_path / "a-done", "Done first")
    slow = make_video(tmp_path / "b-slow" / "v.mp4", seconds=30.0, size=(1280, 720))
    write_story(slow.parent, "headline: Slow\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                             "  - {id: v, file: v.mp4, caption: c, credit: d}\n")
    out = tmp_path / "dist"
    proc = subprocess.Popen([sys.executable, "-m", "mediapack", "build", str(done), str(slow.parent), "--out",
                             str(out), "--json", "--no-cache"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    for _ in range(600):  # the first story is built, the second is encoding
        if list(out.glob(".slow.building-*")) and (out / "done-first").is_dir():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    summary = json.loads(stdout)
    assert summary["interrupted"] and summary["exit_code"] == 143
    first, second = summary["stories"]
    assert first["ok"] and first["slug"] == "done-first"
    assert not second["ok"] and second["exit_code"] == 143 and first.keys() == second.keys()
