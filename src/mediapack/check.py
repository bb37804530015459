"""Check a story before anything is written: read it, probe every file, hold it to the limits and its requests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .compose.drawn import drawn_texts
from .compose.fonts import RAQM_MISSING, has_raqm, needs_shaping, unfounded_scripts
from .credentials.setup import signing_setup
from .credentials.signer import SigningSetup
from .credentials.verify import private_credentials
from .errors import Findings, InputError, Problem
from .i18n import has_catalogue, subtitles_language
from .model import AUDIO, PHOTO, VIDEO, MediaInfo, Publisher, Story
from .photo.credit import fit_credit, iim_cuts
from .photo.decode import probe_photo, sniff_format
from .probe import probe_file
from .publish.originals import unreadable_metadata, unsanitisable
from .scaffold import placeholders_left
from .settings import Settings
from .story.compose_request import SLIDESHOW, parse_compose
from .story.read import apply_embedded_metadata, read_story
from .video.animation import can_loop
from .video.webvtt import parse_subtitles, text_encoding

# Below this, ffmpeg's deinterlacer (bwdif) refuses the frames (its colour planes need 3 columns and 4
# lines: a yuv420p video of fewer than 6x8 pixels), and nothing so small is worth publishing.
MIN_VIDEO_SIDE = 16
_MAX_SUBTITLE_PROBLEMS = 10


@dataclass(frozen=True)
class CheckedStory:
    """A story that passed validation, with its probe results and warnings."""

    story: Story
    infos: dict[str, MediaInfo]
    warnings: tuple[Problem, ...]
    signing: SigningSetup | None = None  # who signs the renditions' Content Credentials; None: unsigned


def check_story(folder: Path, settings: Settings, *, strict: bool = False, decode_photos: bool = True
                ) -> CheckedStory:
    """Read, probe and validate a story without writing anything; raise InputError listing every problem.

    ``decode_photos=False`` (for build, which decodes each photo as it renders it) reads photo headers only.
    """
    findings = Findings()
    signing, signing_warnings = signing_setup(settings)  # opt-in; a set-up c2pa would refuse stops it here
    findings.warnings += signing_warnings
    story = read_story(folder, findings)
    infos = probe_media(story, settings, findings, decode_photos) if story else {}
    if story is not None:
        photos = {media_id for media_id, info in infos.items() if info.kind == PHOTO}
        story = apply_embedded_metadata(story, findings, photos)
        story = apply_rights_defaults(story, settings)
        story = apply_publishing_defaults(story, settings)
        story = check_compositions(story, infos, settings, findings)
        check_media_fields(story, infos, settings, findings, signing is not None)
        check_language(story, infos, settings, findings)
        for part in placeholders_left(story.headline or "", story.body or ""):
            findings.warn(story.source, part, "still the placeholder `mediapack init` wrote: write the story's own")
    strict = strict or settings.strict
    errors = findings.errors + (findings.warnings if strict else [])
    if errors and story is not None and not decode_photos:
        # The build will not start: decode the photos after all, so this one report names every bad file.
        _decode_photos(story, infos, settings, findings)
        errors = findings.errors + (findings.warnings if strict else [])
    if errors or story is None:
        where = story.source if story else folder
        raise InputError(f"{where}: {len(errors)} problem(s) found", errors,
                         warnings=() if strict else findings.warnings)
    return CheckedStory(story, infos, tuple(findings.warnings), signing)


def check_language(story: Story, infos: dict[str, MediaInfo], settings: Settings, findings: Findings) -> None:
    """Warn once when the story's language has no shipped labels; refuse right-to-left text nothing can draw."""
    if not has_catalogue(story.language):
        findings.warn(story.source, "language", f"mediapack has no labels in {story.language!r}: the page's labels "
                      "are in English (set your own in mediapack.toml's [page.labels])")
    # The very texts the compositions will draw: the title card's names joined by the language ("A و B") may
    # need shaping when no single name does.
    texts = drawn_texts(story, {media_id: info.kind for media_id, info in infos.items()})
    if not has_raqm() and any(needs_shaping(text) for text in texts):
        findings.error(story.source, "compose", f"has right-to-left text to draw, but {RAQM_MISSING}")
    if scripts := sorted({script for text in texts for script in unfounded_scripts(text)}):
        findings.warn(story.source, "compose", f"has {', '.join(scripts)} text, which the bundled fonts (DejaVu "
                      "Sans, Vazirmatn) have no letters for: the compositions would show it as empty boxes")


