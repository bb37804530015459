"""Hostile text (HTML, template syntax, Rich markup, control characters) shows literally or is dropped, everywhere."""

from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hostile_inputs import CONTROL, HOSTILE, TERMINAL_ESCAPE, VISIBLE, with_iptc, yaml_text
from rich.console import Console

from conftest import make_photo, make_video, run_cli, write_story
from mediapack.progress import RichReporter

KEY = "[bold]k\x1b[31m\x9bz"  # an unknown front matter key: it reaches the terminal as a warning
SHOWN_KEY = "[bold]k [31m z"  # ... folded onto one line, escape characters turned into spaces
IPTC_CAPTION = "IPTC " + HOSTILE
SUBTITLES = ("1\n00:00:00,000 --> 00:00:00,500\n<script>alert(3)</script> a --> b \x1b[31m{{ 7*7 }}\n\n"
             "2\n00:00:00,500 --> 00:00:00,900\n[bold]red[/bold] & <b>kept</b>\x9b2J\n")
BODY = (f"Body {HOSTILE}\n\n<script>alert(2)</script>\n\n![[pic]]\n\n![tracker](http://tracker.example/p.png)\n\n"
        "[js](javascript:alert(3))\n\n![[clip]]\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build (with --json), check and probe a story made of hostile text; keep what each printed."""
    root = tmp_path_factory.mktemp("text")
    story = root / "story"
    with_iptc(make_photo(story / "photos" / "pic.jpg", (320, 240)), IPTC_CAPTION, "IPTC [bold]credit[/bold]")
    make_video(story / "video" / "clip.mp4", seconds=1.0, size=(160, 120))
    (story / "video" / "clip.srt").write_text(SUBTITLES, encoding="utf-8")
    text = yaml_text(HOSTILE)
    write_story(story, f"""
        headline: {text}
        standfirst: {text}
        byline: [{text}, Second Name]
        section: {text}
        copyright: {text}
        {yaml_text(KEY)}: 1
        media:
          - {{id: pic, file: photos/pic.jpg, alt: {text}}}
          - {{id: clip, file: video/clip.mp4, caption: {text}, credit: {text}, subtitles: video/clip.srt}}
        """, body=BODY)
    out = root / "out"
    runs = {"build": run_cli("build", str(story), "--out", str(out), "--json", "--no-cache"),
            "check": run_cli("check", str(story)),
            "probe": run_cli("probe", str(story / "photos" / "pic.jpg")),
            "probe-json": run_cli("probe", "--json", str(story / "photos" / "pic.jpg"))}
    assert runs["build"].returncode == 0, runs["build"].stderr
    slug = json.loads(runs["build"].stdout)["stories"][0]["slug"]
    return {"root": out / slug, "runs": runs, "slug": slug}


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element (by tag name)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("img", "source", "track", "meta", "link", "br", "hr"):
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data):
        for tag in self._open:
            self.texts.setdefault(tag, []).append(data)

    def text(self, tag: str) -> str:
        return "".join(self.texts.get(tag, []))


def read(built: dict, name: str) -> str:
    data = (built["root"] / name).read_bytes().decode("utf-8")
    assert not CONTROL.search(data), f"a raw control character in {name}"
    return data


@pytest.mark.parametrize("name", ["index.html", "embed.html"])
def test_pages_show_hostile_text_as_text_and_run_nothing(built: dict, name: str) -> None:
    page = Elements(read(built, name))
    scripts = [attrs.get("type") for tag, attrs in page.tags if tag == "script"]
    assert scripts == (["application/ld+json", "application/json"] if name == "index.html" else [])
    assert not [(tag, key) for tag, attrs in page.tags for key in attrs if key.startswith("on")]
    for tag, attrs in page.tags:
        for key in ("src", "srcset", "poster", "href"):
            value = attrs.get(key) or ""
            assert not value.startswith("javascript:"), (tag, value)
            if tag != "a" and value:  # nothing the page loads by itself comes from elsewhere
                assert value.startswith(("media/", "data:")), (tag, key, value)
    visible = page.text("body")
    for piece in VISIBLE:
        assert piece in visible, piece
    if name == "index.html":
        assert page.text("h1") == CONTROL.sub("", HOSTILE)
        assert "<script>alert(2)</script>" in visible  # the body's raw HTML, shown as text
        assert "IPTC <script>alert(1)</script>" in page.text("figcaption")


