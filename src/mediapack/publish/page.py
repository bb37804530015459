"""The article page, its Downloads block and the plain-text article, rendered from one manifest and one body."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from markupsafe import Markup

from ..errors import single_line
from ..files import utc_stamp, write_atomic
from ..i18n import Words, story_words
from ..model import BuiltMedia, Story
from .body import Body
from .downloads import downloads
from .jsonld import make_jsonld
from .share import share_tags
from .templates import render

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0/C1 controls are invalid in HTML; keep \t \n


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _article_text(story: Story, body: Body, words: Words, dates: list[str]) -> str:
    """Assemble article.txt: headline, standfirst, byline and dates, body, copyright."""
    def line(text: str) -> str:
        return single_line(text, None, keep_bidi=True)

    headline = line(story.headline)
    names = [line(name) for name in story.byline if name]
    byline = words.names(names)
    meta = ([words("by", len(names), names=byline)] if byline else []) + (
        [words("section", section=line(story.section))] if story.section else [])
    parts = [f"{headline}\n{'=' * len(headline)}", line(story.standfirst or ""), "\n".join(meta + dates),
             body.text.rstrip("\n"), line(story.copyright or "")]
    return "\n\n".join(p for p in parts if p) + "\n"


def _byline(words: Words, names: Sequence[str]) -> Markup:
    """Return "By A and B" as HTML, each name isolated so a Latin name keeps its place in a Persian line."""
    isolated = [str(Markup("<bdi>{}</bdi>").format(name)) for name in names if name]
    return words.markup("by", len(isolated), names=Markup(words.names(isolated))) if isolated else Markup("")


def write_article(out_root: Path, story: Story, media: Sequence[BuiltMedia], manifest: dict, body: Body,
                  base_url: str | None, words: Words | None = None) -> tuple[Path, ...]:
    """Write index.html, embed.html and article.txt into ``out_root`` atomically; return their paths."""
    words = words or story_words(story)
    updated = story.updated if story.updated != story.published else None
    moments = [(key, moment) for key, moment in (("published", story.published), ("updated", updated)) if moment]
    dates = [words.markup(key, date=Markup('<time datetime="{}">{}</time>').format(utc_stamp(moment),
                                                                                words.moment(moment)))
             for key, moment in moments]
    canonical, meta = share_tags(story, media, base_url)
    context = {
        "canonical": canonical, "share_tags": meta,
        "story": story, "words": words, "byline": _byline(words, story.byline), "dates": dates,
        "body": Markup(body.html), "groups": downloads(manifest, words), "manifest": manifest,
        "jsonld": make_jsonld(story, media, base_url),
        "has_animation": any(r.role == "animation" for m in media for r in m.renditions),
        "has_credentials": any(r.signed_by for m in media for r in m.renditions),  # the mark's style
        "generator": next((s["name"] for s in manifest.get("infoSources", []) if s.get("role") == "generator"),
                          "mediapack"),
    }
    page = render("article.html.j2", **context)
    embed = render("embed.html.j2", **context)
    text = _article_text(story, body, words, [words(key, date=words.moment(moment)) for key, moment in moments])
    return tuple(write_atomic(out_root / name, _clean(content).encode("utf-8"))
                 for name, content in (("index.html", page), ("embed.html", embed), ("article.txt", text)))
