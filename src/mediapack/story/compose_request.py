"""What a story asks to compose: the ``compose:`` front matter (or mediapack.toml) value, checked."""

from __future__ import annotations

from pathlib import Path

from ..errors import Findings, shown
from ..model import ComposeRequest
from .fields import inside_story

COMPOSITIONS = ("slideshow", "social")
SLIDESHOW = "slideshow"  # the media id (and folder) of the composed slideshow
FORMATS = {"16x9": (1920, 1080), "9x16": (1080, 1920), "1x1": (1080, 1080)}
SOCIAL_FORMATS = ("9x16", "1x1")
_KEYS = ("slideshow", "social", "seconds_per_photo", "audio_bed", "formats")


def parse_compose(value: object, source: Path, findings: Findings, *, folder: Path | None = None
                  ) -> ComposeRequest | None:
    """Read a ``compose:`` value (names or a mapping); record problems as ``compose.*``; None: none asked."""
    if value is None or value is False:
        return None
    if value is True:
        value = list(COMPOSITIONS)
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        unknown = [v for v in value if v not in COMPOSITIONS]
        if unknown:
            known = ", ".join(COMPOSITIONS)
            findings.error(source, "compose", f"unknown composition {shown(unknown[0])} (known: {known})")
            return None
        return ComposeRequest(slideshow="slideshow" in value, social="social" in value) if value else None
    if not isinstance(value, dict):
        findings.error(source, "compose", "must be a list like [slideshow, social] or a mapping")
        return None
    before = len(findings.errors)
    for key in sorted(set(map(str, value)) - set(_KEYS)):
        findings.error(source, f"compose.{key}", f"unknown setting (known: {', '.join(_KEYS)})")
    flags = {key: value.get(key, False) for key in COMPOSITIONS}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            findings.error(source, f"compose.{key}", "must be true or false")
    seconds = value.get("seconds_per_photo", ComposeRequest.seconds_per_photo)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 1 <= seconds <= 60:
        findings.error(source, "compose.seconds_per_photo", f"must be from 1 to 60 seconds, not {shown(seconds)}")
    formats = value.get("formats", list(ComposeRequest.formats))
    if (not isinstance(formats, list) or not formats  # strings first: str() of an alias bomb never ends
            or not all(isinstance(f, str) and f in FORMATS for f in formats) or len(set(formats)) != len(formats)):
        known = ", ".join(map(repr, FORMATS))
        findings.error(source, "compose.formats", f"must be a list drawn from {known}")
    bed = None
    if value.get("audio_bed") is not None:
        bed = inside_story(value["audio_bed"], folder or source.parent, source, "compose.audio_bed", findings)
    if len(findings.errors) > before:
        return None
    if not any(flags.values()):
        findings.warn(source, "compose", "asks for no composition (set slideshow or social to true)")
        return None
    return ComposeRequest(slideshow=flags["slideshow"], social=flags["social"],
                          seconds_per_photo=float(seconds), audio_bed=bed, formats=tuple(formats))
