"""The fonts the compositions draw with (shipped inside the package), which one a text needs, and its direction."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from ..errors import EnvironmentProblem
from ..i18n import first_strong_direction

REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"  # Latin, Greek, Cyrillic, Hebrew...
ARABIC_REGULAR, ARABIC_BOLD = "Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf"  # Arabic script in Naskh (and Latin)
# Urdu is written in Nastaliq, not Naskh: Noto Nastaliq Urdu (Google Fonts via npm's
# @expo-google-fonts/noto-nastaliq-urdu 0.4.2; Latin included).
URDU_REGULAR, URDU_BOLD = "NotoNastaliqUrdu-Regular.ttf", "NotoNastaliqUrdu-Bold.ttf"
FONTS = (REGULAR, BOLD, ARABIC_REGULAR, ARABIC_BOLD, URDU_REGULAR, URDU_BOLD)
# Letters Urdu (and Punjabi, Saraiki in Shahmukhi, also set in Nastaliq) writes and Persian, Arabic, Pashto,
# Sindhi and Kurdish do not: tteh, ddal, rreh, noon ghunna, heh goal, yeh barree. Nearly every Urdu
# sentence has one ("ہے", "کے", "میں").
_URDU_LETTERS = frozenset("ٹڈڑںہۃےۓ")
# Installed, the fonts sit in the package (pyproject force-include); in a checkout, in assets/fonts.
FONT_DIRS = (Path(__file__).parents[1] / "fonts", Path(__file__).resolve().parents[3] / "assets" / "fonts")
RAQM_MISSING = ("this Pillow has no raqm layout engine (libraqm with libfribidi), so right-to-left text "
                "would be drawn unjoined and backwards; install libfribidi0 (Debian) or fribidi and rebuild")


@functools.cache
def font_file(name: str) -> Path:
    """Return the path of a shipped font; EnvironmentProblem if the installation lacks it."""
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise EnvironmentProblem(f"{name}: font not found in {' or '.join(map(str, FONT_DIRS))} "
                             "(reinstall mediapack)")


@functools.cache
def has_raqm() -> bool:
    """Tell whether Pillow can shape text (HarfBuzz) and order it right to left (FriBiDi): raqm."""
    from PIL import features

    return bool(features.check("raqm"))


def is_rtl(ch: str) -> bool:
    """True for a letter written right to left (Hebrew, Arabic script, Thaana, Syriac...)."""
    return unicodedata.bidirectional(ch) in ("R", "AL")


def needs_shaping(text: str) -> bool:
    """Tell whether ``text`` holds right-to-left letters, which only raqm draws joined and in order."""
    return any(is_rtl(ch) for ch in text)


def direction(text: str) -> str:
    """Return the direction of a line as Unicode's default does: that of its first strong letter (else ltr)."""
    return first_strong_direction(text) or "ltr"


def face_file(text: str, bold: bool) -> str:
    """Name the shipped font for ``text``: Noto Nastaliq for Urdu, Vazirmatn for other Arabic script, else DejaVu."""
    if any(ch in _URDU_LETTERS for ch in text):
        return URDU_BOLD if bold else URDU_REGULAR
    if any(unicodedata.bidirectional(ch) == "AL" for ch in text):
        return ARABIC_BOLD if bold else ARABIC_REGULAR
    return BOLD if bold else REGULAR


# Scripts neither DejaVu Sans nor Vazirmatn has letters for, by the first word of their characters' names.
# (Checked against the fonts' character maps with fontTools; DejaVu has Lao, N'Ko, Tifinagh and Georgian.)
_UNFOUNDED = frozenset({"DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA",
                        "MALAYALAM", "SINHALA", "THAI", "TIBETAN", "MYANMAR", "KHMER", "ETHIOPIC", "CJK", "HIRAGANA",
                        "KATAKANA", "HANGUL", "BOPOMOFO", "YI", "SYRIAC", "THAANA", "JAVANESE"})


def unfounded_scripts(text: str) -> set[str]:
    """Return the scripts in ``text`` the shipped fonts cannot draw ("Devanagari", "Cjk"): shown as boxes."""
    found = set()
    for ch in text:
        if ord(ch) > 0x58F:  # Latin, Greek, Cyrillic and Armenian are all drawn
            word = unicodedata.name(ch, "").split(" ", 1)[0]
            if word in _UNFOUNDED:
                found.add("CJK" if word == "CJK" else word.title())
    return found
