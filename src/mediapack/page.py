"""The article page, its Downloads block and the plain-text article, rendered with Jinja2 from one manifest."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markupsafe import Markup

from .errors import single_line
from .labels import human_size, iso_duration, label
from .manifest import byline_text, href_for, json_text, story_uri, utc_stamp, write_atomic
from .model import AUDIO, PHOTO, VIDEO, BuiltMedia, Rendition, Story

KIND_WORDS = {PHOTO: "Photo", VIDEO: "Video", AUDIO: "Audio"}
INTROS = {"picture": "To download the photo click here:", "video": "To download the video file click here:",
          "audio": "To download the audio file click here:"}
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "it": "Italiano",
                  "nl": "Nederlands", "pt": "Português", "sv": "Svenska", "da": "Dansk", "nb": "Norsk",
                  "fi": "Suomi", "pl": "Polski", "uk": "Українська", "ru": "Русский", "ar": "العربية"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
IMAGE_SIZES = "(min-width: 42rem) 40rem, calc(100vw - 2rem)"  # the column in article.css, padding taken off
PORTRAIT_SIZES = "(min-width: 28rem) 26rem, calc(100vw - 2rem)"  # figure.media-portrait in article.css

_PLACEMENT = re.compile(r"!\[\[([^\]\n]*)\]\][ \t]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0/C1 controls are invalid in HTML; keep \t \n

_env = Environment(loader=PackageLoader("mediapack", "templates"), autoescape=select_autoescape(("html", "j2")),
                   undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
_env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
_env.policies["json.dumps_function"] = json_text  # so _clean() cannot alter the embedded JSON


def _placement_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Turn a line holding only ``![[id]]`` (for a known id) into a media placement token."""
    if state.is_code_block(start):
        return False
    line = state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]]
    match = _PLACEMENT.fullmatch(line)
    if not match or match.group(1).strip() not in state.env.get("media", {}):
        return False
    if not silent:
        token = state.push("media_placement", "", 0)
        token.meta = {"id": match.group(1).strip()}
        token.map = [start, start + 1]
        state.line = start + 1
    return True


def _image_as_link(self, tokens, idx, options, env) -> str:
    """Render a Markdown image in the body as a link to it: the page loads nothing from elsewhere."""
    src = str(tokens[idx].attrGet("src") or "")
    text = self.renderInlineAsText(tokens[idx].children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(text)}</a>'


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})  # captions and body are untrusted: no raw HTML
    md.add_render_rule("image", _image_as_link)
    md.block.ruler.before("paragraph", "media_placement", _placement_rule, {"alt": ["paragraph"]})
    md.add_render_rule("media_placement", lambda self, tokens, idx, options, env:
                       env["media"][tokens[idx].meta["id"]] + "\n")
    return md


_md = _make_markdown()


def _placed(tokens) -> set[str]:
    return {t.meta["id"] for t in tokens if t.type == "media_placement"}


def render_body(story: Story, media: Sequence[BuiltMedia], base_url: str | None) -> str:
    """Render the Markdown body to HTML with each media item's <figure> placed; unplaced ones follow."""
    media = [b for b in media if not b.composed]
    figures = {b.item.id: _render_figure(story, b, base_url) for b in media}
    env = {"media": figures}
    tokens = _md.parse(story.body, env)
    html = _md.renderer.render(tokens, _md.options, env)
    placed = _placed(tokens)
    return html + "".join(figures[b.item.id] + "\n" for b in media if b.item.id not in placed)


def _render_figure(story: Story, built: BuiltMedia, base_url: str | None) -> str:
    item = built.item
    fig: dict = {"kind": built.info.kind, "id": item.id, "caption": item.caption or "",
                 "credit": item.credit or item.creator or "", "alt": item.alt or ""}
    if built.info.kind == PHOTO:
        fig.update(_picture(built, lambda r: href_for(r.path, story.slug, base_url)))
        fig["sizes"] = PORTRAIT_SIZES if fig["portrait"] else IMAGE_SIZES
    else:
        fig.update(_player(story, built, lambda r: href_for(r.path, story.slug, base_url)))
    return _env.get_template("figure.html.j2").render(fig=fig).strip()


