"""Stories in Persian, Arabic and French, built and read in headless Chromium as their readers would."""
# ruff: noqa: F811 - the tests take test_browser's chromium fixture, imported by its name

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from conftest import make_photo, make_video, run_cli, write_story
from test_browser import DESKTOP, QuietHandler, browser, serve  # noqa: F401 - browser is a fixture

PERSIAN = """
    headline: بازگشت کشتی بندر پس از بازسازی
    slug: bazgasht
    language: fa
    byline: [مریم احمدی, Gent Shkullaku]
    published: 2026-06-20T09:30:00+03:30
    media:
      - {id: boat, file: boat.jpg, caption: کشتی پس از بازسازی به بندر بازگشت, credit: Gent Shkullaku/AFP,
         alt: کشتی در بندر}
      - {id: trip, file: trip.mp4, caption: نخستین سفر, credit: Example Video, subtitles: trip.fa.srt}
"""
ARABIC = """
    headline: عودة العبّارة إلى الميناء
    slug: awda
    language: ar
    byline: سارة يوسف
    published: 2026-06-20T09:30:00+02:00
    media:
      - {id: boat, file: boat.jpg, caption: العبّارة بعد ترميمها, credit: Gent Shkullaku/AFP, alt: عبّارة}
"""
FRENCH = """
    headline: Le bac du port reprend du service
    slug: bac
    language: fr
    byline: [Anne Martin, Bo Durand]
    published: 2026-06-20T07:30:00Z
    media:
      - {id: boat, file: boat.jpg, caption: Le bac restauré, credit: Gent Shkullaku/AFP, alt: Un bac}
"""


