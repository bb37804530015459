"""A story's language: its direction, its words from the gettext catalogues, its dates and numbers from CLDR (Babel)."""

from __future__ import annotations

import functools
import gettext
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.units import format_unit
from markupsafe import Markup

from .messages import COUNTED, DOMAIN, MESSAGES
from .zones import load_zone

if TYPE_CHECKING:
    from .model import Story
    from .settings import Settings

LOCALES = Path(__file__).parent / "locales"  # <language>/LC_MESSAGES/mediapack.po and the .mo compiled from it
SOURCE_LANGUAGE = "en"  # the messages are written in it: it needs no catalogue
# Scripts written right to left, for a language CLDR has no data for but whose likely script it knows.
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg", "Mand", "Samr", "Mend", "Yezi"})
# The first digit of each numbering system a CLDR locale may default to (they run on from there).
_ZEROS = {"arab": 0x660, "arabext": 0x6F0, "beng": 0x9E6, "deva": 0x966, "mymr": 0x1040, "tibt": 0xF20,
          "thai": 0xE50, "laoo": 0xED0, "khmr": 0x17E0, "guru": 0xA66, "gujr": 0xAE6, "orya": 0xB66,
          "telu": 0xC66, "knda": 0xCE6, "mlym": 0xD66, "olck": 0x1C50, "mtei": 0xABF0, "nkoo": 0x7C0,
          "adlm": 0x1E950, "rohg": 0x10D30, "sund": 0x1BB0, "java": 0xA9D0, "cakm": 0x11136, "hmnp": 0x1E140}
_UNITS = {"B": "digital-byte", "KB": "digital-kilobyte", "MB": "digital-megabyte", "GB": "digital-gigabyte",
          "TB": "digital-terabyte"}


# The Solar Hijri months as Iran names them (CLDR fa, calendar "persian", format wide): Farvardin ... Esfand.
IRANIAN_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن",
                  "اسفند")


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")  # the "fa" of ferry.fa.srt, "pt-BR" of x.pt-BR.vtt


def _subtags(language: str) -> list[str]:
    """Split a tag into subtags, a deprecated language code made current: "iw-IL" -> ["he", "IL"], "in" -> ["id"]."""
    first, *rest = language.replace("_", "-").split("-")
    current = get_global("language_aliases").get(first.lower())
    return [*current.split("_"), *rest] if current else [first, *rest]


@functools.cache
def catalogue_languages() -> frozenset[str]:
    """Return the languages whose labels ship with mediapack (English included)."""
    shipped = {p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return frozenset(shipped | {SOURCE_LANGUAGE})


def has_catalogue(language: str) -> bool:
    """Tell whether a BCP 47 language ("fa", "pt-BR") has shipped labels (its own, or its base language's)."""
    return _subtags(language)[0].lower() in catalogue_languages()


def _locale(language: str) -> Locale | None:
    parts = _subtags(language)
    for tag in ("_".join(parts), parts[0]):  # "pt-XX" unknown to CLDR: Portuguese still
        try:
            return Locale.parse(tag)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return None


def is_language(tag: str) -> bool:
    """Tell whether CLDR knows a language tag ("fa", "pt-BR"; not "final" or "v2")."""
    return _locale(tag) is not None


def first_strong_direction(text: str) -> str | None:
    """Return "rtl" or "ltr" as Unicode reads a line: from its first strong letter; None if it has none."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


def solar_hijri(language: str) -> bool:
    """Tell whether a story's dates are shown in the Solar Hijri calendar: Persian as written in Iran."""
    # CLDR's preferred calendar in Iran and Afghanistan is the Persian one; Afghanistan names its months
    # otherwise (Hamal, Sawr...), so fa-AF keeps the Gregorian dates CLDR's Babel data can write.
    parts = [part.lower() for part in _subtags(language)]
    return parts[0] == "fa" and "af" not in parts[1:]


def text_direction(language: str) -> str:
    """Return "rtl" or "ltr" for a BCP 47 language, as CLDR (or its likely script) says."""
    parts = _subtags(language)
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    if script is None:
        locale = _locale(language)
        if locale is not None:
            return "rtl" if locale.character_order == "right-to-left" else "ltr"
        likely = get_global("likely_subtags").get(parts[0].lower(), "")
        script = next((p for p in likely.split("_")[1:] if len(p) == 4), None)
    return "rtl" if script in RTL_SCRIPTS else "ltr"


def og_locale(language: str) -> str:
    """Write a BCP 47 tag as Open Graph's locale: "en" -> "en_US", "zh-Hant" -> "zh_TW" (CLDR's likely region)."""
    parts = _subtags(language)
    lang = parts[0].lower()
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha() or len(p) == 3 and p.isdigit()), None)
    if region is None:
        script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
        likely = get_global("likely_subtags")
        full = (script and likely.get(f"{lang}_{script}")) or likely.get(lang, "")
        region = next((p for p in full.split("_")[1:] if len(p) != 4), None)
    return f"{lang}_{region}" if region else language.replace("-", "_")