def _picture(built: BuiltMedia, href) -> dict:
    """Choose <picture> sources and the <img> fallback (medium, else the largest JPEG up to 1024 px)."""
    pictures = sorted((r for r in built.renditions if r.role == "rendition" and r.name != "square"
                       and r.width and r.content_type.startswith("image/")), key=lambda r: -r.width)
    jpegs = [r for r in pictures if r.content_type == "image/jpeg"] or pictures
    img = next((r for r in jpegs if r.name == "medium"), None) or next(
        (r for r in jpegs if r.width <= 1024), jpegs[-1] if jpegs else None)
    if img is None:
        return {"sources": [], "img": None, "portrait": False}

    def srcset(rs) -> str:
        return ", ".join(f"{href(r)} {r.width}w" for r in rs)

    sources = [{"type": kind, "srcset": srcset(r for r in pictures if r.content_type == kind)}
               for kind in ("image/avif", "image/webp")
               if kind != img.content_type and any(r.content_type == kind for r in pictures)]
    # width/height are the largest rendition's: with max-width:100% the picture is never shown stretched.
    top = jpegs[0]
    return {"sources": sources, "portrait": top.height > top.width,
            "img": {"src": href(img), "width": top.width, "height": top.height, "srcset": srcset(jpegs)}}


def _player(story: Story, built: BuiltMedia, href) -> dict:
    """Choose <video>/<audio> sources (highest first), the poster and the captions track."""
    prefix = "video/" if built.info.kind == VIDEO else "audio/"
    playable = sorted((r for r in built.renditions if r.role == "rendition" and r.content_type.startswith(prefix)),
                      key=lambda r: (-(r.height or 0), -(r.bitrate or 0)))
    poster = _poster(built)
    captions = next((r for r in built.renditions if r.role == "captions"), None)
    top = playable[0] if playable else None
    return {
        "sources": [{"src": href(r), "type": r.content_type.split(";")[0]} for r in playable],
        "portrait": bool(top and top.width and top.height and top.height > top.width),
        "poster": href(poster) if poster else None,
        "width": top.width if top else None,
        "height": top.height if top else None,
        "track": captions and {"src": href(captions), "srclang": story.language,
                               "label": language_name(story.language)},
    }


def language_name(code: str) -> str:
    """Name a BCP 47 language in itself ("English", "Deutsch"), or return the code."""
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)


def render_text(story: Story, media: Sequence[BuiltMedia], markers: bool = True) -> str:
    """Render the body as plain text, with "[Photo: caption — credit]" where media are placed."""
    media = [b for b in media if not b.composed]
    texts = {b.item.id: _media_marker(b) for b in media}
    tokens = _md.parse(story.body, {"media": texts})
    blocks = _plain_blocks(tokens, texts if markers else {})
    if markers:
        placed = _placed(tokens)
        blocks += [(texts[b.item.id], False) for b in media if b.item.id not in placed]
    out = ""
    for text, tight in blocks:
        out += ("\n" if tight and out else "\n\n" if out else "") + text
    return out + "\n" if out else ""


def _media_marker(built: BuiltMedia) -> str:
    item = built.item
    said = " — ".join(single_line(t, 2000) for t in (item.caption, item.credit or item.creator) if t)
    word = KIND_WORDS.get(built.info.kind, "Media")
    return f"[{word}: {said}]" if said else f"[{word}]"


def _plain_blocks(tokens, markers: dict[str, str]) -> list[tuple[str, bool]]:
    """Walk block tokens into (text, joins-previous-tightly) pairs: lists, quotes and code kept readable."""
    blocks: list[tuple[str, bool]] = []
    lists: list[list] = []  # per open list: [next number (None for bullets), hanging indent]
    marker, quote, tight, list_start = "", 0, False, False

    def add(text: str, is_tight: bool = False) -> None:
        nonlocal marker, list_start
        indent = "".join(hang_width for _, hang_width in lists[:-1])
        hang = indent + (lists[-1][1] if lists else "")
        lines = text.split("\n")
        lines = [(indent + marker if marker else hang) + lines[0]] + [hang + ln for ln in lines[1:]]
        blocks.append(("\n".join("> " * quote + ln for ln in lines), is_tight and not list_start))
        marker, list_start = "", False

    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            start = int(tok.attrGet("start") or 1) if tok.type == "ordered_list_open" else None
            lists.append([start, "  " if start is None else "   "])
            list_start = list_start or len(lists) == 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "list_item_open":
            number = lists[-1][0]
            marker = "- " if number is None else f"{number}. ".ljust(3)
            if number is not None:
                lists[-1][0] = number + 1
        elif tok.type == "blockquote_open":
            quote += 1
        elif tok.type == "blockquote_close":
            quote -= 1
        elif tok.type == "paragraph_open":
            tight = tok.hidden
        elif tok.type == "inline":
            add(_inline_text(tok.children or []), tight)
        elif tok.type in ("fence", "code_block"):
            add("\n".join("    " + ln for ln in tok.content.rstrip("\n").split("\n")))
        elif tok.type == "hr":
            add("* * *")
        elif tok.type == "media_placement" and tok.meta["id"] in markers:
            add(markers[tok.meta["id"]])
    return blocks


