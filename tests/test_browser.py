"""The built page in a real browser: headless Chromium loads it from a local web server, as a reader would."""

from __future__ import annotations

import functools
import json
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import SLUG, make_photo, make_tiny_story, parse_headers, run_cli, write_story

CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium; .ci/run installs it when missing
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"  # git-ignored; CI may keep it
WAIT_MS = 20_000
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 740}


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve files like a web server would, with the MIME types the page relies on, and no log noise."""

    extensions_map: ClassVar = {**SimpleHTTPRequestHandler.extensions_map, ".vtt": "text/vtt", ".mp4": "video/mp4",
                      ".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment",
                      ".webp": "image/webp", ".zip": "application/zip", ".json": "application/json"}

    def log_message(self, format, *args) -> None:
        pass


def serve(handler: type[SimpleHTTPRequestHandler], directory: Path) -> ThreadingHTTPServer:
    """Serve ``directory`` on a free port of 127.0.0.1, in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the tiny story and serve its output folder on 127.0.0.1; yield the folder's URL."""
    base = tmp_path_factory.mktemp("browser")
    story = make_tiny_story(base / "tiny-story")
    proc = run_cli("build", str(story), "--out", str(base / "dist"), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    server = serve(QuietHandler, base / "dist" / SLUG)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch headless Chromium; fail (never skip) when it is not installed."""
    if not CHROMIUM.is_file() or shutil.which(str(CHROMIUM)) is None:
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium and chromium-driver (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def visit(site: str, browser: Browser) -> Iterator[dict]:
    """Open index.html and scroll through it; record every request, failure, cancel and console error."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    log: dict = {"requests": [], "foreign": [], "failed": [], "aborted": [], "errors": [], "answered": set(),
                 "finished": set()}

    def route(route) -> None:
        if route.request.url.startswith(site):
            route.continue_()
        else:  # nothing may leave the machine: record and refuse it
            log["foreign"].append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda r: log["requests"].append(r.url))
    page.on("requestfailed", lambda r: log["aborted"].append(r.url) if r.failure == "net::ERR_ABORTED"
            else log["failed"].append(f"{r.url}: {r.failure}"))
    page.on("requestfinished", lambda r: log["finished"].add(r.url))
    page.on("response", lambda r: log["answered"].add(r.url) if r.status < 400
            else log["failed"].append(f"{r.url}: HTTP {r.status}"))
    page.on("console", lambda m: m.type == "error" and log["errors"].append(m.text))
    page.on("pageerror", lambda exc: log["errors"].append(str(exc)))
    page.goto(site + "index.html", wait_until="load")
    scroll_through(page)
    try:
        yield {"page": page, "site": site, "log": log}
    finally:
        context.close()


def scroll_through(page: Page) -> None:
    """Scroll to the bottom a screen at a time, so every lazy image comes into view."""
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 1, DESKTOP["height"] // 2):
        page.evaluate(f"window.scrollTo(0, {y})")
        # Lazy images start when a rendered frame shows them near the screen: let two frames pass.
        page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.evaluate("window.scrollTo(0, 0)")


def unforgiven(aborted: list[str], fetched: set[str], images: list[dict]) -> list[str]:
    """Return the cancelled requests that are failures: all but those the browser superseded.

    Chromium cancels a request it no longer needs: its HLS player probes a segment, then fetches it again
    whole; an <img> drops a srcset candidate when its choice changes (the lead photo's, fetched eagerly: a
    full-page screenshot briefly makes the window 1x1, where the first candidate listed, the largest, is asked
    for and dropped when the window is back; the preload scanner may also guess before layout settles).
    Such a cancel is forgiven only when that URL, or the candidate its <img> shows instead, was fetched.
    """
    superseded = {url for img in images if img["current"] in fetched for url in img["candidates"]}
    return [url for url in aborted if url not in fetched and url not in superseded]


