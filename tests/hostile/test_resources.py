"""Hostile resource use: ffmpeg runs time out and die with their children; bombs stay small; limits hold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_inputs import forged_png, text_bomb

from conftest import make_video, run_cli, write_story
from fake_processes import HANGING_FFMPEG, fake_ffmpeg, wait_until_gone
from mediapack.config import load_settings
from mediapack.errors import ConfigError


def video_story(folder: Path) -> Path:
    make_video(folder / "clip.mp4", seconds=1.0, size=(64, 48), audio=False)
    return write_story(folder, "headline: Hang\nmedia:\n  - {id: clip, file: clip.mp4, caption: c, credit: c}\n")


def test_a_hanging_ffmpeg_times_out_and_dies_with_its_children(tmp_path: Path) -> None:
    story = video_story(tmp_path / "story")
    # The story's own mediapack.toml may lower a limit (not raise it).
    (story / "mediapack.toml").write_text("[ffmpeg]\ntimeout = 1\ntimeout_per_second = 0\n", encoding="utf-8")
    pids, out = tmp_path / "pids", tmp_path / "out"
    proc = run_cli("build", str(story), "--out", str(out), "--no-cache",
                   env={"MEDIAPACK_FFMPEG": str(fake_ffmpeg(tmp_path / "bin", HANGING_FFMPEG)),
                        "PIDS_FILE": str(pids)})
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"error: {story / 'clip.mp4'}: ffmpeg timed out after 1 s"]
    assert all(wait_until_gone(int(pid)) for pid in pids.read_text(encoding="utf-8").split())
    assert os.listdir(out) == []


def test_cancelling_a_build_kills_ffmpeg_and_its_children(tmp_path: Path) -> None:
    story = video_story(tmp_path / "story")
    pids, out = tmp_path / "pids", tmp_path / "out"
    env = {**os.environ, "MEDIAPACK_FFMPEG": str(fake_ffmpeg(tmp_path / "bin", HANGING_FFMPEG)),
           "PIDS_FILE": str(pids)}
    proc = subprocess.Popen([sys.executable, "-m", "mediapack", "build", str(story), "--out", str(out), "--no-cache"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for _ in range(2400):  # polled, not timed: wait (up to 2 minutes) until the fake ffmpeg runs
        if pids.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert pids.exists(), "the fake ffmpeg never started"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM and "interrupted" in err and "Traceback" not in err
    assert all(wait_until_gone(int(pid)) for pid in pids.read_text(encoding="utf-8").split())
    assert os.listdir(out) == []


def test_a_story_config_cannot_pick_the_program_raise_limits_or_switch_timeouts_off(tmp_path: Path) -> None:
    story = video_story(tmp_path / "story")
    marker, evil = tmp_path / "ran", story / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch '{marker}'\n", encoding="utf-8")
    evil.chmod(0o755)
    (story / "mediapack.toml").write_text(
        f"[ffmpeg]\npath = {str(evil)!r}\ntimeout = 1e9\ntimeout_per_second = nan\n"
        "[photos]\nmax_pixels = 1_000_000_000\n[video]\nmax_duration = inf\nmax_bytes = 0\n", encoding="utf-8")
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert not marker.exists() and not (tmp_path / "out").exists()
    toml = story / "mediapack.toml"
    for line in (f"{toml}: ffmpeg.path: cannot be set in the story folder's own mediapack.toml",
                 f"{toml}: ffmpeg.timeout: cannot be raised above 600 in the story folder's own mediapack.toml",
                 f"{toml}: ffmpeg.timeout_per_second: must be a finite number, not nan",
                 f"{toml}: photos.max_pixels: cannot be raised above 100000000",
                 f"{toml}: video.max_duration: must be a finite number, not inf",
                 f"{toml}: video.max_bytes: must be more than 0"):
        assert line in proc.stderr, line


def test_a_newsroom_config_above_the_story_may_set_the_program_and_raise_limits(tmp_path: Path) -> None:
    story = tmp_path / "desk" / "story"
    story.mkdir(parents=True)
    (tmp_path / "desk" / "mediapack.toml").write_text(
        '[ffmpeg]\npath = "/opt/ffmpeg/bin/ffmpeg"\ntimeout = 7200\n[video]\nmax_duration = 36000\n', encoding="utf-8")
    (story / "mediapack.toml").write_text("[video]\nmax_duration = 600\n", encoding="utf-8")  # lower: fine
    settings = load_settings(story)
    assert (settings.ffmpeg.path, settings.ffmpeg.timeout, settings.video.max_duration) == (
        "/opt/ffmpeg/bin/ffmpeg", 7200.0, 600.0)
    (story / "mediapack.toml").write_text('[ffmpeg]\ntimeout = 9000\npath = "ffmpeg"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="configuration"):
        load_settings(story)
    # A folder that holds no story (where `mediapack doctor` runs) is the operator's own.
    assert load_settings(story, is_story=False).ffmpeg.timeout == 9000.0


def alias_bomb(levels: int = 9) -> str:
    """YAML whose ``published``, ``seconds_per_photo`` and ``formats`` each hold 9**10 strings, in a dozen lines."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    bomb = f"*a{levels}"
    compose = f"compose: {{slideshow: true, seconds_per_photo: {bomb}, formats: {bomb}}}"
    return "\n".join(lines) + f"\npublished: {bomb}\n{compose}"


def test_a_yaml_alias_bomb_is_refused_without_being_expanded(tmp_path: Path) -> None:
    write_story(tmp_path, "headline: Lots of lol\n" + alias_bomb())
    proc = subprocess.run([sys.executable, "-m", "mediapack", "check", str(tmp_path)], check=False,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    problems = [line for line in proc.stderr.splitlines() if "warning" not in line]
    assert len(problems) == 4 and all(len(line) < 400 for line in problems), problems
    assert "published: not an ISO 8601 date-time" in problems[1]
    assert "compose.seconds_per_photo: must be from 1 to 60 seconds" in problems[2]
    assert "compose.formats: must be a list drawn from" in problems[3]


def test_decompression_bombs_are_refused_in_little_memory(tmp_path: Path) -> None:
    forged_png(tmp_path / "pixels.png", 30000, 30000)  # 900 megapixels: 2.7 GB once decoded
    forged_png(tmp_path / "ztxt.png", 8, 8, text_bomb(b"zTXt", 1024))  # 1 GB of text
    forged_png(tmp_path / "itxt.png", 8, 8, text_bomb(b"iTXt", 1024))
    media = "".join(f"  - {{id: {name}, file: {name}.png, caption: c, credit: c, alt: a}}\n"
                    for name in ("pixels", "ztxt", "itxt"))
    write_story(tmp_path, "headline: Bombs\n" + alias_bomb() + "\nmedia:\n" + media)
    measure = ("import resource, subprocess, sys; proc = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
               "print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
               "print(proc.stderr, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "mediapack", "check", str(tmp_path)],
                          check=False, capture_output=True, text=True, timeout=120)
    code, peak_kb = map(int, proc.stdout.split())
    assert code == 1 and "Traceback" not in proc.stderr, proc.stderr
    for name in ("pixels", "ztxt", "itxt"):
        assert f"  media[{name}]: {tmp_path / name}.png: " in proc.stderr, name
    assert peak_kb < 400_000, f"peak memory {peak_kb} KB"
