"""One-line text from hostile input: what a terminal line and a file keep."""

from __future__ import annotations

from datetime import UTC, datetime

from mediapack.errors import shown, single_line

HOSTILE = "Vidéo\u00a0: Ann\n\tand \u202eBo\u202c\x00 \u202f!"


def test_a_terminal_line_folds_every_space_and_drops_bidi_controls() -> None:
    assert single_line(HOSTILE) == "Vidéo : Ann and Bo !"


def test_text_for_a_file_keeps_bidi_controls_and_no_break_spaces() -> None:
    assert single_line(HOSTILE, None, keep_bidi=True) == "Vidéo\u00a0: Ann and \u202eBo\u202c \u202f!"


def test_a_limit_ends_the_line_with_an_ellipsis() -> None:
    assert single_line("a" * 10, 5) == "aaaa…"


def test_values_are_shown_as_yaml_and_toml_write_them() -> None:
    assert shown([True, False, None]) == "[true, false, null]"
    assert shown(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)) == "9999-12-31T23:59:59+00:00"
    assert "..." in shown("x" * 200) and len(shown("x" * 200)) < 70  # a long value is cut in the middle
