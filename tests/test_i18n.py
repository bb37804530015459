"""A story's language: catalogues shipped compiled, directions, digits, dates in the story's zone, overrides."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from mediapack.i18n import (
    LOCALES,
    catalogue_languages,
    has_catalogue,
    legacy_code_page,
    og_locale,
    subtitles_language,
    text_direction,
    words_for,
)
from mediapack.messages import COUNTED, MESSAGES, label_problem, placeholders
from mediapack.zones import load_zone

# The languages issue 14 asks labels for (English is the source language: it needs no catalogue).
LANGUAGES = ("fr", "es", "de", "pt", "it", "nl", "tr", "ru", "uk", "ar", "fa", "ur", "he", "hi", "bn", "zh",
             "ja", "id", "sw")
MOMENT = datetime(2026, 6, 20, 6, 0, tzinfo=UTC)  # 09:30 in Tehran (+03:30)


def test_every_listed_language_ships_a_catalogue():
    assert set(LANGUAGES) | {"en"} == catalogue_languages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_mo_is_what_babel_compiles_from_the_po(language):
    folder = LOCALES / language / "LC_MESSAGES"
    with (folder / "mediapack.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert (folder / "mediapack.mo").read_bytes() == compiled.getvalue(), (
        f"run: uv run pybabel compile -d {LOCALES} -D mediapack")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language):
    with (LOCALES / language / "LC_MESSAGES" / "mediapack.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    translated = {message.context: message.string for message in catalog if message.id}
    assert set(translated) == set(MESSAGES)
    for key, forms in translated.items():
        assert isinstance(forms, tuple) == (key in COUNTED), key  # counted labels have every plural form
        for text in forms if isinstance(forms, tuple) else (forms,):
            assert text.strip(), key
            assert label_problem(key, text) is None, (key, text)
    words = words_for(language)
    assert words("video_intro") == translated["video_intro"]  # the .mo is found and read


def test_the_template_lists_every_message():
    with (LOCALES / "mediapack.pot").open("rb") as pot:
        ids = {m.context: m.id for m in read_po(pot) if m.id}
    assert {key: msgid[0] if isinstance(msgid, tuple) else msgid for key, msgid in ids.items()} == MESSAGES
    assert {key for key, msgid in ids.items() if isinstance(msgid, tuple)} == COUNTED


@pytest.mark.parametrize(("language", "direction"), [
    ("fa", "rtl"), ("ar", "rtl"), ("he", "rtl"), ("ur", "rtl"), ("ps", "rtl"), ("sd", "rtl"), ("ug", "rtl"),
    ("yi", "rtl"), ("dv", "rtl"), ("ckb", "rtl"), ("ar-EG", "rtl"), ("az-Arab", "rtl"), ("en", "ltr"),
    ("fr", "ltr"), ("zh-Hant-TW", "ltr"), ("az-Latn", "ltr"), ("xx", "ltr"),
])
def test_direction_follows_cldr(language, direction):
    assert text_direction(language) == direction


def test_a_regional_tag_uses_its_languages_labels_and_an_unknown_one_english():
    assert has_catalogue("pt-BR") and words_for("pt-BR")("downloads") == "Downloads"
    assert words_for("fr-CA")("by", names="A") == "Par A"
    assert not has_catalogue("pl") and words_for("pl")("video_intro") == "To download the video file click here:"
    assert words_for("pl").moment(MOMENT).startswith("20 czerwca 2026")  # CLDR still knows Polish dates


def test_dates_are_shown_in_the_story_zone_with_the_locales_digits():
    tehran = timezone(timedelta(hours=3, minutes=30))
    assert words_for("fa", zone=tehran).moment(MOMENT) == "۳۰ خرداد ۱۴۰۵،\u200f ۹:۳۰ +۰۳:۳۰ گرینویچ"
    assert words_for("fa", zone=ZoneInfo("Asia/Tehran")).moment(MOMENT) == words_for("fa", zone=tehran).moment(
        MOMENT)
    assert words_for("fr", zone=tehran).moment(MOMENT) == "20 juin 2026, 09:30 UTC+03:30"
    assert words_for("en").moment(MOMENT) == "June 20, 2026, 6:00\u202fAM GMT"
    assert words_for("ar", zone=tehran).moment(MOMENT).startswith("20 يونيو 2026، 9:30")  # CLDR: Latin digits


def test_sizes_durations_and_dimensions_are_localised():
    fa, fr, bn = words_for("fa"), words_for("fr"), words_for("bn")
    assert fa.size(4_400_000) == "۴٫۴ MB" and fr.size(4_400_000) == "4,4\u202fMo" and bn.size(840_000) == "৮৪০ kB"
    assert fa.clock(62.2) == "۱:۰۲" and fa.dimensions(1280, 720) == "۱۲۸۰×۷۲۰"
    assert words_for("en").size(2_150_000) == "2.2 MB" and words_for("en").clock(3723) == "1:02:03"


def test_names_are_listed_as_the_language_lists_them():
    assert words_for("en").names(["A", "B", "C"]) == "A, B, and C"
    assert words_for("fa").names(["A", "B"]) == "A و B"
    assert words_for("ar").names(["A", "B"]) == "A وB"


def test_overrides_replace_the_catalogues_words_and_are_escaped_as_html():
    words = words_for("fa", labels=(("video_intro", "<b>فایل</b> ویدیو:"),))
    assert words("video_intro") == "<b>فایل</b> ویدیو:"
    assert str(words.markup("video_intro")) == "&lt;b&gt;فایل&lt;/b&gt; ویدیو:"
    assert words("photo_intro") == "برای دریافت عکس اینجا کلیک کنید:"


@pytest.mark.parametrize(("key", "text", "problem"), [
    ("by", "Reporting by {names}", None),
    ("by", "Reporting by", "must hold {names}"),
    ("by", "By {name}", "must hold {names}"),
    ("by", "By {names", "has a { or }"),
    ("downloads", "Get {it}", "must hold no placeholder"),
    ("downloads", 3, "must be a string"),
    ("by", "By {names:d}", "placeholders take no format or conversion: write {names}"),
    ("by", "By {names:>999999999}", "take no format"),
    ("by", "By {names!r}", "take no format"),
    ("by", "By {names!s:}", "take no format"),
    ("slideshow", "{headline:{headline}}", "take no format"),
    ("by", "By {names.__class__}", "must hold {names}"),
])
def test_label_overrides_keep_the_placeholders(key, text, problem):
    found = label_problem(key, text)
    assert (found is None) if problem is None else problem in found


def test_placeholders_reads_format_fields():
    assert placeholders("{a} and {b}") == {"a", "b"} and placeholders("{{literal}}") == set()
    assert placeholders("{") is None


@pytest.mark.parametrize(("moment", "shown"), [
    (datetime(2026, 3, 20, 20, 29, tzinfo=UTC), "۲۹ اسفند ۱۴۰۴،\u200f ۲۳:۵۹"),  # the last minute of 1404 in Tehran
    (datetime(2026, 3, 20, 20, 30, tzinfo=UTC), "۱ فروردین ۱۴۰۵،\u200f ۰:۰۰"),  # Nowruz: 00:00 in Tehran
    (datetime(2025, 3, 19, 20, 30, tzinfo=UTC), "۳۰ اسفند ۱۴۰۳،\u200f ۰:۰۰"),  # 1403 is a leap year: 30 Esfand
    (datetime(2026, 12, 21, 20, 30, tzinfo=UTC), "۱ دی ۱۴۰۵،\u200f ۰:۰۰"),
])
def test_persian_dates_are_solar_hijri_in_the_story_zone(moment: datetime, shown: str) -> None:
    assert words_for("fa", zone=load_zone("Asia/Tehran")).moment(moment).startswith(shown + " ")


def test_a_persian_date_before_the_solar_hijri_calendar_is_shown_as_given() -> None:
    # "0206" for "2026": the page says the year as given (Gregorian), it does not crash the build.
    assert words_for("fa").moment(datetime(206, 6, 20, 9, 30, tzinfo=UTC)).startswith("۲۰ ژوئن ۲۰۶")


def test_afghan_persian_and_other_languages_keep_the_gregorian_calendar() -> None:
    assert words_for("fa-AF").moment(MOMENT).startswith("۲۰ جون ۲۰۲۶")  # Afghanistan names the months otherwise
    assert words_for("ar").moment(MOMENT).startswith("20 يونيو 2026")


def test_the_story_zone_is_its_own_offset_else_the_setting_else_utc():
    from dataclasses import replace as changed
    from pathlib import Path

    from mediapack.i18n import story_zone
    from mediapack.model import Story
    from mediapack.settings import PageSettings, Settings

    story = Story(folder=Path("/s"), source=Path("/s/story.md"), headline="H", slug="h", body="")
    tehran = Settings(page=PageSettings(timezone="Asia/Tehran"))
    kabul = timezone(timedelta(hours=4, minutes=30))
    assert story_zone(story, None) == UTC and story_zone(story, Settings()) == UTC
    assert str(story_zone(story, tehran)) == "Asia/Tehran"
    assert story_zone(changed(story, zone=kabul), tehran) == kabul  # what the story says wins


@pytest.mark.parametrize(("language", "one", "two", "five"), [
    ("ru", "Автор: A", "Авторы: A и B", "Авторы: …"), ("uk", "Автор: A", "Автори: A і B", "Автори: …"),
    ("tr", "Yazan: A", "Yazanlar: A ve B", "Yazanlar: …"), ("fa", "نوشتهٔ A", "نوشتهٔ A و B", "نوشتهٔ …"),
])
def test_a_byline_takes_the_plural_form_its_number_of_names_needs(language, one, two, five):
    words = words_for(language)
    assert words("by", 1, names="A") == one and words("by", 2, names=words.names(["A", "B"])) == two
    assert words("by", 5, names="…") == five
    assert words_for(language, labels=(("by", "Text: {names}"),))("by", 2, names="A") == "Text: A"


def test_og_locale_adds_the_likely_region():
    assert og_locale("en") == "en_US"
    assert og_locale("pt-BR") == "pt_BR"
    assert og_locale("fa") == "fa_IR"
    assert og_locale("zh-Hant") == "zh_TW" and og_locale("zh") == "zh_CN"
    assert og_locale("sr-Latn") == "sr_RS" and og_locale("es-419") == "es_419"


def test_a_deprecated_language_code_gets_the_current_ones_labels() -> None:
    assert has_catalogue("iw") and words_for("iw")("downloads") == words_for("he")("downloads") != "Downloads"
    assert text_direction("iw-IL") == "rtl" and words_for("in")("downloads") == words_for("id")("downloads")


def test_a_subtitle_files_language_and_its_old_code_page() -> None:
    assert subtitles_language(Path("v/ferry.fa.srt"), "en") == "fa"
    assert subtitles_language(Path("v/ferry.final.srt"), "ar") == "ar"  # not a language: the story's
    assert subtitles_language(None, "he") == "he"
    assert [legacy_code_page(tag) for tag in ("fa", "ar-EG", "he", "ru", "sr-Latn", "zh-Hant", "zh", "fr", "")] == [
        "cp1256", "cp1256", "cp1255", "cp1251", "cp1250", "cp950", "gb18030", "cp1252", "cp1252"]