def test_json_ld_and_the_embedded_manifest_carry_the_text_exactly(built: dict) -> None:
    html = read(built, "index.html")
    scripts = re.findall(r'<script type="application/(ld\+json|json)"[^>]*>(.*?)</script>', html, re.DOTALL)
    ld, manifest = (json.loads(body) for _, body in scripts)
    assert ld["headline"] == HOSTILE and ld["video"][0]["description"] == HOSTILE
    assert manifest == json.loads(read(built, "manifest.json"))
    assert manifest["headlines"][0]["value"] == HOSTILE
    captions = {a["name"]: a["descriptions"][0]["value"] for a in manifest["associations"]}
    assert captions["clip"] == HOSTILE and captions["pic"].startswith("IPTC <script>alert(1)</script>")


def test_article_txt_shows_the_text_literally(built: dict) -> None:
    text = read(built, "article.txt")
    for piece in VISIBLE:
        assert piece in text, piece
    assert "<script>alert(2)</script>" in text


def test_webvtt_cues_cannot_hold_tags_or_end_early(built: dict) -> None:
    vtt = read(built, "media/clip/captions.vtt")
    assert "<script" not in vtt and "&lt;script&gt;alert(3)&lt;/script&gt; a --&gt; b" in vtt
    assert "{{ 7*7 }}" in vtt and "[bold]red[/bold] &amp; <b>kept</b>" in vtt
    for line in vtt.splitlines():
        if "-->" in line:
            assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", line), line


def test_package_entries_are_safe_names_and_clean_text(built: dict) -> None:
    for package in ("web", "full"):
        with zipfile.ZipFile(built["root"] / "packages" / f"{built['slug']}-{package}.zip") as archive:
            for name in archive.namelist():
                assert not name.startswith("/") and ".." not in name.split("/") and not CONTROL.search(name)
                if name.endswith((".html", ".json", ".txt", ".vtt")):
                    assert not CONTROL.search(archive.read(name).decode("utf-8")), name


@pytest.mark.parametrize("command", ["build", "check", "probe", "probe-json"])
def test_no_escape_from_the_input_reaches_the_terminal(built: dict, command: str) -> None:
    run = built["runs"][command]
    assert run.returncode == 0, run.stderr
    for stream in (run.stdout, run.stderr):
        assert not TERMINAL_ESCAPE.search(stream), stream
    said = run.stdout + run.stderr
    if command in ("build", "check"):
        assert f"{SHOWN_KEY}: unknown front matter key (ignored)" in said, said
    else:
        assert "IPTC <script>alert(1)</script> {{ 7*7 }} {% raw %} [bold]red[/bold]" in said
        assert "IPTC [bold]credit[/bold]" in said


def test_a_refused_story_reports_hostile_text_without_escapes(tmp_path: Path) -> None:
    write_story(tmp_path, f"headline: h\npublished: {yaml_text(HOSTILE)}\n",
                body="![[<script>\x1b[2J{{x}}]]\n")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 1
    assert not TERMINAL_ESCAPE.search(proc.stderr), proc.stderr
    assert "published: not an ISO 8601 date-time like 2026-06-20T09:30:00Z: '<script>alert(1)</script>" in proc.stderr
    assert "![[<script> [2J{{x}}]]: placement names no media item" in proc.stderr


def test_progress_bars_do_not_interpret_rich_markup() -> None:
    stream = io.StringIO()
    reporter = RichReporter(Console(file=stream, force_terminal=True, width=200))
    reporter.task("story: photo [bold]id[/bold]")(1.0)
    reporter.note("warning: [red]not red[/red] [link=http://x]x[/link]")
    reporter.close()
    shown = stream.getvalue()
    assert "[bold]id[/bold]" in shown and "[red]not red[/red] [link=http://x]x[/link]" in shown
