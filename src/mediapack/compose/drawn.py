"""The words each composition draws, as it draws them: one source for the compositions and for check."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from itertools import pairwise

from ..i18n import story_words, subtitles_language
from ..model import PHOTO, VIDEO, Story
from ..video.webvtt import parse_subtitles

_VTT_TAG = re.compile(r"<[^>]*>")
_JOINERS = "\u200c\u200d"  # ZWNJ and ZWJ: Persian's half-space and forced joins are part of the word


def clean_text(text: str | None) -> str:
    """Return ``text`` as it will be drawn: control and format characters gone, whitespace collapsed."""
    if not text:
        return ""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" or ch in "\u2028\u2029":
            kept.append(" ")
        elif not category.startswith("C") or ch in _JOINERS:
            kept.append(ch)
    return " ".join("".join(kept).split())


def read_cues(cues: Sequence[tuple[float, float, str, Sequence[str]]]) -> list[tuple[float, float, str]]:
    """Return (start, end, text) of each cue read by ``webvtt.read_subtitles``, as the words to draw.

    Styling tags go and entities are decoded (they are WebVTT's own syntax); whatever the text then
    says, markup or template syntax included, is drawn as it stands.
    """
    drawn = []
    for start, end, _, lines in cues:
        words = clean_text(" ".join(html.unescape(_VTT_TAG.sub("", line)) for line in lines))
        if words:
            drawn.append((start, end, words))
    return drawn


def cue_intervals(cues: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, tuple[str, ...]]]:
    """Split the cues' time into spans with a constant set of cues: (start, end, their texts earliest first).

    Overlapping cues are shown together, the later one below, as a web player stacks them; a gap shows nothing.
    """
    order = sorted(range(len(cues)), key=lambda n: (cues[n][0], n))  # by start, then as the file has them
    bounds = sorted({time for start, end, _ in cues if start < end for time in (start, end)})
    spans = []
    for start, end in pairwise(bounds):
        texts = tuple(cues[n][2] for n in order if cues[n][0] <= start and end <= cues[n][1])
        if texts:
            spans.append((start, end, texts))
    return spans


def title_words(story: Story) -> tuple[str, str | None, str]:
    """Return the title card's headline, kicker (the section) and byline, its names joined as the language does."""
    return story.headline, story.section, story_words(story).names(story.byline)  # "A, B and C", "A و B"


def drawn_texts(story: Story, kinds: Mapping[str, str]) -> list[str]:
    """Return every text the story's compositions will draw; ``kinds`` maps each media id to PHOTO, VIDEO..."""
    request = story.compose
    texts: list[str | None] = []
    if request is not None and request.slideshow:
        texts += title_words(story)
        texts += [text for item in story.media if kinds.get(item.id) == PHOTO for text in (item.caption, item.credit)]
    if request is not None and request.social:
        for item in (item for item in story.media if kinds.get(item.id) == VIDEO):
            texts.append(item.credit)
            if item.subtitles:  # unreadable subtitles are check's problem elsewhere: they draw nothing here
                language = subtitles_language(item.subtitles, story.language)
                texts += [text for _, _, text in read_cues(parse_subtitles(story.folder / item.subtitles, language)[0])]
    return [drawn for text in texts if (drawn := clean_text(text))]
