"""Text for the compositions: subtitle cues as words; title card, lower third, subtitles, credit drawn once."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import EnvironmentProblem
from .drawn import clean_text
from .fonts import RAQM_MISSING, direction, face_file, font_file, has_raqm, needs_shaping

BACKGROUND = (16, 20, 26)
ACCENT = (229, 57, 53)
WHITE, GREY = (255, 255, 255), (205, 208, 212)
_MIN_FONT = 10  # pixels; below this DejaVu is unreadable anyway
_ELLIPSIS = "…"


@dataclass(frozen=True, eq=False)
class Still:
    """Pixels drawn once (RGB plus an alpha mask) and where they sit in the frame."""

    x: int
    y: int
    image: Image.Image  # RGB
    mask: Image.Image  # L: the alpha

    @classmethod
    def from_image(cls, image: Image.Image, x: int, y: int) -> Still:
        """Prepare an RGBA image placed at (x, y) for blending."""
        rgba = image.convert("RGBA")
        return cls(x, y, rgba.convert("RGB"), rgba.getchannel("A"))

    def blend_onto(self, frame: np.ndarray) -> np.ndarray:
        """Return a copy of ``frame`` (H, W, 3 uint8) with this still blended over its box only."""
        out = frame.copy()
        view = out[self.y:self.y + self.image.height, self.x:self.x + self.image.width]
        region = Image.fromarray(view)
        box = (0, 0, region.width, region.height)  # a still reaching past the frame edge is clipped
        region.paste(self.image.crop(box) if region.size != self.image.size else self.image, (0, 0),
                     self.mask.crop(box) if region.size != self.mask.size else self.mask)
        view[...] = np.asarray(region)
        return out


def font(size: int, bold: bool = False, sample: str = "") -> ImageFont.FreeTypeFont:
    """Return the font for ``sample`` (DejaVu Sans; Vazirmatn for Arabic script, Noto Nastaliq for Urdu) at ``size`` px.

    Right-to-left text needs raqm to be drawn joined and in order: without it, EnvironmentProblem.
    """
    if needs_shaping(sample) and not has_raqm():
        raise EnvironmentProblem(f"cannot draw {clean_text(sample)[:40]!r}: {RAQM_MISSING}")
    return _font(face_file(sample, bold), max(_MIN_FONT, size))


@functools.lru_cache(maxsize=32)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(name)), size)


def _bidi(line: str) -> dict:
    """The direction argument a right-to-left line is drawn and measured with (raqm orders it)."""
    return {"direction": "rtl"} if has_raqm() and direction(line) == "rtl" else {}


def length(face: ImageFont.FreeTypeFont, line: str) -> float:
    """Return the width of a line as it is drawn, in pixels."""
    return face.getlength(line, **_bidi(line))


def draw_line(draw: ImageDraw.ImageDraw, box: tuple[int, int], y: int, line: str, face: ImageFont.FreeTypeFont,
              fill: tuple[int, int, int]) -> None:
    """Draw a line from the start of ``box`` (left, right): the left edge, or the right one for right-to-left."""
    left, right = box
    x = left if direction(line) == "ltr" else round(right - length(face, line))
    draw.text((x, y), line, font=face, fill=fill, **_bidi(line))


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width``; end with an ellipsis if it needs more lines."""
    lines: list[str] = []
    for word in text.split():
        for piece in _pieces(word, face, width):
            if lines and length(face, f"{lines[-1]} {piece}") <= width:
                lines[-1] = f"{lines[-1]} {piece}"
            else:
                lines.append(piece)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and length(face, last + _ELLIPSIS) > width:
            last = last[:-1].rstrip()
        lines = [*lines[:max_lines - 1], last + _ELLIPSIS]
    return lines


