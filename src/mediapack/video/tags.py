"""Tags an MP4 carries, so a downloaded file still says what it is and who made it, and in what language.

title, artist (the creator, when one is known), copyright, description (the caption), comment (the credit
line, in the story's language) and each track's language, written by a stream copy of the file: no frame is decoded or encoded,
so a caption edit costs a copy, not an encode, and the cached, untagged ladder stays reusable.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import single_line
from ..ffmpeg import FFmpeg, file_arg, input_args
from ..model import MediaItem
from ..settings import Settings
from .outputs import encode_to_files

_BITEXACT = ("-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact")


def mp4_tags(item: MediaItem, title: str, credit_line: str | None) -> dict[str, str]:
    """Return the container tags for an item's MP4 and M4A renditions (empty values left out).

    ``credit_line``: the credit as the page words it, in the story's language ("Video: Ann", "ویدیو: Ann"), or None.
    """
    tags = {"title": title, "artist": item.creator, "copyright": item.copyright, "description": item.caption,
            "comment": credit_line}
    return {key: single_line(value, 2000, keep_bidi=True) for key, value in tags.items() if value}


def track_language(language: str) -> str:
    """Return the ISO 639-2/T code MP4 tracks take for a BCP 47 tag ("en" -> "eng", "pt-BR" -> "por")."""
    import langcodes  # only when files are tagged

    try:
        return langcodes.Language.get(language).to_alpha3()
    except (LookupError, ValueError):
        return "und"


def tag_mp4(ff: FFmpeg, path: Path, tags: dict[str, str], language: str, settings: Settings,
            duration: float | None = None) -> None:
    """Rewrite an MP4/M4A with these tags and track languages, streams copied; replace it only when done."""
    partial = path.with_name(path.name + ".partial")
    code = track_language(language)
    args = [*input_args(path, fmt="mov"), "-map", "0", "-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1"]
    for key, value in tags.items():
        args += ["-metadata", f"{key}={value}"]
    args += ["-metadata:s:v", f"language={code}", "-metadata:s:a", f"language={code}",
             "-movflags", "+faststart", *_BITEXACT, "-f", "mp4", file_arg(partial)]
    encode_to_files(ff, args, path, duration, settings, None, {partial: path})