def image_candidates(page: Page) -> list[dict]:
    """Each <img>: the URL it shows and every URL it could choose (its src, its and its <source>s' srcsets)."""
    return page.evaluate("""[...document.images].map(i => ({current: i.currentSrc, candidates: [i.src,
        ...[i, ...(i.closest('picture') ? i.closest('picture').querySelectorAll('source') : [])].flatMap(e =>
            (e.getAttribute('srcset') || '').split(',').filter(c => c.trim())
                .map(c => new URL(c.trim().split(/\\s+/)[0], document.baseURI).href))]}))""")


def embedded_manifest(page: Page) -> dict:
    return json.loads(page.locator("#mediapack-manifest").text_content())


def test_every_image_loads_and_none_is_stretched(visit: dict) -> None:
    page: Page = visit["page"]
    assert page.locator("img").count() == 5  # two photos; the Downloads block's three small pictures
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)", timeout=WAIT_MS)
    images = page.evaluate("""[...document.images].map(i => ({src: i.currentSrc, natural: i.naturalWidth,
        shown: i.getBoundingClientRect().width, largest: Number(i.getAttribute('width'))}))""")
    for img in images:
        assert img["src"].startswith(visit["site"] + "media/"), img
        assert 0 < img["shown"] <= img["largest"] + 0.5, img  # never wider than its largest rendition
    assert any(img["src"].endswith(".webp") for img in images)  # <picture> offered WebP and it was taken


def test_the_video_streams_hls_from_the_master_playlist_with_its_captions(visit: dict) -> None:
    page: Page = visit["page"]
    native = page.evaluate("document.createElement('video').canPlayType('application/vnd.apple.mpegurl')")
    assert native in ("maybe", "probably"), f"{CHROMIUM} does not play HLS natively: the test needs one that does"
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("document.querySelector('video').currentTime > 0.5", timeout=WAIT_MS)
    video = page.evaluate("""(() => { const v = document.querySelector('video');
        return {error: v.error && v.error.code, width: v.videoWidth, src: v.currentSrc, poster: v.poster}; })()""")
    assert video == {"error": None, "width": 320, "src": visit["site"] + "media/clip/hls/master.m3u8",
                     "poster": visit["site"] + "media/clip/poster.webp"}
    hls = visit["site"] + "media/clip/hls/"
    assert {hls + name for name in ("240p.m3u8", "240p-init.mp4", "240p-00000.m4s", "audio.m3u8",
                                    "audio-00000.m4s")} <= set(visit["log"]["requests"])  # segments streamed
    assert visit["site"] + "media/clip/240p.mp4" not in visit["log"]["requests"]
    page.wait_for_function("document.querySelector('track').readyState === 2", timeout=WAIT_MS)  # LOADED
    cues = page.evaluate("[...document.querySelector('video').textTracks[0].cues]"
                         ".map(c => c.getCueAsHTML().textContent)")
    assert cues == ["Hello world & friends"]
    page.evaluate("document.querySelector('video').pause()")