def _inline_text(children) -> str:
    out, links = [], []
    for child in children:
        if child.type in ("text", "code_inline", "image"):  # an image's content is its alt text
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "link_open":
            links.append((len(out), str(child.attrGet("href") or "")))
        elif child.type == "link_close" and links:
            start, href = links.pop()
            if href and href != "".join(out[start:]):
                out.append(f" <{href}>")
    return "".join(out)


def downloads(manifest: dict) -> list[dict]:
    """Group the manifest's downloadable renditions: per media item, then the story's packages."""
    groups = []
    for assoc in manifest.get("associations", []):
        kind, renditions = assoc.get("type"), assoc.get("renditions", [])
        if kind == "video":
            mp4 = [r for r in renditions if r.get("contentType") == "video/mp4"]
            # The ladder first, highest first; then compositions (social cuts) made from it.
            chosen = sorted(mp4, key=lambda r: (r["name"].startswith("social-"), -r.get("height", 0)))
            chosen += [r for r in renditions if r["name"] == "poster"]
            chosen += [r for r in renditions if r.get("contentType") == "text/vtt" and "caption" in r["name"]]
        elif kind == "picture":
            # Every size as JPEG; the WebP/AVIF copies of the same sizes serve the page, not partners.
            jpegs = [r for r in renditions if r.get("contentType") == "image/jpeg"]
            chosen = sorted(jpegs, key=lambda r: -r.get("width", 0) * r.get("height", 0))
        elif kind == "audio":
            chosen = [r for r in renditions if str(r.get("contentType", "")).startswith("audio/")]
        else:
            chosen = list(renditions)
        if chosen:
            caption = next((d["value"] for d in assoc.get("descriptions", []) if d.get("role") == "caption"), "")
            groups.append({"intro": INTROS.get(kind, "To download the file click here:"),
                           "caption": caption or assoc["name"], "credit": assoc.get("by", ""),
                           "links": [_link(r) for r in chosen]})
    if manifest.get("renditions"):
        groups.append({"intro": "Download the whole story:", "caption": "", "credit": "",
                       "links": [_link(r, package=True) for r in manifest["renditions"]]})
    return groups


def _link(r: dict, package: bool = False) -> dict:
    size = r.get("sizeInBytes")
    text = r.get("title") or label(r["name"], r.get("contentType", ""), size, width=r.get("width"),
                                   height=r.get("height"), duration=r.get("duration"), package=package,
                                   path=r.get("href"))
    if size is not None and human_size(size) not in text:
        text += f" · {human_size(size)}"
    # The template keeps each part on one line, so a narrow screen wraps only between parts.
    return {"href": r.get("href", ""), "type": r.get("contentType", ""), "parts": text.split(" · ")}


def make_jsonld(story: Story, media: Sequence[BuiltMedia], base_url: str | None) -> dict:
    """Describe the story for search engines as schema.org NewsArticle with its images and videos."""
    def href(r: Rendition) -> str:
        return href_for(r.path, story.slug, base_url)

    article: dict = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": story.headline}
    if base_url:
        article["url"] = article["mainEntityOfPage"] = story_uri(story.slug, base_url)
    if story.standfirst:
        article["description"] = story.standfirst
    if story.byline:
        article["author"] = [{"@type": "Person", "name": name} for name in story.byline]
    if story.published:
        article["datePublished"] = utc_stamp(story.published)
    if story.updated or story.published:
        article["dateModified"] = utc_stamp(story.updated or story.published)
    article["inLanguage"] = story.language
    if story.section:
        article["articleSection"] = story.section
    if story.copyright:
        article["copyrightNotice"] = story.copyright
    # No publisher: the story names none, and guessing one from the copyright line would be invention.
    media = [b for b in media if not b.composed]
    images = [_image_object(b, href) for b in media if b.info.kind == PHOTO]
    videos = [_video_object(story, b, href) for b in media if b.info.kind == VIDEO]
    images = [i for i in images if i]
    if not images:  # Google wants an article image: a video's poster stands in for missing photos
        images = [_poster_object(b, href) for b in media if b.info.kind == VIDEO]
        images = [i for i in images if i]
    if images:
        article["image"] = images
    if videos:
        article["video"] = videos
    return article