def _decode_photos(story: Story, infos: dict[str, MediaInfo], settings: Settings, findings: Findings) -> None:
    for media_id, info in infos.items():
        if info.kind == PHOTO:
            try:
                probe_photo(info.path, settings.photos.max_pixels)
            except InputError as exc:
                findings.error(None, f"media[{media_id}]", exc.message)


def apply_publishing_defaults(story: Story, settings: Settings) -> Story:
    """Give the story its publisher and its ninjs URI from the settings ([publisher], [manifest] uri_prefix)."""
    publisher = settings.publisher
    uri = story.uri or (settings.manifest.uri_prefix + story.slug if settings.manifest.uri_prefix else None)
    return replace(story, uri=uri, publisher=Publisher(publisher.name, publisher.url or None, publisher.logo or None)
                   if publisher.name else None)


def apply_rights_defaults(story: Story, settings: Settings) -> Story:
    """Give each item without a licence its story's, else the [rights] settings' (URLs); the story the settings'."""
    def default(item_value: str | None, story_value: str | None, setting: str) -> str | None:
        return item_value or story_value or setting or None

    items = tuple(replace(item, license=default(item.license, story.license, settings.rights.license),
                          acquire_license_page=default(item.acquire_license_page, story.acquire_license_page,
                                                       settings.rights.acquire_license_page))
                  for item in story.media)
    return replace(story, media=items, license=default(story.license, None, settings.rights.license),
                   acquire_license_page=default(story.acquire_license_page, None,
                                                settings.rights.acquire_license_page))


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
    if request.audio_bed is not None:
        bed = story.folder / request.audio_bed
        try:
            info = probe_file(bed, settings.photos.max_pixels)
            check_size(bed, info.kind == PHOTO, settings)
            check_video_limits(bed, info, settings)
            if info.kind == PHOTO or not info.has_audio:
                raise InputError(f"{bed}: has no audio stream to lay under the slideshow")
        except InputError as exc:
            findings.error(None, "compose.audio_bed", exc.message)
    return story


def check_media_fields(story: Story, infos: dict[str, MediaInfo], settings: Settings, findings: Findings,
                       signing: bool = False) -> None:
    """Check each item's fields against what its file turned out to be: subtitles read, poster in range."""
    for item in story.media:
        info = infos.get(item.id)
        if info is None:
            continue  # probing said why
        key = f"media[{item.id}]"
        fields = {"subtitles": item.subtitles, "poster_at": item.poster_at, "focus": item.focus}
        takes = {PHOTO: ("focus",), AUDIO: ("subtitles",), VIDEO: ("subtitles", "poster_at", "focus")}[info.kind]
        for name, value in fields.items():
            if value is not None and name == "focus" and name not in takes:
                findings.error(story.source, f"{key}.focus", f"is for photos and videos, and {item.file} is "
                               f"{info.kind} (nothing to crop): take it out")
            elif value is not None and name not in takes:
                findings.error(story.source, f"{key}.{name}", f"is not for {info.kind}s, and {item.file} is a "
                               f"{info.kind}: take it out, or point file at the video it belongs to")
        if info.kind == PHOTO and info.frames > 1 and not can_loop(info):
            findings.warn(story.source, key, f"{item.file} is an animation of {info.width}x{info.height}, too "
                          f"small to play as a video (at least {MIN_VIDEO_SIDE} pixels each way): it is "
                          "published as its first frame")
        if info.kind == PHOTO:
            for name in iim_cuts(item):
                findings.warn(story.source, f"{key}.{name}", "is longer than IPTC IIM allows, so the IIM copy in "
                              "the JPEG files is cut (XMP and EXIF hold it whole)")
            for name in fit_credit(item)[1]:
                findings.warn(story.source, f"{key}.{name}", f"is {len(getattr(item, name))} characters: the "
                              "photo files embed only its start (a JPEG metadata segment holds 64 KB); the "
                              "page, manifest and article.txt keep it whole")
        if settings.originals == "sanitised" and (reason := unsanitisable(info, story.folder / item.file)):
            findings.warn(story.source, key, f"{item.file}: {reason}: it is left out of the packages (set "
                          '[packages] originals = "untouched" in mediapack.toml to ship it as it came)')
        elif settings.originals == "sanitised" and (error := unreadable_metadata(info, story.folder / item.file)):
            findings.warn(story.source, key, f"{item.file}: its metadata cannot be read ({error}): the copy in the "
                          "packages has none of its EXIF, XMP or IPTC")
        if signing and (private := private_credentials(story.folder / item.file)):
            findings.warn(story.source, key, f"{item.file} carries Content Credentials of its own holding location "
                          f"or device data ({private}): the signed renditions name it as their source without "
                          "them")
        if item.subtitles is not None and "subtitles" in takes:
            _check_subtitles(story.folder / item.subtitles, f"{key}.subtitles", info, story.language, findings)
        if item.poster_at is not None and info.kind == VIDEO and info.duration and item.poster_at >= info.duration:
            findings.warn(story.source, f"{key}.poster_at", f"{item.poster_at:g} s is past the end of the video "
                          f"({info.duration:.1f} s); the poster is taken from its last frames")


