"""The story's Markdown body, rendered once a build: HTML with each figure placed, and plain text with markers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock

from ..errors import single_line
from ..i18n import Words, story_words
from ..model import BuiltMedia, Story, lead_item_id
from .figures import render_figure
from .labels import kind_label

_PLACEMENT = re.compile(r"!\[\[([^\]\n]*)\]\][ \t]*")


@dataclass(frozen=True)
class Body:
    """The body as the page, the manifest and article.txt show it."""

    html: str  # every placed <figure> where its ``![[id]]`` line was, the others after the text
    text: str  # plain text with "[Photo: caption — credit]" markers, the unplaced ones after the text
    words: int  # of the text without its markers


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


def render_body(story: Story, media: Sequence[BuiltMedia], base_url: str | None, words: Words | None = None
                ) -> Body:
    """Parse the Markdown body once; render it as HTML with figures and as plain text with markers."""
    words = words or story_words(story)
    media = [b for b in media if not b.composed]
    lead = lead_item_id({b.item.id: b.info for b in media})  # the first photo (a video's poster is no <img>)
    figures = {b.item.id: render_figure(story, b, base_url, words, lead=b.item.id == lead) for b in media}
    markers = {b.item.id: _media_marker(b, words) for b in media}
    env = {"media": figures}  # the placement rule needs the ids; rendering, the figures
    tokens = _below_the_headline(_md.parse(story.body, env))
    placed = _placed(tokens)
    unplaced = [b.item.id for b in media if b.item.id not in placed]
    html = _md.renderer.render(tokens, _md.options, env) + "".join(figures[i] + "\n" for i in unplaced)
    blocks = _plain_blocks(tokens, markers) + [(markers[i], False) for i in unplaced]
    words = sum(len(text.split()) for text, _ in _plain_blocks(tokens, {}))
    return Body(html, _join(blocks), words)


def _below_the_headline(tokens: list) -> list:
    """Shift the body's headings so its top level is <h2>: the page's one <h1> is the headline."""
    headings = [t for t in tokens if t.type in ("heading_open", "heading_close")]
    shift = 2 - min((int(t.tag[1]) for t in headings), default=2)
    for token in headings if shift > 0 else ():
        token.tag = f"h{min(6, int(token.tag[1]) + shift)}"
    return tokens


def _join(blocks: list[tuple[str, bool]]) -> str:
    out = ""
    for text, tight in blocks:
        out += ("\n" if tight and out else "\n\n" if out else "") + text
    return out + "\n" if out else ""


def _media_marker(built: BuiltMedia, words: Words) -> str:
    item = built.item
    said = " — ".join(single_line(t, None, keep_bidi=True) for t in (item.caption, item.credit or item.creator) if t)
    kind = kind_label(words, built.info.kind)
    return f"[{words('credit_line', kind=kind, credit=said)}]" if said else f"[{kind}]"


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


