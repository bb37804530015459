"""WebVTT files: subtitles (.srt or .vtt) read as cues and written as clean WebVTT; WebVTT timestamps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError, single_line
from ..files import write_atomic

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(.*)$")
_SETTING = re.compile(r"(?:vertical|line|position|size|align):[\w.%,-]+$")
_TAG = re.compile(r"<[^<>]*>")
_SAFE_TAG = re.compile(r"</?(?:b|i|u|ruby|rt)>|</(?:c|v|lang)>|<c(?:\.[\w-]+)*>|<v(?:\.[\w-]+)*(?: [^<>&]+)?>"
                       r"|<lang [\w-]+>|<\d{2,}:\d{2}:\d{2}\.\d{3}>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|lrm|rlm|nbsp|#\d+|#x[0-9a-fA-F]+);)")
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")  # {\an8} and friends that SRT files borrow from ASS


def write_webvtt(subtitles: Path, dest: Path) -> Path:
    """Convert an .srt or .vtt file to clean WebVTT at ``dest``: dotted times, no ids, safe tags only."""
    lines = ["WEBVTT", ""]
    for start, end, settings, body in read_subtitles(subtitles):
        lines += [f"{timestamp(start)} --> {timestamp(end)}{settings}", *body, ""]
    return write_atomic(dest, "\n".join(lines).encode("utf-8"))


def read_subtitles(subtitles: Path) -> list[tuple[float, float, str, list[str]]]:
    """Return (start, end, settings, clean WebVTT text lines) of each cue of an .srt or .vtt file."""
    try:
        raw = subtitles.read_bytes()
    except OSError as exc:
        raise InputError(single_line(f"{subtitles}: cannot read subtitles: {exc.strerror or exc}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")  # the usual encoding of SRT files that are not UTF-8
    cues = _parse_cues(subtitles, text.replace("\r\n", "\n").replace("\r", "\n"))
    if not cues:
        raise InputError(single_line(f"{subtitles}: no subtitle cues found"))
    return cues


def _parse_cues(path: Path, text: str) -> list[tuple[float, float, str, list[str]]]:
    cues: list[tuple[float, float, str, list[str]]] = []
    line_no, block = 0, []
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        if line.strip():
            line_no, block = line_no or number, [*block, line]
            continue
        if block:
            _add_cue(path, line_no, block, cues)
        line_no, block = 0, []
    return cues


def _add_cue(path: Path, line_no: int, block: list[str], cues: list) -> None:
    first = block[0].strip()
    if (not cues and first.startswith("WEBVTT")) or first.split(" ")[0] in ("NOTE", "STYLE", "REGION"):
        return
    at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
    if at is None:
        if cues:  # a blank line inside a cue's text: keep the text with its cue
            cues[-1][3].extend(_clean_text(block))
            return
        raise InputError(single_line(f"{path}: line {line_no}: expected a cue timing like "
                                     "00:00:01,000 --> 00:00:02,000"))
    match = _TIMING.match(block[at])
    if not match:
        raise InputError(single_line(f"{path}: line {line_no + at}: cannot read the cue timing"))
    start, end = _seconds(match.groups()[0:4]), _seconds(match.groups()[4:8])
    if end <= start:
        raise InputError(single_line(f"{path}: line {line_no + at}: cue ends before it starts"))
    settings = " ".join(s for s in match.group(9).split() if _SETTING.match(s))
    body = _clean_text(block[at + 1:])
    if body:
        cues.append((start, end, f" {settings}" if settings else "", body))


def _seconds(parts: Sequence[str | None]) -> float:
    hours, minutes, seconds, fraction = parts
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _clean_text(lines: list[str]) -> list[str]:
    """Keep basic styling tags; escape every other '<', '>' and stray '&'; drop control characters."""
    cleaned = []
    for line in lines:
        line = "".join(ch if ch.isprintable() else " " for ch in _ASS_OVERRIDE.sub("", line)).strip()
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