def _check_subtitles(path: Path, key: str, info: MediaInfo, story_language: str, findings: Findings) -> None:
    """Read a subtitle file as the build will; warn about cues past the media's end, and a file not in UTF-8."""
    language = subtitles_language(path, story_language)
    cues, problems = parse_subtitles(path, language)
    if not problems and not (encoding := text_encoding(path.read_bytes(), language)).startswith("utf"):
        findings.warn(path, key, f"not UTF-8: read as {encoding}, the code page '{language}' subtitles were saved "
                      "in before UTF-8; if the captions' words look wrong, save the file as UTF-8")
    for problem in problems[:_MAX_SUBTITLE_PROBLEMS]:
        findings.error(path, key, problem)
    if len(problems) > _MAX_SUBTITLE_PROBLEMS:
        findings.error(path, key, f"and {len(problems) - _MAX_SUBTITLE_PROBLEMS} more problems like these")
    late = [start for start, _, _, _ in cues if info.duration and start >= info.duration]
    if late:
        findings.warn(path, key, f"{len(late)} cue(s) start after the {info.kind} ends ({info.duration:.1f} s), "
                      f"the first at {late[0]:.1f} s: nobody will see them")


def probe_media(story: Story, settings: Settings, findings: Findings, decode_photos: bool = True
                ) -> dict[str, MediaInfo]:
    """Probe every media file; record undecodable ones, and ones beyond the limits, as problems."""
    infos = {}
    for item in story.media:
        path = story.folder / item.file
        try:
            check_size(path, sniff_format(path) is not None, settings)  # before a byte of it is decoded
            info = probe_file(path, settings.photos.max_pixels, decode_photos=decode_photos)
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
    if info.kind == VIDEO and min(info.width, info.height) < MIN_VIDEO_SIDE:
        raise InputError(f"{path}: a {info.width}x{info.height} video is too small to publish; a video needs "
                         f"at least {MIN_VIDEO_SIDE} pixels on each side")
    if info.kind == VIDEO and info.width * info.height > video.max_pixels:
        raise InputError(f"{path}: {info.width}x{info.height} video is over the pixel limit of "
                         f"{video.max_pixels} (video.max_pixels)")
    if info.kind in (VIDEO, AUDIO) and info.duration is not None and info.duration > video.max_duration:
        raise InputError(f"{path}: {info.duration:.0f} s is over the duration limit of {video.max_duration:g} s "
                         "(video.max_duration)")
    if info.kind == VIDEO and info.still:
        raise InputError(f"{path}: holds one still picture ({info.video_codec}), not a video; a still is "
                         "published as a photo: save it as JPEG, PNG, WebP or HEIC")


def needs_ffmpeg(checked: CheckedStory) -> bool:
    """Tell whether building the story runs ffmpeg: for video, audio, an animated photo or a composition."""
    kinds = {info.kind for info in checked.infos.values()}
    animated = any(can_loop(info) for info in checked.infos.values())
    return checked.story.compose is not None or animated or bool(kinds & {VIDEO, AUDIO})