def test_a_browser_without_hls_plays_the_mp4(browser: Browser, site: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(site + "index.html", wait_until="load")
        # As a browser that cannot play HLS skips that <source>: take it out and load again.
        page.evaluate("""() => { const v = document.querySelector('video');
            v.querySelector('source[type="application/vnd.apple.mpegurl"]').remove(); v.load(); v.muted = true;
            return v.play(); }""")
        page.wait_for_function("document.querySelector('video').currentTime > 0.5", timeout=WAIT_MS)
        assert page.evaluate("document.querySelector('video').currentSrc") == site + "media/clip/240p.mp4"
    finally:
        context.close()


def test_every_download_link_answers_with_the_manifests_size(visit: dict) -> None:
    page: Page = visit["page"]
    manifest = embedded_manifest(page)
    sizes = {r["href"]: r["sizeInBytes"] for a in manifest["associations"] for r in a["renditions"]}
    sizes.update({r["href"]: r["sizeInBytes"] for r in manifest["renditions"]})
    answers = page.evaluate("""async () => Promise.all(
        [...document.querySelectorAll('.mediapack-downloads a[download]')].map(async a => {
            const r = await fetch(a.href, {cache: 'no-store'});  // GET: Chromium reports HEAD as aborted
            return {href: a.getAttribute('href'), status: r.status, length: r.headers.get('Content-Length'),
                    received: (await r.arrayBuffer()).byteLength};
        }))""")
    # Photo one (800x600) gets medium at its own size; two (400x500) small at its own: sizes are capped.
    # One, the lead, also has its 16:9, 4:3, 1:1 and share crops.
    assert len(answers) == 16 and {a["href"] for a in answers} >= {
        "media/one/medium.jpg", "media/one/small.jpg", "media/two/small.jpg", "media/clip/240p.mp4", "media/clip/poster.jpg", "media/clip/captions.vtt",
        f"packages/{SLUG}-web.zip", f"packages/{SLUG}-full.zip"}
    for answer in answers:
        size = sizes[answer["href"]]
        assert (answer["status"], int(answer["length"]), answer["received"]) == (200, size, size), answer


def test_clicking_the_video_link_downloads_the_file(visit: dict) -> None:
    page: Page = visit["page"]
    with page.expect_download(timeout=WAIT_MS) as event:
        page.get_by_role("link", name=f"{SLUG}-clip-240p.mp4").click()
    download = event.value
    assert download.failure() is None
    size = {r["href"]: r["sizeInBytes"] for r in embedded_manifest(page)["associations"][2]["renditions"]}
    assert download.suggested_filename == f"{SLUG}-clip-240p.mp4"  # not one more 240p.mp4
    assert Path(download.path()).stat().st_size == size["media/clip/240p.mp4"]


def test_screenshots_at_desktop_and_phone_width_and_in_print(visit: dict) -> None:
    page: Page = visit["page"]
    ARTIFACTS.mkdir(exist_ok=True)
    shots = {"desktop": ARTIFACTS / "browser-desktop.png", "phone": ARTIFACTS / "browser-phone.png",
             "print": ARTIFACTS / "browser-print.png"}
    page.screenshot(path=shots["desktop"], full_page=True)
    page.set_viewport_size(PHONE)
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, "the page scrolls sideways on a phone"
        page.screenshot(path=shots["phone"], full_page=True)
        page.emulate_media(media="print")
        assert page.locator("video").is_hidden() and page.locator(".mediapack-downloads").is_hidden()
        assert page.locator("figure.media-video figcaption").is_visible()  # the caption stays on paper
        page.screenshot(path=shots["print"], full_page=True)
        # Print layout may pick another srcset candidate: let it arrive, or going back to screen aborts it.
        page.wait_for_function("[...document.images].every(i => i.complete)", timeout=WAIT_MS)
        # With --base-url the links are absolute: then the block prints, each URL written out.
        page.evaluate("document.querySelectorAll('.mediapack-downloads a').forEach(a => a.href = a.href)")
        assert page.locator(".mediapack-downloads").is_visible()
        printed = page.evaluate("getComputedStyle(document.querySelector('.mediapack-downloads a'), '::after')"
                                ".content")
        assert printed == f'" <{visit["site"]}media/one/medium.jpg>"'
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(DESKTOP)
    for name, path in shots.items():
        with Image.open(path) as shot:
            assert shot.width == (DESKTOP if name == "desktop" else PHONE)["width"] and shot.height > 600, name


def test_long_words_and_addresses_wrap_instead_of_widening_the_page(browser: Browser, tmp_path: Path) -> None:
    word = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft"
    address = "https://example.org/" + "a-very-long-path-segment-" * 8
    make_photo(tmp_path / "story" / "a.jpg", (320, 240))
    write_story(tmp_path / "story", f"""
        headline: {word} returns
        slug: long
        published: 2026-06-20T09:30:00Z
        media:
          - {{id: a, file: a.jpg, caption: "See {address}", credit: Ann, alt: A photo}}
        """, body=f"The {word} is back, says {address}.\n\n![[a]]\n")
    assert run_cli("build", str(tmp_path / "story"), "--out", str(tmp_path / "dist"), "--no-cache").returncode == 0
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport)
        try:
            page = context.new_page()
            page.goto((tmp_path / "dist" / "long" / "index.html").as_uri())
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, viewport
        finally:
            context.close()


