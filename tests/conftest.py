"""Shared fixtures: tiny media generated on the fly (independent of the code under test), the located ffmpeg."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from mediapack.ffmpeg import FFmpeg, locate_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg for fixture generation; fail the test loudly if it fails."""
    proc = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                          check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m mediapack`` the way a user would, capturing both streams."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "mediapack", *args], check=False, capture_output=True,
                          text=True,
                          cwd=cwd, env=full_env, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def make_video(path: Path, seconds: float = 2.0, size: tuple[int, int] = (320, 240), fps: int = 25,
               audio: bool = True, extra: tuple[str, ...] = ()) -> Path:
    """Write a short test-pattern clip (H.264, optional sine audio) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate={fps}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    run_ffmpeg(*args, *extra, str(path))
    return path


def make_audio(path: Path, seconds: float = 2.0) -> Path:
    """Write a short sine tone to ``path`` (codec chosen by extension)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg("-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=44100:duration={seconds}", str(path))
    return path


def make_photo(path: Path, size: tuple[int, int] = (800, 600), fmt: str | None = None, **save) -> Path:
    """Write a photo-like test image with some structure (gradient, shapes) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    img = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.rectangle([w // 8, h // 8, w // 3, h // 2], fill=(200, 40, 40))
    draw.ellipse([w // 2, h // 3, w - w // 8, h - h // 8], fill=(30, 90, 200))
    img.save(path, fmt, **save)
    return path


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute RGB difference of two pictures of the same size (0 same .. 255 opposite)."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def write_story(folder: Path, front_matter: str, body: str = "Some text.\n") -> Path:
    """Write story.md with the given YAML front matter (dedented) and body."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "---\n" + textwrap.dedent(front_matter).strip() + "\n---\n" + body
    (folder / "story.md").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def ff() -> FFmpeg:
    """The ffmpeg mediapack finds, located once per module."""
    return locate_ffmpeg()


@pytest.fixture
def tiny_story(tmp_path: Path) -> Path:
    """A complete small story: two photos, one 2 s 320x240 video with subtitles."""
    return make_tiny_story(tmp_path / "tiny-story")


SLUG = "tiny-story-test"  # what the tiny story's headline slugifies to


def make_tiny_story(folder: Path) -> Path:
    """Write the tiny story (see ``tiny_story``) into ``folder``."""
    make_photo(folder / "photos" / "one.jpg", (800, 600))
    make_photo(folder / "photos" / "two.png", (400, 500))
    make_video(folder / "video" / "clip.mp4", seconds=2.0)
    (folder / "video" / "clip.srt").write_text(
        "1\n00:00:00,000 --> 00:00:01,500\nHello <b>world</b> & friends\n\n", encoding="utf-8")
    write_story(folder, """
        headline: "Tiny <story> & test"
        standfirst: A small story for tests.
        byline: [Ann Writer, Bo Reporter]
        section: Tests
        published: 2026-06-20T09:30:00Z
        updated: 2026-06-20T12:00:00Z
        copyright: "© 2026 Example News"
        media:
          - id: one
            file: photos/one.jpg
            caption: "First <em>photo</em>"
            credit: "Ann Writer/Example"
            alt: A gradient with shapes
          - id: two
            file: photos/two.png
            caption: Second photo
            credit: Bo Reporter
            alt: Another gradient
          - id: clip
            file: video/clip.mp4
            caption: A test clip
            credit: Example Video
            subtitles: video/clip.srt
        """, body="First paragraph.\n\n![[one]]\n\nSecond paragraph with **bold**.\n\n![[clip]]\n")
    return folder


def parse_headers(text: str) -> dict[str, dict[str, str]]:
    """Read a _headers file the way Netlify and Cloudflare Pages do: a path, then indented headers."""
    rules: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            assert line.startswith("/") and line not in rules, line
            current = rules[line] = {}
        else:
            name, _, value = line.strip().partition(": ")
            assert current is not None and value and name not in current, line
            current[name] = value
    return rules
