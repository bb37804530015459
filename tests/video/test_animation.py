"""Animated GIF, WebP and PNG: still renditions of the first frame and a silent looping H.264 MP4."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image

from conftest import run_cli, write_story
from mediapack.model import PHOTO, MediaInfo
from mediapack.probe import probe_file
from mediapack.video.animation import animation_plan

RED, BLUE, GREEN = (220, 30, 30), (20, 40, 220), (30, 200, 60)


def animation(path: Path, fmt: str, colours=(RED, BLUE, GREEN), delays=(400, 200, 400)) -> Path:
    frames = [Image.new("RGB", (240, 160), colour) for colour in colours]
    frames[0].save(path, fmt, save_all=True, append_images=frames[1:], duration=list(delays), loop=0)
    return path


def decoded(path: Path) -> list[tuple[float, tuple[int, int, int]]]:
    """(time, colour at the centre) of every frame of a video."""
    with av.open(str(path)) as container:
        assert not container.streams.audio, "an animation is silent"
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        return [(float(frame.time), frame.to_image().getpixel((120, 80))) for frame in container.decode(stream)]


def near(a, b, tolerance=30) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_the_plan_keeps_each_frame_on_screen_for_its_delay() -> None:
    info = MediaInfo(path=Path("a.gif"), kind=PHOTO, format="GIF", width=301, height=201)
    size, fps, shown = animation_plan(info, [100, 100, 200, 50])
    assert size == (300, 200) and fps == 20
    assert shown == [0, 0, 1, 1, 2, 2, 2, 2, 3]


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "loop.gif"), ("PNG", "loop.png"), ("WEBP", "loop.webp")])
def test_an_animation_becomes_stills_of_its_first_frame_and_a_looping_video(tmp_path: Path, fmt: str,
                                                                             name: str) -> None:
    story = tmp_path / "story"
    source = animation(story / name, fmt) if story.mkdir() is None else None
    info = probe_file(source)
    assert (info.kind, info.frames, info.duration) == (PHOTO, 3, pytest.approx(1.0))
    write_story(story, f"headline: Loop\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                       f"  - {{id: loop, file: {name}, caption: c, credit: d, alt: a}}\n")
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "out" / "loop" / "media" / "loop"
    with Image.open(folder / "thumb.jpg") as still:
        assert near(still.convert("RGB").getpixel((120, 80)), RED)
    frames = decoded(folder / "animation.mp4")
    assert frames[-1][0] + 1 / 5 == pytest.approx(1.0, abs=0.01)  # 5 frames a second: the shortest delay
    colour_at = {round(t, 2): colour for t, colour in frames}
    assert near(colour_at[0.0], RED) and near(colour_at[0.2], RED)
    assert near(colour_at[0.4], BLUE)
    assert near(colour_at[0.6], GREEN) and near(colour_at[0.8], GREEN)
    page = (tmp_path / "out" / "loop" / "index.html").read_text(encoding="utf-8")
    assert ('<video class="animation" autoplay muted loop playsinline preload="auto" '
            'poster="media/loop/thumb.jpg"') in page
    assert ('<source src="media/loop/animation.mp4" type="video/mp4" '
            'media="(prefers-reduced-motion: no-preference)">') in page
    assert "prefers-reduced-motion: reduce" in page
