"""The spans of subtitle time a social cut draws: one set of cues each, overlapping cues together, earliest first."""

from __future__ import annotations

from mediapack.compose.drawn import cue_intervals


def test_cues_that_do_not_overlap_keep_their_own_times() -> None:
    cues = [(0.0, 1.0, "one"), (1.0, 2.0, "two"), (2.5, 3.0, "three")]
    assert cue_intervals(cues) == [(0.0, 1.0, ("one",)), (1.0, 2.0, ("two",)), (2.5, 3.0, ("three",))]


def test_overlapping_cues_are_shown_together_only_while_they_overlap() -> None:
    assert cue_intervals([(0.0, 1.2, "first"), (1.0, 2.4, "second")]) == [
        (0.0, 1.0, ("first",)), (1.0, 1.2, ("first", "second")), (1.2, 2.4, ("second",))]


def test_a_cue_inside_another_splits_it_and_the_earlier_start_comes_first() -> None:
    # In file order the inner cue comes first; on screen the cue that started earlier stays on top.
    cues = [(1.0, 2.0, "inner"), (0.0, 3.0, "outer"), (1.0, 1.5, "same start, later in the file")]
    assert cue_intervals(cues) == [
        (0.0, 1.0, ("outer",)),
        (1.0, 1.5, ("outer", "inner", "same start, later in the file")),
        (1.5, 2.0, ("outer", "inner")),
        (2.0, 3.0, ("outer",)),
    ]


def test_empty_and_backwards_cues_draw_nothing() -> None:
    assert cue_intervals([]) == []
    assert cue_intervals([(1.0, 1.0, "no time"), (2.0, 1.5, "backwards")]) == []