def _poster(built: BuiltMedia) -> Rendition | None:
    return next((r for r in built.renditions if r.role == "poster"), None)


def _credits(item) -> dict:
    """Return the schema.org credit fields a media item has: creditText, copyrightNotice, creator."""
    common = {k: v for k, v in (("creditText", item.credit), ("copyrightNotice", item.copyright)) if v}
    if item.creator:
        common["creator"] = {"@type": "Person", "name": item.creator}
    return common


def _image_object(built: BuiltMedia, href) -> dict | None:
    """Describe a photo by its largest JPEG, or return None if it has none."""
    jpegs = [r for r in built.renditions if r.role == "rendition" and r.content_type == "image/jpeg"
             and r.name != "square" and r.width]
    if not jpegs:
        return None
    top, item = max(jpegs, key=lambda r: r.width * (r.height or 0)), built.item
    return {"@type": "ImageObject", "contentUrl": href(top), "url": href(top),
            **({"caption": item.caption} if item.caption else {}), **_credits(item),
            "width": top.width, "height": top.height}


def _poster_object(built: BuiltMedia, href) -> dict | None:
    poster = _poster(built)
    if poster is None:
        return None
    obj = {"@type": "ImageObject", "contentUrl": href(poster), "url": href(poster)}
    if poster.width and poster.height:
        obj.update(width=poster.width, height=poster.height)
    return obj


def _video_object(story: Story, built: BuiltMedia, href) -> dict:
    """Describe a video: name, description, thumbnail, upload date, ISO 8601 duration, best MP4."""
    item = built.item
    mp4 = sorted((r for r in built.renditions if r.role == "rendition" and r.content_type == "video/mp4"),
                 key=lambda r: -(r.height or 0))
    poster = _poster(built)
    video = {"@type": "VideoObject", "name": item.caption or story.headline,
             "description": item.caption or item.alt or story.standfirst or story.headline}
    if poster:
        video["thumbnailUrl"] = href(poster)
    if story.published or story.updated:
        video["uploadDate"] = utc_stamp(story.published or story.updated)
    if built.info.duration:
        video["duration"] = iso_duration(built.info.duration)
    if mp4:
        video["contentUrl"] = href(mp4[0])
    return {**video, **_credits(item)}


def _display_date(stamp: str) -> str:
    """Format "2026-06-20T09:30:00Z" as "20 June 2026, 09:30 UTC" without depending on the locale."""
    return f"{int(stamp[8:10])} {MONTHS[int(stamp[5:7]) - 1]} {stamp[:4]}, {stamp[11:16]} UTC"


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _article_text(story: Story, media: Sequence[BuiltMedia], byline: str, dates: list[str]) -> str:
    """Assemble article.txt: headline, standfirst, byline and dates, body, copyright."""
    def line(text: str) -> str:
        return single_line(text, 10_000)

    headline = line(story.headline)
    meta = ([f"By {line(byline)}"] if byline else []) + ([f"Section: {line(story.section)}"] if story.section else [])
    parts = [f"{headline}\n{'=' * len(headline)}", line(story.standfirst or ""), "\n".join(meta + dates),
             render_text(story, media).rstrip("\n"), line(story.copyright or "")]
    return "\n\n".join(p for p in parts if p) + "\n"


def write_article(out_root: Path, story: Story, media: Sequence[BuiltMedia], manifest: dict,
                  base_url: str | None) -> tuple[Path, ...]:
    """Write index.html, embed.html and article.txt into ``out_root`` atomically; return their paths."""
    updated = story.updated if story.updated != story.published else None
    dates = [(word, utc_stamp(moment), _display_date(utc_stamp(moment)))
             for word, moment in (("Published", story.published), ("Updated", updated)) if moment]
    context = {
        "story": story, "byline": byline_text(story.byline), "dates": dates,
        "body": Markup(render_body(story, media, base_url)), "groups": downloads(manifest), "manifest": manifest,
        "jsonld": make_jsonld(story, media, base_url),
        "generator": next((s["name"] for s in manifest.get("infoSources", []) if s.get("role") == "generator"),
                          "mediapack"),
    }
    page = _env.get_template("article.html.j2").render(**context)
    embed = _env.get_template("embed.html.j2").render(**context)
    text = _article_text(story, media, context["byline"], [f"{word}: {display}" for word, _, display in dates])
    return tuple(write_atomic(out_root / name, _clean(content).encode("utf-8"))
                 for name, content in (("index.html", page), ("embed.html", embed), ("article.txt", text)))
