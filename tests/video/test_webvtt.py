"""Subtitles to clean WebVTT: timing, styling kept or escaped, legacy encodings, errors naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediapack.errors import InputError
from mediapack.video.webvtt import timestamp, write_webvtt


def test_timestamps_are_webvtt_clock_times() -> None:
    assert [timestamp(s) for s in (0, 1.5, 62.25, 3723.0004)] == [
        "00:00:00.000", "00:00:01.500", "00:01:02.250", "01:02:03.000"]


def test_srt_becomes_clean_webvtt(tmp_path: Path) -> None:
    srt = tmp_path / "subs.srt"
    srt.write_bytes(("\ufeff1\r\n00:00:00,000 --> 00:00:01,500\r\nHello <b>world</b> & friends\r\n"
                     "<script>alert(1)</script> {{ x }}\r\n\r\n"
                     "2\r\n00:00:01,500 --> 00:01:02,25 X1:10 Y1:20\r\n{\\an8}<font color=\"red\">Top</font> -->"
                     "\x07\r\n\r\n").encode("utf-8"))
    text = write_webvtt(srt, tmp_path / "captions.vtt", "en").read_text(encoding="utf-8")
    assert text == ("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello <b>world</b> &amp; friends\n"
                    "&lt;script&gt;alert(1)&lt;/script&gt; {{ x }}\n\n"
                    "00:00:01.500 --> 00:01:02.250\nTop --&gt;\n")


def test_vtt_passes_with_its_styling_and_without_notes(tmp_path: Path) -> None:
    vtt = tmp_path / "in.vtt"
    vtt.write_text("WEBVTT - English\nKind: captions\n\nNOTE made by hand\n\nSTYLE\n::cue { color: red }\n\n"
                   "intro\n00:01.000 --> 00:02.000 align:start line:0 bogus:<x>\n<v Ann Lee>Hi &amp; bye</v> "
                   "<c.yellow>look</c> <I>now</I>\n\n", encoding="utf-8")
    text = write_webvtt(vtt, tmp_path / "captions.vtt", "en").read_text(encoding="utf-8")
    assert text == ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000 align:start line:0\n"
                    "<v Ann Lee>Hi &amp; bye</v> <c.yellow>look</c> <i>now</i>\n")


@pytest.mark.parametrize(("language", "words", "code_page"), [
    ("fr", "Caf\u00e9 cr\u00e8me", "cp1252"),
    ("fa", "سلام بندر", "cp1256"),  # "ÓáÇã ÈäÏÑ" when read as Windows-1252
    ("ru", "Паром вернулся", "cp1251"),
    ("he", "המעבורת חזרה", "cp1255"),
])
def test_subtitles_in_their_languages_old_code_page_are_read(tmp_path: Path, language: str, words: str,
                                                             code_page: str) -> None:
    srt = tmp_path / "old.srt"
    srt.write_bytes(f"1\n00:00:00,000 --> 00:00:01,000\n{words}\n".encode(code_page))
    assert words in write_webvtt(srt, tmp_path / "c.vtt", language).read_text(encoding="utf-8")


@pytest.mark.parametrize("content,message", [
    ("1\n00:00:01,000 -> 00:00:02,000\nHi\n", r"bad\.srt: line 1: expected a cue timing"),
    ("1\n00:00:03,000 --> 00:00:02,000\nHi\n", r"bad\.srt: line 2: cue ends before it starts"),
    ("1\n00:00:xx,000 --> 00:00:02,000\nHi\n", r"bad\.srt: line 2: cannot read the cue timing"),
    ("", r"bad\.srt: no subtitle cues found"),
])
def test_broken_subtitles_name_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.srt").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        write_webvtt(tmp_path / "bad.srt", tmp_path / "c.vtt", "en")
    assert not list(tmp_path.glob("c.vtt*"))


def test_persian_subtitles_keep_their_half_spaces_and_direction_marks(tmp_path: Path) -> None:
    srt = tmp_path / "ferry.fa.srt"
    cue = "\u200fمی\u200cخواهم با «AFP» صحبت کنم."  # RLM first: a line that starts with a Latin word stays rtl
    srt.write_text(f"1\n00:00:00,000 --> 00:00:01,000\n{cue}\n\n", encoding="utf-8")
    text = write_webvtt(srt, tmp_path / "captions.vtt", "fa").read_text(encoding="utf-8")
    assert text == f"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{cue}\n"
