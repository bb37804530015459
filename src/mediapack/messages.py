"""Every word the tool writes for readers, by key, in English: the gettext source and the [page.labels] keys."""

from __future__ import annotations

import string

# Key (the gettext context, and the name a newsroom overrides in [page.labels]) -> English text. A
# {placeholder} is filled in when the text is used; a translation or override keeps the same ones.
MESSAGES = {
    "by": "By {names}",
    "section": "Section: {section}",
    "published": "Published {date}",
    "updated": "Updated {date}",
    "photo": "Photo",
    "video": "Video",
    "audio": "Audio",
    "media": "Media",
    "credit_line": "{kind}: {credit}",
    "downloads": "Downloads",
    "downloads_of": "Downloads: {headline}",
    "photo_intro": "To download the photo click here:",
    "video_intro": "To download the video file click here:",
    "audio_intro": "To download the audio file click here:",
    "file_intro": "To download the file click here:",
    "story_intro": "Download the whole story:",
    "nothing": "Nothing to download.",
    "more_files": "Other sizes and files ({count})",
    "slideshow": "Slideshow: {headline}",
    "package": "{name} package",
    "web_package": "Web package",
    "full_package": "Full package",
    "licence": "Licence: {url}",
    "to_license": "To license it: {url}",
    # Rendition names, as the Downloads links start: "Large JPEG · 2048×1365 · 640 kB".
    "large": "Large",
    "medium": "Medium",
    "small": "Small",
    "thumb": "Thumb",
    "square": "Square",
    "poster": "Poster",
    "captions": "Captions",
    "thumbnails": "Thumbnails",
    "animation": "Animation",
    "original": "Original",
    "social": "Social",
    "file": "File",
}
# Labels whose words change with a count (gettext plural forms): "Автор: A", "Авторы: A и B".
COUNTED = frozenset({"by"})
DOMAIN = "mediapack"  # the catalogues' file name: locales/<language>/LC_MESSAGES/mediapack.mo


def placeholders(text: str) -> set[str] | None:
    """Return the {names} a text fills in, or None if its braces are not a valid format string."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def _formatted_field(text: str) -> str | None:
    """Return the name of the first {placeholder} with a format spec or !conversion, or None."""
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is not None and (spec or conversion):
            return name
    return None


def label_problem(key: str, text: object) -> str | None:
    """Say what is wrong with ``text`` as the label ``key`` (its placeholders must be the English one's)."""
    if not isinstance(text, str):
        return "must be a string"
    wanted, found = placeholders(MESSAGES[key]), placeholders(text)
    if found is None:
        return "has a { or } that is not a placeholder (write {{ or }} for a brace)"
    if (formatted := _formatted_field(text)) is not None:
        # A format spec or conversion ({names:>999999999}, {names!r}) would crash or bloat the build: only
        # plain {name} placeholders are filled in.
        return f"placeholders take no format or conversion: write {{{formatted}}}, not {text!r}"
    if found != wanted:
        said = ", ".join(f"{{{name}}}" for name in sorted(wanted)) or "no placeholder"
        return f"must hold {said}, as {MESSAGES[key]!r} does, not {text!r}"
    return None
