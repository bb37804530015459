"""The page's speed details measured in headless Chromium: which rung a phone loads, and the lead photo first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from conftest import make_photo, make_video, run_cli, write_story
from test_browser import DESKTOP, PHONE, WAIT_MS, QuietHandler, browser, serve  # noqa: F401 (a fixture)

FILLER = "\n\n".join(f"Paragraph {n} of the text before the lead photo, long enough to wrap on a phone." for n in
                     range(80))


@pytest.fixture(scope="module")
def speed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A story of a 720p clip (ladder 720p and 480p), a lead photo far below the fold and a second one further."""
    base = tmp_path_factory.mktemp("speed")
    story = base / "story"
    make_video(story / "clip.mp4", seconds=1.0, size=(1280, 720), audio=False)
    make_photo(story / "lead.jpg", (800, 600))
    make_photo(story / "later.jpg", (640, 480))
    # The MP4 rungs are what is measured: Chromium takes the HLS master, listed first, when there is one.
    (story / "mediapack.toml").write_text(
        '[video]\npreset = "ultrafast"\nhls = false\n[video.ladder]\n720p = {height = 720, maxrate = "3M", bufsize = "6M"}\n'
        '480p = {height = 480, maxrate = "1500k", bufsize = "3M"}\n', encoding="utf-8")
    write_story(story, """
        headline: Speed
        published: 2026-06-20T09:30:00Z
        media:
          - {id: clip, file: clip.mp4, caption: A clip, credit: Ann}
          - {id: lead, file: lead.jpg, caption: The lead, credit: Ann, alt: Shapes}
          - {id: later, file: later.jpg, caption: Later, credit: Ann, alt: More shapes}
        """, body=f"![[clip]]\n\n{FILLER}\n\n![[lead]]\n\n{FILLER}\n\n{FILLER}\n\n![[later]]\n")
    proc = run_cli("build", str(story), "--out", str(base / "dist"), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    server = serve(QuietHandler, base / "dist" / "speed")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("viewport", "rung", "other"), [(PHONE, "480p", "720p"), (DESKTOP, "720p", "480p")])
def test_a_phone_loads_the_small_rung_and_a_desktop_the_large(browser: Browser,  # noqa: F811
                                                              speed_site: str, viewport: dict,
                                                              rung: str, other: str) -> None:
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(speed_site + "index.html", wait_until="load")
        page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=WAIT_MS)  # metadata
        video = page.evaluate("(() => { const v = document.querySelector('video');"
                              " return {src: v.currentSrc, width: v.videoWidth, poster: v.poster}; })()")
        assert video == {"src": f"{speed_site}media/clip/{rung}.mp4", "width": {"480p": 854, "720p": 1280}[rung],
                         "poster": f"{speed_site}media/clip/poster.webp"}
        assert f"{speed_site}media/clip/{other}.mp4" not in requested  # the other rung costs nothing
    finally:
        context.close()


def test_the_lead_photo_is_requested_at_once_with_high_priority_and_a_later_one_lazily(
        browser: Browser, speed_site: str) -> None:  # noqa: F811
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        priority: dict[str, str] = {}
        cdp.on("Network.requestWillBeSent", lambda e: priority.setdefault(e["request"]["url"],
                                                                          e["request"]["initialPriority"]))
        page.goto(speed_site + "index.html", wait_until="load")  # and no scrolling
        below = page.evaluate("document.querySelector('img').getBoundingClientRect().top - innerHeight")
        assert below > 2500  # far below the fold, beyond where Chromium starts lazy images early
        assert page.evaluate("document.images[0].complete && document.images[0].naturalWidth > 0")
        lead = [url for url in priority if "/media/lead/" in url]
        assert len(lead) == 1 and lead[0].endswith(".webp") and priority[lead[0]] in ("High", "VeryHigh"), priority
        assert not any("/media/later/" in url for url in priority)  # lazy: not until the reader scrolls near it
        page.evaluate("document.images[1].scrollIntoView()")
        page.wait_for_function("document.images[1].complete && document.images[1].naturalWidth > 0", timeout=WAIT_MS)
        assert any("/media/later/" in url for url in priority)
    finally:
        context.close()
