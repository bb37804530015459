"""The article page, its Downloads block and the plain-text article, rendered from one manifest and one body."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from markupsafe import Markup

from ..errors import single_line
from ..files import utc_stamp, write_atomic
from ..model import BuiltMedia, Story
from .body import Body
from .downloads import downloads
from .jsonld import make_jsonld
from .labels import MONTHS, byline_text
from .share import share_tags
from .templates import render

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0/C1 controls are invalid in HTML; keep \t \n


def _display_date(stamp: str) -> str:
    """Format "2026-06-20T09:30:00Z" as "20 June 2026, 09:30 UTC" without depending on the locale."""
    return f"{int(stamp[8:10])} {MONTHS[int(stamp[5:7]) - 1]} {stamp[:4]}, {stamp[11:16]} UTC"


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _article_text(story: Story, body: Body, byline: str, dates: list[str]) -> str:
    """Assemble article.txt: headline, standfirst, byline and dates, body, copyright."""
    def line(text: str) -> str:
        return single_line(text, None, keep_bidi=True)

    headline = line(story.headline)
    meta = ([f"By {line(byline)}"] if byline else []) + ([f"Section: {line(story.section)}"] if story.section else [])
    parts = [f"{headline}\n{'=' * len(headline)}", line(story.standfirst or ""), "\n".join(meta + dates),
             body.text.rstrip("\n"), line(story.copyright or "")]
    return "\n\n".join(p for p in parts if p) + "\n"


def write_article(out_root: Path, story: Story, media: Sequence[BuiltMedia], manifest: dict, body: Body,
                  base_url: str | None) -> tuple[Path, ...]:
    """Write index.html, embed.html and article.txt into ``out_root`` atomically; return their paths."""
    updated = story.updated if story.updated != story.published else None
    dates = [(word, utc_stamp(moment), _display_date(utc_stamp(moment)))
             for word, moment in (("Published", story.published), ("Updated", updated)) if moment]
    canonical, meta = share_tags(story, media, base_url)
    context = {
        "canonical": canonical, "share_tags": meta,
        "story": story, "byline": byline_text(story.byline), "dates": dates,
        "body": Markup(body.html), "groups": downloads(manifest), "manifest": manifest,
        "jsonld": make_jsonld(story, media, base_url),
        "has_animation": any(r.role == "animation" for m in media for r in m.renditions),
        "generator": next((s["name"] for s in manifest.get("infoSources", []) if s.get("role") == "generator"),
                          "mediapack"),
    }
    page = render("article.html.j2", **context)
    embed = render("embed.html.j2", **context)
    text = _article_text(story, body, context["byline"], [f"{word}: {display}" for word, _, display in dates])
    return tuple(write_atomic(out_root / name, _clean(content).encode("utf-8"))
                 for name, content in (("index.html", page), ("embed.html", embed), ("article.txt", text)))
