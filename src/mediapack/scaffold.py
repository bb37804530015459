"""mediapack init: scaffold a story folder a producer can fill in."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

STORY_TEMPLATE = """\
---
# Required: the headline. Everything else is optional.
headline: "{headline}"
# slug: my-story            # a-z, 0-9 and '-'; derived from the headline when left out
standfirst: "One or two sentences that sum the story up."
byline: ["Reporter Name"]        # or {name: "Reporter Name", url: "https://example.org/staff/reporter"}
section: News
published: 2026-01-01T09:00:00Z   # ISO 8601, also the timestamp inside the zip packages; the page shows
                                  # it in the offset written here (2026-01-01T12:30:00+03:30)
language: en                      # labels, dates and direction follow it (fa, ar, he: right to left)
# dir: rtl                        # only to override the language's own direction
copyright: "© Example News"
# subjects: [medtop:20000763]     # IPTC Media Topic codes for partners (https://cv.iptc.org/newscodes/mediatopic/)
# uri: urn:newsroom:2026:my-story # a stable identifier for partners; else [manifest] uri_prefix + slug
media: []
# media:
#   - id: lead-photo              # a-z, 0-9 and '-', unique
#     file: photos/lead.jpg       # relative to this folder
#     caption: "What the photo shows."
#     credit: "Photographer/Agency"
#     alt: "What a screen reader should say."
#     focus: [0.5, 0.3]           # optional: the subject, as fractions of width and height; crops centre on it
#   - id: main-video
#     file: video/main.mp4
#     caption: "What the video shows."
#     credit: "Videographer/Agency"
#     subtitles: video/main.en.srt   # optional, .srt or .vtt
#     poster_at: 3.5                 # optional, seconds
---
{body}

A line holding only ![[media-id]] (with double brackets) places a media item there;
items you never place are shown after the article.
"""


# What the scaffold says until a producer writes the story: check warns about a story still saying it.
PLACEHOLDERS = {"headline": "Write the headline here", "body": "Write the article here in Markdown."}


def placeholders_left(headline: str, body: str) -> list[str]:
    """Name the parts of a story (headline, body) still holding the words mediapack init wrote."""
    return [part for part, text in (("headline", headline), ("body", body)) if PLACEHOLDERS[part] in text]


def init_story(folder: Path) -> Path:
    """Create ``folder`` with story.md, photos/ and video/; refuse to overwrite an existing story."""
    story = folder / "story.md"
    if story.exists():
        raise InputError(f"{story}: already exists; not overwriting it")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    try:
        for sub in ("photos", "video"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        with story.open("x", encoding="utf-8") as handle:  # "x": never replace a story made meanwhile
            handle.write(STORY_TEMPLATE.replace("{headline}", PLACEHOLDERS["headline"])
                         .replace("{body}", PLACEHOLDERS["body"]))
    except FileExistsError:
        raise InputError(f"{story}: already exists; not overwriting it") from None
    except OSError as exc:
        raise InputError(f"{exc.filename or folder}: cannot create the story there: {exc.strerror or exc}") from None
    return story