def test_no_console_errors_failed_requests_or_requests_elsewhere(visit: dict) -> None:
    log = visit["log"]
    cancelled = unforgiven(log["aborted"], log["answered"] & log["finished"], image_candidates(visit["page"]))
    assert log["errors"] == [] and log["failed"] == [] and cancelled == [] and log["foreign"] == []
    assert all(url.startswith(visit["site"]) for url in log["requests"])
    assert visit["site"] + "media/clip/captions.vtt" in log["requests"]


def test_only_a_cancel_superseded_by_a_successful_fetch_is_forgiven() -> None:
    hls, one = "http://h/media/clip/hls/", "http://h/media/one/"
    images = [{"current": one + "small.webp", "candidates": [one + "medium.jpg", one + "medium.webp",
                                                             one + "small.webp", one + "thumb.webp"]}]
    fetched = {hls + "240p-00000.m4s", one + "small.webp"}
    aborted = [hls + "240p-00000.m4s", one + "medium.webp", hls + "240p-00001.m4s", "http://h/media/two/small.webp"]
    # A probed segment fetched again, a candidate its <img> replaced: forgiven; a segment never
    # fetched, an image that no <img> shows instead: failures.
    assert unforgiven(aborted, fetched, images) == [hls + "240p-00001.m4s", "http://h/media/two/small.webp"]
    assert unforgiven([one + "medium.webp"], {hls + "240p-00000.m4s"}, images) == [one + "medium.webp"]


# --- an animated GIF plays as a looping video, unless the reader asks for less motion ----------------

@pytest.fixture(scope="module")
def animated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build a story holding one animated GIF and serve it."""
    base = tmp_path_factory.mktemp("animated")
    story = base / "story"
    story.mkdir()
    frames = [Image.new("RGB", (320, 200), colour) for colour in ((220, 30, 30), (20, 40, 220), (30, 200, 60))]
    frames[0].save(story / "loop.gif", save_all=True, append_images=frames[1:], duration=300, loop=0)
    (story / "story.md").write_text("---\nheadline: Animated\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                                    "  - {id: loop, file: loop.gif, caption: A loop, credit: Ann, alt: Colours}\n"
                                    "---\nText.\n", encoding="utf-8")
    proc = run_cli("build", str(story), "--out", str(base / "dist"), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=base / "dist" / "animated"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def open_animated(browser: Browser, site: str, motion: str) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=DESKTOP, reduced_motion=motion)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site + "index.html", wait_until="load")
    return page, errors


def test_an_animated_gif_loops_as_a_silent_video(browser: Browser, animated_site: str) -> None:
    page, errors = open_animated(browser, animated_site, "no-preference")
    try:
        video = page.locator("video.animation")
        assert video.get_attribute("poster").endswith("media/loop/thumb.jpg")
        # It plays, reaches its end (0.9 s) and starts again: time goes back at least once.
        page.evaluate("(() => { const v = document.querySelector('video.animation'); window.seen = {last: 0, wraps: 0};"
                      " v.addEventListener('timeupdate', () => { if (v.currentTime < window.seen.last)"
                      " window.seen.wraps++; window.seen.last = v.currentTime; }); })()")
        page.wait_for_function("window.seen.wraps >= 1 && !document.querySelector('video.animation').paused",
                               timeout=WAIT_MS)
        state = page.evaluate("(() => { const v = document.querySelector('video.animation');"
                              " return {muted: v.muted, loop: v.loop, visible: v.getBoundingClientRect().height > 0,"
                              " still: getComputedStyle(document.querySelector('.animation-still')).display}; })()")
        assert state == {"muted": True, "loop": True, "visible": True, "still": "none"}
        assert not errors
    finally:
        page.context.close()


def test_under_reduced_motion_the_animation_does_not_play_and_the_still_shows(browser: Browser,
                                                                              animated_site: str) -> None:
    page, errors = open_animated(browser, animated_site, "reduce")
    try:
        page.wait_for_timeout(1500)
        state = page.evaluate("(() => { const v = document.querySelector('video.animation');"
                              " const still = document.querySelector('.animation-still img');"
                              " return {paused: v.paused, time: v.currentTime, shown: getComputedStyle(v).display,"
                              " still: still.complete && still.naturalWidth > 0 &&"
                              " still.getBoundingClientRect().height > 0}; })()")
        assert state == {"paused": True, "time": 0, "shown": "none", "still": True}
        assert not errors
    finally:
        page.context.close()


class HeadersHandler(QuietHandler):
    """A static host that applies OUT's ``_headers`` (exact paths), as Netlify and Cloudflare Pages do."""

    rules: ClassVar[dict[str, dict[str, str]]] = {}

    def _rule(self) -> dict[str, str]:
        return self.rules.get(unquote(urlsplit(self.path).path), {})

    def guess_type(self, path) -> str:
        return self._rule().get("Content-Type") or super().guess_type(path)

    def end_headers(self) -> None:
        for name, value in self._rule().items():
            if name != "Content-Type":
                self.send_header(name, value)
        super().end_headers()


