"""Each media item's <figure>: a <picture> with srcsets for photos, a <video>/<audio> player with its track."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from markupsafe import Markup

from ..i18n import Words, story_words, subtitles_language
from ..model import PHOTO, VIDEO, BuiltMedia, Rendition, Story
from .labels import kind_label, language_name
from .links import href_for
from .templates import render

IMAGE_SIZES = "(min-width: 42rem) 40rem, calc(100vw - 2rem)"  # the column in article.css, padding taken off
PORTRAIT_SIZES = "(min-width: 28rem) 26rem, calc(100vw - 2rem)"  # figure.media-portrait in article.css


def render_figure(story: Story, built: BuiltMedia, base_url: str | None, words: Words | None = None, *,
                  lead: bool = False) -> str:
    """Return the HTML <figure> of one media item, its caption and credit in the <figcaption>.

    The ``lead`` photo is the page's largest paint: it is loaded at once and first, never lazily.
    """
    item = built.item
    words = words or story_words(story)
    credit = item.credit or item.creator or ""
    fig: dict = {"kind": built.info.kind, "id": item.id, "caption": item.caption or "", "credit": credit,
                 "alt": item.alt or "", "lead": lead,
                 # An English caption in a Persian story reads left to right; the page's credit label keeps its own way.
                 "caption_auto": words.reads_other_way(item.caption or ""), "page_dir": words.direction,
                 "signed_by": next((r.signed_by for r in built.renditions if r.signed_by), None),
                 # "Photo: Gent Shkullaku/AFP", the credit isolated: a Latin credit keeps its place in a Persian line
                 "credit_line": words.markup("credit_line", kind=kind_label(words, built.info.kind),
                                             credit=Markup("<bdi>{}</bdi>").format(credit))}
    if built.info.kind == PHOTO:
        fig.update(_picture(built, lambda r: href_for(r.path, story.slug, base_url)))
        fig["sizes"] = PORTRAIT_SIZES if fig["portrait"] else IMAGE_SIZES
    else:
        fig.update(_player(story, built, lambda r: href_for(r.path, story.slug, base_url)))
        # A track from another origin loads only over CORS, asked for by the player's crossorigin: with
        # --base-url the page (or embed.html in a CMS) may be elsewhere. _headers lets any origin read them.
        fig["crossorigin"] = bool(base_url and fig["track"])
    return render("figure.html.j2", fig=fig).strip()


def _picture(built: BuiltMedia, href) -> dict:
    """Choose <picture> sources and the <img> fallback (medium, else the largest JPEG up to 1024 px)."""
    pictures = sorted((r for r in built.renditions if r.role == "rendition" and r.name != "square"
                       and r.width and r.content_type.startswith("image/")), key=lambda r: -r.width)
    # The <img> takes one format, the one most browsers show: JPEG, else WebP, else AVIF (sizes set without JPEG).
    kinds = {r.content_type for r in pictures}
    fallback = next((kind for kind in ("image/jpeg", "image/webp", "image/avif") if kind in kinds),
                    pictures[0].content_type if pictures else None)
    jpegs = [r for r in pictures if r.content_type == fallback]
    img = next((r for r in jpegs if r.name == "medium"), None) or next(
        (r for r in jpegs if r.width <= 1024), jpegs[-1] if jpegs else None)
    if img is None:
        return {"sources": [], "img": None, "portrait": False, "animation": None}

    def srcset(rs) -> str:
        return ", ".join(f"{href(r)} {r.width}w" for r in rs)

    sources = [{"type": kind, "srcset": srcset(r for r in pictures if r.content_type == kind)}
               for kind in ("image/avif", "image/webp")
               if kind != img.content_type and any(r.content_type == kind for r in pictures)]
    # width/height are the largest rendition's: with max-width:100% the picture is never shown stretched.
    top = jpegs[0]
    loop = next((r for r in built.renditions if r.role == "animation"), None)
    return {"sources": sources, "portrait": top.height > top.width,
            "img": {"src": href(img), "width": top.width, "height": top.height, "srcset": srcset(jpegs)},
            "animation": loop and {"src": href(loop), "type": loop.content_type, "poster": href(img),
                                   "width": loop.width, "height": loop.height}}


def _player(story: Story, built: BuiltMedia, href) -> dict:
    """Choose <video>/<audio> sources (highest first), the poster and the captions track."""
    prefix = "video/" if built.info.kind == VIDEO else "audio/"
    playable = sorted((r for r in built.renditions if r.role == "rendition" and r.content_type.startswith(prefix)),
                      key=lambda r: (-(r.height or 0), -(r.bitrate or 0)))
    # The WebP poster when there is one (every browser that plays the MP4 shows WebP): a third smaller.
    poster = next((r for r in built.renditions if r.role == "poster" and r.content_type == "image/webp"),
                  None) or poster_of(built)
    captions = next((r for r in built.renditions if r.role == "captions"), None)
    lang = subtitles_language(built.item.subtitles, story.language)  # the subtitle file's (x.fa.srt), else the story's
    top = playable[0] if playable else None
    # A browser that streams HLS natively takes the master; the others skip to the MP4s.
    streams = [r for r in built.renditions if r.role == "stream"]
    return {
        # The master for every viewport (HLS adapts by itself), then the MP4s, each under its media query.
        "sources": [{"src": href(r), "type": r.content_type.split(";")[0], "media": None} for r in streams]
        + [{"src": href(r), "type": r.content_type.split(";")[0], "media": media}
           for r, media in zip(playable, rung_media(playable), strict=True)],
        "portrait": bool(top and top.width and top.height and top.height > top.width),
        "poster": href(poster) if poster else None,
        "width": top.width if top else None,
        "height": top.height if top else None,
        "track": captions and {"src": href(captions), "srclang": lang, "label": language_name(lang)},
    }

def rung_media(playable: Sequence[Rendition]) -> list[str | None]:
    """Give each video source, highest first, the media query under which it is the one to load.

    A rung is enough while the viewport is at most half its width (a 2x screen, the video filling
    the width): a 375 px phone takes 480p (854 wide), a desktop the top rung. The browser takes the
    first <source> that matches, so each rung asks for a viewport wider than the next one down
    covers, and the smallest asks nothing; a browser that ignores ``media`` takes the top rung as before.
    """
    queries: list[str | None] = []
    for higher, lower in pairwise(playable):
        wider = bool(higher.width and lower.width and higher.width > lower.width)
        queries.append(f"(min-width: {lower.width // 2 + 1}px)" if wider else None)
    return [*queries, None] if playable else []


def poster_of(built: BuiltMedia) -> Rendition | None:
    """Return a video's poster rendition (the JPEG), or None."""
    return next((r for r in built.renditions if r.role == "poster"), None)