# The Windows code page subtitle files in a language were saved in before UTF-8 (what subtitle editors on
# Windows still write by default): a file that is not UTF-8 is read in its language's one.
_CODE_PAGES = {
    **dict.fromkeys(("ar", "fa", "ur", "ps", "ckb", "ug", "sd"), "cp1256"),
    **dict.fromkeys(("he", "yi"), "cp1255"),
    **dict.fromkeys(("ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "tg", "mn"), "cp1251"),
    **dict.fromkeys(("pl", "cs", "sk", "hu", "ro", "hr", "sl", "bs", "sq"), "cp1250"),
    **dict.fromkeys(("lt", "lv", "et"), "cp1257"),
    "el": "cp1253", "tr": "cp1254", "az": "cp1254", "vi": "cp1258", "th": "cp874",
    "ja": "cp932", "ko": "cp949", "zh": "gb18030",
}
_TRADITIONAL_CHINESE = ("hant", "tw", "hk", "mo")


def legacy_code_page(language: str) -> str:
    """Return the code page a language's text files were saved in before UTF-8: "fa" -> "cp1256"; else "cp1252"."""
    parts = [p.lower() for p in _subtags(language)]
    if parts[0] == "zh" and any(p in _TRADITIONAL_CHINESE for p in parts[1:]):
        return "cp950"
    if parts[0] == "sr" and "latn" in parts[1:]:
        return "cp1250"
    return _CODE_PAGES.get(parts[0], "cp1252")


def subtitles_language(subtitles: Path | None, story_language: str) -> str:
    """Return the language of a subtitle file: from its name (ferry.fa.srt), else the story's."""
    suffixes = subtitles.suffixes if subtitles is not None else []
    tag = suffixes[-2][1:] if len(suffixes) >= 2 else ""
    return tag if _LANGUAGE_TAG.fullmatch(tag) and is_language(tag) else story_language


def size_parts(n: int) -> tuple[str, str]:
    """Round a byte count to decimal units: ("840", "KB"), ("2.1", "MB"), ("12", "MB"); half-up, in integers."""
    n = max(0, int(n))
    if n < 1000:
        return str(n), "B"
    for unit, name in ((10**3, "KB"), (10**6, "MB"), (10**9, "GB"), (10**12, "TB")):
        if unit == 1000:
            whole = (n + 500) // 1000  # kB are always whole
            if whole < 1000:
                return str(whole), name
            continue
        tenths = (n * 10 + unit // 2) // unit
        if tenths < 100:
            return f"{tenths // 10}.{tenths % 10}", name
        whole = (n + unit // 2) // unit
        if whole < 1000 or name == "TB":
            return str(whole), name
    raise AssertionError("unreachable")


def whole_seconds(seconds: float) -> int:
    """Round a duration half-up to whole seconds: 14.5 s is 15 on every platform (round() would say 14)."""
    return int(max(0.0, float(seconds)) + 0.5)


def clock(seconds: float) -> str:
    """Format a duration as a clock: "0:15", "1:30", "1:02:03"."""
    total = whole_seconds(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True, eq=False)
class Words:
    """The words, digits, dates and direction of one story's language (labels overridden by the newsroom)."""

    language: str  # the story's BCP 47 tag
    direction: str  # "rtl" | "ltr"
    locale: Locale  # CLDR data for dates and numbers (English if CLDR does not know the language)
    texts: Mapping[str, str]  # key -> text, for every key of MESSAGES
    zone: tzinfo  # dates are shown in it
    catalogue: gettext.NullTranslations  # for the plural forms of COUNTED labels
    overridden: frozenset[str] = frozenset()  # keys the newsroom set in [page.labels]: one form for any count

    def text(self, key: str, n: int | None = None, /) -> str:
        """Return the label ``key`` unfilled; a COUNTED label in the plural form a number ``n`` takes."""
        if n is None or key not in COUNTED or key in self.overridden:
            return self.texts[key]
        return self.catalogue.npgettext(key, MESSAGES[key], MESSAGES[key], n)

    # n is positional-only: a label's placeholders (such as {count}) are the keyword arguments.
    def __call__(self, key: str, n: int | None = None, /, **values: object) -> str:
        """Return the label ``key`` in the story's language, its placeholders filled in."""
        return self.text(key, n).format(**values)

    def markup(self, key: str, n: int | None = None, /, **values: object) -> Markup:
        """Return the label as HTML: its text escaped, values escaped unless they are Markup already."""
        return Markup.escape(self.text(key, n)).format(**values)

    def reads_other_way(self, text: str) -> bool:
        """Tell whether ``text`` starts in the other direction than the page (an English caption in Persian)."""
        return first_strong_direction(text) not in (None, self.direction)

    def digits(self, text: str) -> str:
        """Write the ASCII digits of ``text`` in the locale's own digits, where CLDR says it has them."""
        zero = _ZEROS.get(self.locale.default_numbering_system or "latn")
        return text.translate({48 + i: zero + i for i in range(10)}) if zero else text

    def size(self, n: int) -> str:
        """Format a byte count in decimal units as the locale writes them: "840 kB", "۴٫۴ MB"."""
        value, unit = size_parts(n)
        pattern = "#,##0.0" if "." in value else "#,##0"
        return self.digits(format_unit(Decimal(value), _UNITS[unit], "short", pattern, locale=self.locale,
                                       numbering_system="default"))

    def clock(self, seconds: float) -> str:
        """Format a duration as a clock in the locale's digits: "0:15", "۱:۰۲:۰۳"."""
        return self.digits(clock(seconds))

    def dimensions(self, width: int, height: int) -> str:
        """Format a picture's size: "1280×720" in the locale's digits."""
        return self.digits(f"{width}×{height}")

    def names(self, names: Sequence[str]) -> str:
        """Join names as the language lists them: "A, B, and C", "A، B، و C"."""
        names = [n for n in names if n]
        return format_list(names, locale=self.locale) if names else ""

    def moment(self, when: datetime) -> str:
        """Format a moment in the story's zone as the language writes it: "20 juin 2026, 09:30 UTC+03:30"."""
        local = when.astimezone(self.zone)
        glue = str(self.locale.datetime_formats.get("medium", "{1} {0}")).replace("'", "")
        text = glue.replace("{1}", self._date(local)).replace(
            "{0}", format_time(local, "short", locale=self.locale))
        return self.digits(f"{text} {self._zone_name(local)}")

    def _date(self, local: datetime) -> str:
        """Write the day in the calendar the language's readers date news by (CLDR's preferred one)."""
        if solar_hijri(self.language):
            import jdatetime  # the Solar Hijri arithmetic, loaded only for Persian stories

            try:
                day = jdatetime.date.fromgregorian(date=local.date())
            except (ValueError, OverflowError):  # before the calendar's first year (622): a typo, said as given
                return format_date(local, "long", locale=self.locale)
            return f"{day.day} {IRANIAN_MONTHS[day.month - 1]} {day.year}"  # CLDR fa's long pattern: d MMMM y
        return format_date(local, "long", locale=self.locale)

    def _zone_name(self, local: datetime) -> str:
        offset = local.utcoffset() or timedelta(0)
        gmt = str(self.locale.zone_formats.get("gmt", "GMT%s"))
        if offset == timedelta(0):
            return (gmt % "").strip()  # "GMT", "UTC", "گرینویچ"
        sign, minutes = ("+" if offset > timedelta(0) else "-"), abs(int(offset.total_seconds())) // 60
        return gmt % f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@functools.lru_cache(maxsize=64)
def words_for(language: str, direction: str | None = None, zone: tzinfo = UTC,
              labels: tuple[tuple[str, str], ...] = ()) -> Words:
    """Return the Words of a language: its catalogue's labels (English where it has none), then ``labels``."""
    locale = _locale(language) or Locale.parse(SOURCE_LANGUAGE)
    catalogue = gettext.NullTranslations()  # English: the messages themselves
    if has_catalogue(language) and _subtags(language)[0].lower() != SOURCE_LANGUAGE:
        catalogue = gettext.translation(DOMAIN, LOCALES, ["_".join(_subtags(language)), _subtags(language)[0]],
                                        fallback=True)
    texts = {key: catalogue.npgettext(key, english, english, 1) if key in COUNTED else catalogue.pgettext(key, english)
             for key, english in MESSAGES.items()}
    texts.update(labels)
    return Words(language, direction or text_direction(language), locale, MappingProxyType(texts), zone, catalogue,
                 frozenset(key for key, _ in labels))


def story_zone(story: Story, settings: Settings | None) -> tzinfo:
    """Return the zone a story's dates are shown in: its own offset, else the [page] timezone, else UTC."""
    if story.zone is not None:
        return story.zone
    if settings is not None and settings.page.timezone:
        return load_zone(settings.page.timezone)
    return UTC


def story_words(story: Story, settings: Settings | None = None) -> Words:
    """Return the Words a story is written with: its language, its dir, its zone and the newsroom's labels."""
    labels = settings.page.labels if settings is not None else ()
    return words_for(story.language, story.direction, story_zone(story, settings), labels)