@pytest.fixture(scope="module")
def cdn_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The tiny story built for a CDN (--base-url on another origin): the page on one port, the files on another."""
    base = tmp_path_factory.mktemp("cdn")
    story = make_tiny_story(base / "tiny-story")
    rules: dict[str, dict[str, str]] = {}
    handler = type("Host", (HeadersHandler,), {"rules": rules})
    cdn = serve(handler, base / "www")
    files = f"http://127.0.0.1:{cdn.server_address[1]}/stories"
    proc = run_cli("build", str(story), "--out", str(base / "www" / "stories"), "--no-cache", "--base-url", files)
    assert proc.returncode == 0, proc.stderr
    rules.update(parse_headers((base / "www" / "stories" / "_headers").read_text(encoding="utf-8")))
    page = serve(QuietHandler, base / "www" / "stories" / SLUG)
    try:
        yield f"http://127.0.0.1:{page.server_address[1]}/", files
    finally:
        for server in (cdn, page):
            server.shutdown()
            server.server_close()


def test_across_origins_the_host_headers_make_a_link_download_under_its_name(browser: Browser,
                                                                              cdn_site: tuple[str, str]) -> None:
    site, files = cdn_site
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(site + "index.html", wait_until="load")
        link = page.get_by_role("link", name=f"{SLUG}-clip-240p.mp4")
        assert link.get_attribute("href") == f"{files}/{SLUG}/media/clip/240p.mp4"  # the browser ignores download=
        with page.expect_download(timeout=WAIT_MS) as event:
            link.click()
        assert event.value.failure() is None
        assert event.value.suggested_filename == f"{SLUG}-clip-240p.mp4"
        assert page.url == site + "index.html"  # the reader stays on the story
        # The page still plays the video and shows its captions from the other origin.
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("document.querySelector('video').currentTime > 0.5", timeout=WAIT_MS)
        # Streamed as HLS over CORS: the playlists and segments carry the host headers' content types.
        assert page.evaluate("document.querySelector('video').currentSrc") == f"{files}/{SLUG}/media/clip/hls/master.m3u8"
        page.wait_for_function("document.querySelector('track').readyState === 2", timeout=WAIT_MS)
    finally:
        context.close()
