"""Check a story before anything is written: read it, probe every file, hold it to the limits and its requests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .config import Settings
from .errors import Findings, InputError, Problem
from .model import AUDIO, PHOTO, VIDEO, MediaInfo, Story
from .photo.decode import sniff_format
from .probe import probe_file
from .story.compose_request import SLIDESHOW, parse_compose
from .story.read import apply_embedded_metadata, read_story


@dataclass(frozen=True)
class CheckedStory:
    """A story that passed validation, with its probe results and warnings."""

    story: Story
    infos: dict[str, MediaInfo]
    warnings: tuple[Problem, ...]


def check_story(folder: Path, settings: Settings, *, strict: bool = False) -> CheckedStory:
    """Read, probe and validate a story without writing anything; raise InputError listing every problem."""
    findings = Findings()
    story = read_story(folder, findings)
    infos = probe_media(story, settings, findings) if story else {}
    if story is not None:
        photos = {media_id for media_id, info in infos.items() if info.kind == PHOTO}
        story = apply_embedded_metadata(story, findings, photos)
        story = check_compositions(story, infos, settings, findings)
    strict = strict or settings.strict
    errors = findings.errors + (findings.warnings if strict else [])
    if errors or story is None:
        warnings = [] if strict else [replace(w, message=f"warning: {w.message}") for w in findings.warnings]
        where = story.source if story else folder
        raise InputError(f"{where}: {len(errors)} problem(s) found", [*errors, *warnings])
    return CheckedStory(story, infos, tuple(findings.warnings))


def check_compositions(story: Story, infos: dict[str, MediaInfo], settings: Settings,
                       findings: Findings) -> Story:
    """Take the story's compose request (or mediapack.toml's) and check the story can satisfy it."""
    if story.compose is None and settings.compose is not None:
        path, table = settings.compose
        story = replace(story, compose=parse_compose(table, path, findings, folder=story.folder))
    request = story.compose
    if request is None:
        return story
    kinds = {info.kind for info in infos.values()}
    if request.slideshow and PHOTO not in kinds:
        findings.error(story.source, "compose.slideshow", "asks for a slideshow, but the story has no photos")
    if request.social and VIDEO not in kinds:
        findings.error(story.source, "compose.social", "asks for social cuts, but the story has no video")
    if request.slideshow and SLIDESHOW in infos:
        findings.error(story.source, f"media[{SLIDESHOW}].id", "is reserved for the slideshow; rename the item")
    return story


def probe_media(story: Story, settings: Settings, findings: Findings) -> dict[str, MediaInfo]:
    """Probe every media file; record undecodable ones, and ones beyond the limits, as problems."""
    infos = {}
    for item in story.media:
        path = story.folder / item.file
        try:
            check_size(path, sniff_format(path) is not None, settings)  # before a byte of it is decoded
            info = probe_file(path, settings.photos.max_pixels)
            check_size(path, info.kind == PHOTO, settings)
            check_video_limits(path, info, settings)
            infos[item.id] = info
        except InputError as exc:
            findings.error(None, f"media[{item.id}]", exc.message)
    return infos


def check_size(path: Path, photo: bool, settings: Settings) -> None:
    """Raise InputError if the file is larger than photos.max_bytes (a photo) or video.max_bytes."""
    limit, key = (settings.photos.max_bytes, "photos") if photo else (settings.video.max_bytes, "video")
    try:
        size = path.stat().st_size
    except OSError:
        return  # probing says why it cannot be read
    if size > limit:
        raise InputError(f"{path}: {size} bytes is over the size limit of {limit} ({key}.max_bytes)")


def check_video_limits(path: Path, info: MediaInfo, settings: Settings) -> None:
    """Raise InputError if a video is over video.max_pixels or a video or audio over video.max_duration."""
    video = settings.video
    if info.kind == VIDEO and info.width * info.height > video.max_pixels:
        raise InputError(f"{path}: {info.width}x{info.height} video is over the pixel limit of "
                         f"{video.max_pixels} (video.max_pixels)")
    if info.kind in (VIDEO, AUDIO) and info.duration is not None and info.duration > video.max_duration:
        raise InputError(f"{path}: {info.duration:.0f} s is over the duration limit of {video.max_duration:g} s "
                         "(video.max_duration)")


def needs_ffmpeg(checked: CheckedStory) -> bool:
    """Tell whether building the story runs ffmpeg: for video, audio or a composition."""
    kinds = {info.kind for info in checked.infos.values()}
    return checked.story.compose is not None or bool(kinds & {VIDEO, AUDIO})
