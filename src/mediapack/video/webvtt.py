"""WebVTT files: subtitles (.srt or .vtt) read as cues and written as clean WebVTT; WebVTT timestamps."""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError, is_control, single_line
from ..files import write_atomic
from ..i18n import legacy_code_page

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(.*)$")
_SETTING = re.compile(r"(?:vertical|line|position|size|align):[\w.%,-]+$")
_TAG = re.compile(r"<[^<>]*>")
_SAFE_TAG = re.compile(r"</?(?:b|i|u|ruby|rt)>|</(?:c|v|lang)>|<c(?:\.[\w-]+)*>|<v(?:\.[\w-]+)*(?: [^<>&]+)?>"
                       r"|<lang [\w-]+>|<\d{2,}:\d{2}:\d{2}\.\d{3}>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|lrm|rlm|nbsp|#\d+|#x[0-9a-fA-F]+);)")
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")  # {\an8} and friends that SRT files borrow from ASS


def write_webvtt(subtitles: Path, dest: Path, language: str) -> Path:
    """Convert an .srt or .vtt file in ``language`` to clean UTF-8 WebVTT at ``dest``: dotted times, no ids, safe tags."""
    lines = ["WEBVTT", ""]
    for start, end, settings, body in read_subtitles(subtitles, language):
        lines += [f"{timestamp(start)} --> {timestamp(end)}{settings}", *body, ""]
    return write_atomic(dest, "\n".join(lines).encode("utf-8"))


def read_subtitles(subtitles: Path, language: str) -> list[tuple[float, float, str, list[str]]]:
    """Return (start, end, settings, clean WebVTT text lines) of each cue; InputError at the first problem."""
    cues, problems = parse_subtitles(subtitles, language)
    if problems:
        raise InputError(single_line(f"{subtitles}: {problems[0]}"))
    return cues


def parse_subtitles(subtitles: Path, language: str) -> tuple[list[tuple[float, float, str, list[str]]], list[str]]:
    """Read an .srt or .vtt file in ``language`` into its cues and every problem found in it (empty when good)."""
    try:
        raw = subtitles.read_bytes()
    except OSError as exc:
        return [], [f"cannot read subtitles: {exc.strerror or exc}"]
    cues: list[tuple[float, float, str, list[str]]] = []
    problems: list[str] = []
    line_no, block = 0, []
    text = raw.decode(text_encoding(raw, language), "replace").replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        if line.strip():
            line_no, block = line_no or number, [*block, line]
            continue
        if block and (problem := _add_cue(line_no, block, cues)):
            problems.append(problem)
        line_no, block = 0, []
    if not cues and not problems:
        problems.append("no subtitle cues found")
    return cues, problems


def text_encoding(raw: bytes, language: str) -> str:
    """Say how subtitles are read: by their byte-order mark, else as UTF-8, else in their language's old code page.

    Subtitle editors on Windows still save in the system's code page: a Persian .srt in Windows-1256 read as
    Windows-1252 came out as "ÓáÇã" for "سلام".
    """
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return encoding
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return legacy_code_page(language)
    return "utf-8"


def _add_cue(line_no: int, block: list[str], cues: list) -> str | None:
    """Add the cue a block of lines holds (or its text to the cue before); return a problem, or None."""
    first = block[0].strip()
    if (not cues and first.startswith("WEBVTT")) or first.split(" ")[0] in ("NOTE", "STYLE", "REGION"):
        return None
    at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
    if at is None:
        if cues:  # a blank line inside a cue's text: keep the text with its cue
            cues[-1][3].extend(_clean_text(block))
            return None
        return f"line {line_no}: expected a cue timing like 00:00:01,000 --> 00:00:02,000"
    match = _TIMING.match(block[at])
    if not match:
        return f"line {line_no + at}: cannot read the cue timing"
    start, end = _seconds(match.groups()[0:4]), _seconds(match.groups()[4:8])
    if end <= start:
        return f"line {line_no + at}: cue ends before it starts"
    settings = " ".join(s for s in match.group(9).split() if _SETTING.match(s))
    body = _clean_text(block[at + 1:])
    if body:
        cues.append((start, end, f" {settings}" if settings else "", body))
    return None


def _seconds(parts: Sequence[str | None]) -> float:
    hours, minutes, seconds, fraction = parts
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _clean_text(lines: list[str]) -> list[str]:
    """Keep basic styling tags; escape every other '<', '>' and stray '&'; drop control characters."""
    cleaned = []
    for line in lines:
        line = "".join(" " if is_control(ch) else ch for ch in _ASS_OVERRIDE.sub("", line)).strip()
        parts, last = [], 0
        for tag in _TAG.finditer(line):
            parts += [_escape(line[last:tag.start()]), _tag(tag.group())]
            last = tag.end()
        line = "".join([*parts, _escape(line[last:])]).strip()
        if line:
            cleaned.append(line)
    return cleaned


def _tag(tag: str) -> str:
    """Keep a safe styling tag (its name lower-cased), drop SRT's <font>, escape anything else."""
    if _SAFE_TAG.fullmatch(tag):
        name, space, annotation = tag.partition(" ")
        return name.lower() + space + annotation
    if re.fullmatch(r"</?font\b[^<>]*>", tag, re.IGNORECASE):
        return ""
    return _escape(tag)


def _escape(text: str) -> str:
    return _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def timestamp(seconds: float) -> str:
    """Format seconds as a WebVTT timestamp, "00:01:02.500"."""
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