def _pieces(word: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Split a word wider than a line (a URL, a long compound) into pieces that fit."""
    pieces = []
    while len(word) > 1 and length(face, word) > width:
        cut = next((i for i in range(len(word) - 1, 1, -1) if length(face, word[:i]) <= width), 1)
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]


def _line_height(face: ImageFont.FreeTypeFont) -> int:
    ascent, descent = face.getmetrics()
    return round((ascent + descent) * 1.1)


def _unit(size: tuple[int, int]) -> float:
    """Scale of the layout: 1.0 for a 1080-pixel short side."""
    return min(size) / 1080


def title_card(size: tuple[int, int], headline: str, byline: Sequence[str], kicker: str | None = None
               ) -> np.ndarray:
    """Draw the opening card: kicker, accent rule, headline and byline on a dark background.

    Each line starts where its script does: at the left margin, or at the right one for Persian or Hebrew.
    """
    width, height = size
    unit = _unit(size)
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    margin = round(width * 0.08)
    text_width = width - 2 * margin
    box = (margin, width - margin)
    names = ", ".join(clean_text(name) for name in byline if clean_text(name))
    head_face = font(round(84 * unit), bold=True, sample=headline)
    small_face = font(round(38 * unit), sample=f"{kicker or ''} {names}")
    kicker_lines = wrap(clean_text(kicker).upper(), small_face, text_width, 1) if kicker else []
    head_lines = wrap(clean_text(headline), head_face, text_width, 6 if height > width else 4)
    by_lines = wrap(names, small_face, text_width, 2)
    gap = round(36 * unit)
    rule = max(2, round(8 * unit))
    block = (len(kicker_lines) * _line_height(small_face) + rule + gap
             + len(head_lines) * _line_height(head_face) + (gap + len(by_lines) * _line_height(small_face)
                                                             if by_lines else 0))
    y = max(margin // 2, (height - block) // 2)
    for line in kicker_lines:
        draw_line(draw, box, y, line, small_face, GREY)
        y += _line_height(small_face)
    start = margin if direction(clean_text(headline)) == "ltr" else width - margin - round(140 * unit)
    draw.rectangle((start, y, start + round(140 * unit), y + rule - 1), fill=ACCENT)
    y += rule + gap
    for line in head_lines:
        draw_line(draw, box, y, line, head_face, WHITE)
        y += _line_height(head_face)
    y += gap
    for line in by_lines:
        draw_line(draw, box, y, line, small_face, GREY)
        y += _line_height(small_face)
    return np.asarray(image)


def lower_third(size: tuple[int, int], caption: str | None, credit: str | None) -> Still | None:
    """Draw caption and credit over a darkening gradient along the bottom of the frame; None if both empty."""
    caption, credit = clean_text(caption), clean_text(credit)
    if not caption and not credit:
        return None
    width, height = size
    unit = _unit(size)
    portrait = height > width
    margin = round(width * (0.07 if portrait else 0.05))
    bottom = round(height * (0.12 if portrait else 0.06))  # clear of a social app's controls
    text_width = width - 2 * margin
    caption_face, credit_face = font(round(42 * unit), sample=caption), font(round(30 * unit), sample=credit)
    caption_lines = wrap(caption, caption_face, text_width, 4 if portrait else 3)
    credit_lines = wrap(credit, credit_face, text_width, 1)
    text_height = (len(caption_lines) * _line_height(caption_face)
                   + len(credit_lines) * _line_height(credit_face) + round(10 * unit) * bool(credit_lines))
    ramp = round(150 * unit)
    band = min(height, ramp + text_height + bottom + round(24 * unit))
    image = Image.new("RGBA", (width, band), (0, 0, 0, 0))
    rise = np.clip(np.arange(band, dtype=np.float32) / max(1, ramp), 0.0, 1.0)
    alpha = rise * rise * (3 - 2 * rise) * 175  # eased, so the band has no visible top edge
    shade = np.repeat(alpha.astype(np.uint8)[:, None], width, axis=1)
    image.putalpha(Image.fromarray(shade, "L"))
    draw = ImageDraw.Draw(image)
    y = band - bottom - text_height
    # A credit takes the caption's side: "Gent Shkullaku/AFP" under a Persian caption is at the right too.
    side = direction(caption or credit)
    box = (margin, width - margin)
    for line in caption_lines:
        draw_line(draw, box, y, line, caption_face, WHITE)
        y += _line_height(caption_face)
    y += round(10 * unit) * bool(credit_lines)
    for line in credit_lines:
        wide = round(length(credit_face, line))
        x = width - margin - wide if side == "rtl" else margin
        draw_line(draw, (x, x + wide), y, line, credit_face, GREY)
    return Still.from_image(image, 0, height - band)


def boxed_text(size: tuple[int, int], *texts: str, scale: float, anchor: str, max_lines: int = 3
               ) -> Still | None:
    """Draw centred lines on one translucent box, each text from a new line (subtitles: anchor "bottom"; credit: "top").

    Each text wraps to at most ``max_lines`` lines in its own script's font; None if every text is empty.
    """
    paragraphs = [text for text in map(clean_text, texts) if text]
    if not paragraphs:
        return None
    width, height = size
    unit = _unit(size)
    pad = max(2, round(scale * unit * 0.3))
    rows = [(line, face) for text in paragraphs for face in (font(round(scale * unit), sample=text),)
            for line in wrap(text, face, round(width * 0.86) - 2 * pad, max_lines)]
    box_width = min(width, max(round(length(face, line)) for line, face in rows) + 2 * pad)
    box_height = sum(_line_height(face) for _, face in rows) + 2 * pad
    image = Image.new("RGBA", (box_width, box_height), (0, 0, 0, 150))
    draw = ImageDraw.Draw(image)
    y = pad
    for line, face in rows:
        x = (box_width - round(length(face, line))) // 2
        draw_line(draw, (x, x + round(length(face, line))), y, line, face, WHITE)
        y += _line_height(face)
    x = (width - box_width) // 2
    y = round(height * 0.04) if anchor == "top" else height - box_height - round(height * 0.16)
    return Still.from_image(image, x, max(0, y))