def build_story(base: Path, slug: str, front_matter: str, *, video: bool = False) -> Path:
    folder = base / slug
    make_photo(folder / "boat.jpg", (640, 427))
    if video:
        make_video(folder / "trip.mp4", seconds=1.0)
        (folder / "trip.fa.srt").write_text("1\n00:00:00,000 --> 00:00:00,900\nسلام دوستان\n\n", encoding="utf-8")
    write_story(folder, front_matter, body="پاراگراف نخست.\n" if video else "Texte.\n")
    proc = run_cli("build", str(folder), "--out", str(base / "dist"), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    return base / "dist" / slug


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the three stories (French dates in Paris time, from the newsroom's mediapack.toml); serve them."""
    base = tmp_path_factory.mktemp("languages")
    (base / "mediapack.toml").write_text('[page]\ntimezone = "Europe/Paris"\n', encoding="utf-8")
    build_story(base, "bazgasht", PERSIAN, video=True)
    build_story(base, "awda", ARABIC)
    # The French desk words one label its own way, in the story folder's mediapack.toml.
    (base / "bac").mkdir()
    (base / "bac" / "mediapack.toml").write_text('[page.labels]\nphoto_intro = "La photo en haute définition :"\n',
                                               encoding="utf-8")
    build_story(base, "bac", FRENCH)
    server = serve(QuietHandler, base / "dist")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def read_page(browser: Browser, url: str) -> tuple[Page, dict]:
    """Open a story page; return it and what a reader sees: direction, words, date, credit placement."""
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(url, wait_until="load")
    seen = page.evaluate("""(() => {
        const rect = e => e.getBoundingClientRect();
        const credit = document.querySelector('figcaption .credit'), isolated = credit.querySelector('bdi');
        const article = document.querySelector('article');
        return {
            direction: getComputedStyle(article).direction,
            downloads: getComputedStyle(document.querySelector('.mediapack-downloads')).direction,
            heading: document.querySelector('#mediapack-downloads-heading').textContent,
            // the lead-in before each item's main download: "To download the video file click here:"
            intros: [...document.querySelectorAll('.mediapack-download-group p')].filter(p => p.querySelector('a'))
                .map(p => p.firstChild.textContent.trim()),
            byline: document.querySelector('.byline').textContent,
            date: document.querySelector('time').textContent,
            credit: credit.textContent,
            // the label stands where the line starts; the isolated Latin credit follows it in reading order
            creditAfterLabel: getComputedStyle(article).direction === 'rtl'
                ? rect(isolated).right < rect(credit).right - 5 : rect(isolated).left > rect(credit).left + 5,
            creditIntact: isolated.textContent,
            // a line starts at the start side: the heading's text hugs the right edge in a right-to-left page
            headingSide: (() => { const h = document.querySelector('h1'), r = document.createRange();
                r.selectNodeContents(h); const text = r.getBoundingClientRect(), box = rect(h);
                return Math.abs(text.right - box.right) < 2 ? 'right' : Math.abs(text.left - box.left) < 2 ? 'left' : '?'; })(),
            links: [...document.querySelectorAll('.mediapack-downloads a')].map(a => a.textContent),
        };
    })()""")
    return page, seen


def test_a_persian_story_reads_right_to_left_in_persian_and_in_tehran_time(browser: Browser, sites: str) -> None:
    page, seen = read_page(browser, sites + "bazgasht/index.html")
    try:
        assert seen["direction"] == "rtl" and seen["downloads"] == "rtl" and seen["headingSide"] == "right"
        assert seen["heading"] == "دریافت فایل‌ها"
        assert seen["intros"][:2] == ["برای دریافت عکس اینجا کلیک کنید:", "برای دریافت فایل ویدیو اینجا کلیک کنید:"]
        assert seen["byline"] == "نوشتهٔ مریم احمدی و Gent Shkullaku"
        # 09:30 as written, not 06:00 UTC; 20 June 2026 in the Solar Hijri calendar
        assert seen["date"] == "۳۰ خرداد ۱۴۰۵،\u200f ۹:۳۰ +۰۳:۳۰ گرینویچ"
        assert seen["credit"] == "عکس: Gent Shkullaku/AFP" and seen["creditAfterLabel"]
        # A 640x427 photo gets "small" at its own size; its size in Persian digits and CLDR's unit.
        assert re.fullmatch(r"bazgasht-boat-small\.jpg · ۶۴۰×۴۲۷ · [۰-۹]+ kB", seen["links"][0]), seen["links"]
        assert any("۰:۰۱" in link for link in seen["links"]), seen["links"]  # the clip's length, Persian digits
        track = page.evaluate("(() => { const t = document.querySelector('track');"
                              " return [t.srclang, t.label]; })()")
        assert track == ["fa", "فارسی"]  # from trip.fa.srt
    finally:
        page.context.close()


def test_an_arabic_story_reads_right_to_left_in_arabic_in_its_own_time(browser: Browser, sites: str) -> None:
    page, seen = read_page(browser, sites + "awda/index.html")
    try:
        assert seen["direction"] == "rtl" and seen["headingSide"] == "right"
        assert seen["heading"] == "التنزيلات" and seen["intros"][0] == "لتنزيل الصورة انقر هنا:"
        assert seen["byline"] == "بقلم سارة يوسف"
        assert seen["date"] == "20 يونيو 2026، 9:30 ص غرينتش+02:00"  # CLDR writes Arabic dates in Latin digits
        assert seen["credit"] == "صورة: Gent Shkullaku/AFP" and seen["creditAfterLabel"]
    finally:
        page.context.close()


def test_a_french_story_reads_left_to_right_in_french_at_paris_time(browser: Browser, sites: str) -> None:
    page, seen = read_page(browser, sites + "bac/index.html")
    try:
        assert seen["direction"] == "ltr" and seen["headingSide"] == "left"
        assert seen["heading"] == "Téléchargements"
        assert seen["intros"][0] == "La photo en haute définition :"  # [page.labels] over the catalogue
        assert seen["byline"] == "Par Anne Martin et Bo Durand"
        assert seen["date"] == "20 juin 2026, 09:30 UTC+02:00"  # 07:30Z in [page] timezone = "Europe/Paris"
        assert seen["credit"] == "Photo\u00a0: Gent Shkullaku/AFP" and seen["creditAfterLabel"]
        assert re.fullmatch(r"bac-boat-small\.jpg · 640×427 · \d+\sko", seen["links"][0]), seen["links"]
    finally:
        page.context.close()
