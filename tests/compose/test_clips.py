"""The windows the social cuts take of a video: around a person's focus, even-sized, inside the frame."""

from __future__ import annotations

from pathlib import Path

from mediapack.compose.clips import focus_box
from mediapack.compose.specs import social_spec
from mediapack.model import MediaItem
from mediapack.settings import Settings


def test_a_focus_centres_the_window_as_far_as_the_frame_allows():
    assert focus_box((1280, 720), 9 / 16, (0.25, 0.5)) == (118, 0, 404, 720)  # 320 - 202, even
    assert focus_box((1280, 720), 9 / 16, (1.0, 0.5)) == (876, 0, 404, 720)  # pushed against the right edge
    assert focus_box((1280, 720), 1.0, (0.1, 0.9)) == (0, 0, 720, 720)
    assert focus_box((720, 1280), 1.0, (0.5, 0.8)) == (0, 560, 720, 720)  # 1024 - 360 = 664, kept inside: 560


def test_the_social_cuts_key_holds_the_focus(ff, tmp_path):
    specs = [social_spec(MediaItem("v", Path("v.mp4"), focus=focus), tmp_path, Settings(), ff)
             for focus in (None, (0.25, 0.5))]
    assert specs[0] != specs[1]
