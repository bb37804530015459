"""Subtitles burned into the social cuts: overlapping cues are stacked, the later below, never drawn over each other."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import run_ffmpeg
from mediapack.compose.social import make_social_cuts
from mediapack.model import BuiltMedia, MediaItem
from mediapack.probe import probe_file
from mediapack.settings import Settings

GREY = 160
SETTINGS = replace(Settings(), video=replace(Settings().video, preset="ultrafast"))
# Capitals only (no descenders), so the lines of a stacked box stay apart; one short cue, one wide.
SHORT, WIDE = "HI", "MORE WORDS"
SRT = f"1\n00:00:00,000 --> 00:00:00,800\n{SHORT}\n\n2\n00:00:00,600 --> 00:00:01,400\n{WIDE}\n"


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray") for f in container.decode(container.streams.video[0])]


def _text_lines(frame: np.ndarray) -> list[tuple[int, int, int]]:
    """Return (first row, last row, width) of each run of rows holding white text, top to bottom."""
    bright = frame > 220  # the subtitle's white letters; the grey picture and the dark box are far below
    rows = np.flatnonzero(bright.any(axis=1))
    runs = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if rows.size else []
    lines = []
    for run in runs:
        columns = np.flatnonzero(bright[run[0]:run[-1] + 1].any(axis=0))
        lines.append((int(run[0]), int(run[-1]), int(columns[-1] - columns[0] + 1)))
    return lines


@pytest.fixture(scope="module")
def tall_cut(tmp_path_factory, ff) -> list[np.ndarray]:
    """The frames of the 9:16 cut of a flat grey 2 s clip whose two cues overlap from 0.6 s to 0.8 s."""
    folder = tmp_path_factory.mktemp("cues")
    run_ffmpeg("-f", "lavfi", "-i", f"color=c=0x{GREY:02x}{GREY:02x}{GREY:02x}:s=640x480:r=25:d=2",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(folder / "clip.mp4"))
    (folder / "clip.srt").write_text(SRT, encoding="utf-8")
    item = MediaItem("clip", Path("clip.mp4"), subtitles=Path("clip.srt"))  # no credit: only subtitles drawn
    built = BuiltMedia(item, probe_file(folder / "clip.mp4"), ())
    tall, _ = make_social_cuts(built, folder, folder / "out", SETTINGS, ff)
    return _frames(folder / "out" / tall.path)


def test_overlapping_cues_are_stacked_the_later_below(tall_cut) -> None:
    alone_short, both, alone_wide, after = (_text_lines(tall_cut[n]) for n in (5, 17, 30, 45))  # 25 fps
    # Outside the overlap each cue is shown alone, on one line: the short one, then the wide one.
    assert len(alone_short) == 1 and len(alone_wide) == 1
    (short_top, short_bottom, short_width), (wide_top, wide_bottom, wide_width) = *alone_short, *alone_wide
    assert short_width * 2 < wide_width
    # While they overlap both are shown, on separate lines: the earlier cue above, the later one below,
    # where it sits when shown alone (both alone lines sit on the same bottom line of the frame).
    assert len(both) == 2, f"overlapping cues drawn over each other: {both}"
    (upper_top, upper_bottom, upper_width), (lower_top, lower_bottom, lower_width) = both
    assert upper_bottom < lower_top
    assert abs(upper_width - short_width) <= 2 and abs(lower_width - wide_width) <= 2
    assert abs(lower_top - wide_top) <= 1 and abs(lower_bottom - wide_bottom) <= 1
    # The earlier cue is the same line of letters, moved up out of the later one's way.
    assert upper_bottom < short_top and abs((upper_bottom - upper_top) - (short_bottom - short_top)) <= 1
    assert after == []  # once both cues have ended nothing is drawn
