"""build(): gather and validate everything first, then write the story's outputs and swap them into place."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import CacheEntry, RenditionCache, file_digest, rendition_key
from .compose_request import parse_compose
from .config import Settings, without_limits
from .errors import BuildError, InputError, Problem, single_line
from .ffmpeg import FFmpeg, locate_ffmpeg
from .labels import link_title
from .manifest import make_manifest, write_manifest
from .model import (
    AUDIO,
    PHOTO,
    VIDEO,
    BuildResult,
    BuiltMedia,
    MediaInfo,
    MediaItem,
    Rendition,
    Story,
)
from .output import LOCK_TIMEOUT, clear_leftovers, story_lock, swap_into_place
from .packages import write_checksums, write_packages, zip_timestamp
from .page import write_article
from .photos import embed_photo_metadata, make_photo_renditions, sniff_format
from .probe import probe_file
from .resample import RESAMPLER
from .story import Findings, apply_embedded_metadata, read_story
from .video import package_audio, transcode_video
from .workers import Workers

log = logging.getLogger(__name__)

ORIGINALS = "originals"
SLIDESHOW = "slideshow"  # the media id (and folder) of the composed slideshow
# Photo formats whose credit metadata is spliced in after encoding (AVIF gets it from the encoder).
_SPLICED_FORMATS = frozenset({"jpg", "webp"})


class Reporter:
    """Receives progress from a build; this base class ignores it (the CLI shows it on a TTY)."""

    def task(self, label: str) -> Callable[[float], None]:
        """Start a unit of work; return a callback taking its completed fraction (0..1)."""
        return lambda fraction: None

    def note(self, message: str) -> None:
        """Report a line of information (warnings are returned, not noted)."""


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


def build(folder: Path, out_dir: Path, settings: Settings, *, base_url: str | None = None,
          strict: bool = False, cache_dir: Path | None = None, reporter: Reporter | None = None,
          workers: Workers | None = None, lock_timeout: float = LOCK_TIMEOUT,
          claim_slug: Callable[[Story], None] | None = None) -> BuildResult:
    """Build one story into ``out_dir/<slug>/``; the previous output stays intact until the end."""
    started = time.monotonic()
    reporter = reporter or Reporter()
    workers = workers or Workers()
    # Gather: every problem is found before anything is written.
    checked = check_story(folder, settings, strict=strict)
    story = checked.story
    if claim_slug is not None:
        claim_slug(story)
    needs_ffmpeg = story.compose is not None or any(i.kind in (VIDEO, AUDIO) for i in checked.infos.values())
    ff = locate_ffmpeg(settings.ffmpeg.path) if needs_ffmpeg else None
    cache = RenditionCache(cache_dir)

    # Write: under the story's lock, into a hidden sibling folder swapped into place only when complete.
    out_dir.mkdir(parents=True, exist_ok=True)
    with story_lock(out_dir, story.slug, lock_timeout, reporter.note, workers.check):
        clear_leftovers(out_dir, story.slug)
        staging = Path(tempfile.mkdtemp(prefix=f".{story.slug}.building-", dir=out_dir))
        try:
            os.chmod(staging, 0o755)  # mkdtemp's 0700 would make the published folder private
            media = make_media(story, checked.infos, staging, settings, ff, cache, reporter, workers)
            media += make_slideshow_media(story, media, staging, settings, ff, cache, reporter, workers)
            media = [replace(m, renditions=tuple(replace(r, title=link_title(r)) for r in m.renditions))
                     for m in media]
            # Inside the zips the page and manifest list no packages: a package cannot describe its own size.
            write_story_files(staging, story, media, (), base_url)
            originals = [(story.folder / m.item.file, f"{ORIGINALS}/{m.item.file.as_posix()}")
                         for m in media if not m.composed]
            workers.check()
            done = reporter.task(f"{story.slug}: packages")
            packages = write_packages(staging, story.slug, settings.packages, originals,
                                      zip_timestamp(story.published))
            packages = tuple(replace(p, title=link_title(p)) for p in packages)
            done(1.0)
            write_story_files(staging, story, media, packages, base_url)
            write_checksums(staging)
            workers.check()
            final = swap_into_place(staging, out_dir / story.slug)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BuildResult(
        slug=story.slug,
        output=final,
        packages=tuple(final / p.path for p in packages),
        built=sum(len(m.renditions) for m in media if not m.cached),
        cached=sum(len(m.renditions) for m in media if m.cached),
        warnings=tuple(str(w) for w in checked.warnings),
        seconds=round(time.monotonic() - started, 3),
    )


def make_media(story: Story, infos: dict[str, MediaInfo], staging: Path, settings: Settings, ff: FFmpeg | None,
               cache: RenditionCache, reporter: Reporter, workers: Workers) -> list[BuiltMedia]:
    """Fetch every item's renditions from the cache or make them: photos in parallel, videos in turn."""
    built: dict[str, BuiltMedia] = {}
    photos: dict[str, tuple[Future, str, Callable[[float], None]]] = {}
    try:
        # Photos first: with --jobs > 1 they render in the pool while the videos encode here.
        for item_id, info in sorted(infos.items(), key=lambda pair: pair[1].kind != PHOTO):
            workers.check()
            item = story.item(item_id)
            key = media_key(story, item, info, settings, ff)
            rel_dir = Path("media") / item.id
            hit = cache.fetch(key, staging / rel_dir, rel_dir)
            if hit is not None:
                built[item_id] = BuiltMedia(item, info, hit.renditions, hit.poi, cached=True)
                continue
            progress = reporter.task(f"{story.slug}: {info.kind} {item.id}")
            if info.kind == PHOTO:
                bare = item if not credit_is_spliced(settings) else without_credit(item)
                future = workers.submit(story.folder / item.file, make_photo_renditions, bare,
                                        story.folder / item.file, staging, settings.photos)
                photos[item_id] = (future, key, progress)
                continue
            with workers.slot():
                renditions = encode(story, item, info, staging, settings, ff, progress, workers)
            cache.store(key, staging / rel_dir, CacheEntry(renditions, None))
            built[item_id] = BuiltMedia(item, info, renditions)
        for item_id, (future, key, progress) in photos.items():
            item = story.item(item_id)
            renditions, poi = workers.result(future)
            progress(1.0)
            cache.store(key, staging / "media" / item.id, CacheEntry(renditions, poi))
            built[item_id] = BuiltMedia(item, infos[item_id], renditions, poi)
    except BaseException:
        futures = [future for future, _, _ in photos.values()]
        for future in futures:
            future.cancel()
        wait(futures)  # a photo still being written must not recreate the staging folder being removed
        raise
    return [add_credit(built[item_id], staging, settings) for item_id in infos]


def media_key(story: Story, item: MediaItem, info: MediaInfo, settings: Settings, ff: FFmpeg | None) -> str:
    """Return an item's cache key: its source bytes, the settings that shape its files, the algorithm."""
    if info.kind == PHOTO:
        spec: object = (without_limits(settings.photos), RESAMPLER)  # the resampler's version changes output
        if not credit_is_spliced(settings):
            spec = (spec, item.caption, item.credit, item.creator, item.copyright, item.alt)
    else:
        subtitles = file_digest(story.folder / item.subtitles) if item.subtitles else None
        video = without_limits(settings.video)
        spec = (video, settings.ffmpeg.threads, item.poster_at, subtitles, ff.version if ff else None)
        if info.kind == VIDEO and story.compose is not None and story.compose.social:
            from .compose import social_spec

            spec = (*spec, social_spec(item, story.folder, settings, ff))
    return rendition_key(info.kind, file_digest(story.folder / item.file), spec)


def credit_is_spliced(settings: Settings) -> bool:
    """Whether photo renditions are cached without credit metadata, which is added on every build."""
    return all(fmt in _SPLICED_FORMATS for size in settings.photos.sizes for fmt in size.formats)


def without_credit(item: MediaItem) -> MediaItem:
    """Return the item without the text that photo renditions embed, so a caption edit is not a cache miss."""
    return replace(item, caption=None, credit=None, creator=None, copyright=None, alt=None)


def add_credit(media: BuiltMedia, staging: Path, settings: Settings) -> BuiltMedia:
    """Embed a photo's caption, credit and rights into its credit-less renditions; no re-encode."""
    if media.info.kind != PHOTO or not credit_is_spliced(settings):
        return media
    renditions = []
    for rendition in media.renditions:
        path = staging / rendition.path
        try:
            embed_photo_metadata(path, media.item)
        except ValueError as exc:
            raise BuildError(single_line(f"{path.name}: cannot embed the credit: {exc}")) from None
        renditions.append(replace(rendition, size_bytes=path.stat().st_size))
    return replace(media, renditions=tuple(renditions))


def encode(story: Story, item: MediaItem, info: MediaInfo, staging: Path, settings: Settings,
           ff: FFmpeg | None, progress: Callable[[float], None], workers: Workers) -> tuple[Rendition, ...]:
    """Run ffmpeg for a video or audio item; a cancelled run stops ffmpeg at its next progress report."""
    def on_progress(fraction: float) -> None:
        workers.check()  # raising here makes ffmpeg.run kill its process group
        progress(fraction)

    if info.kind == VIDEO:
        renditions = transcode_video(item, info, story.folder, staging, settings, ff, on_progress=on_progress)
        if story.compose is not None and story.compose.social:
            from .compose import make_social_cuts  # moviepy is slow to import

            renditions = (*renditions, *make_social_cuts(item, info, BuiltMedia(item, info, tuple(renditions)),
                                                         story.folder, staging, story.compose, settings, ff))
    else:
        renditions = package_audio(item, info, story.folder, staging, settings, ff, on_progress=on_progress)
    progress(1.0)
    return tuple(renditions)


def make_slideshow_media(story: Story, media: list[BuiltMedia], staging: Path, settings: Settings,
                         ff: FFmpeg | None, cache: RenditionCache, reporter: Reporter,
                         workers: Workers) -> list[BuiltMedia]:
    """Compose the captioned photo slideshow when the story asks for one (from the cache if unchanged)."""
    request = story.compose
    if request is None or not request.slideshow:
        return []
    # moviepy is slow to import: only when asked
    from .compose import make_slideshow, slideshow_spec

    photos = [m for m in media if m.info.kind == PHOTO]
    item = MediaItem(id=SLIDESHOW, file=Path(SLIDESHOW), caption=f"Slideshow: {story.headline}",
                     credit=", ".join(dict.fromkeys(p.item.credit for p in photos if p.item.credit)) or None)
    key = rendition_key("composition", "", slideshow_spec(story, photos, request, settings, ff))
    rel_dir = Path("media") / SLIDESHOW
    hit = cache.fetch(key, staging / rel_dir, rel_dir)
    if hit is None:
        workers.check()
        progress = reporter.task(f"{story.slug}: slideshow")
        with workers.slot():
            renditions = make_slideshow(story, photos, story.folder, staging, request, settings, ff,
                                        on_progress=progress)
        progress(1.0)
        cache.store(key, staging / rel_dir, CacheEntry(renditions, None))
    else:
        renditions = hit.renditions
    first = renditions[0]
    info = MediaInfo(path=first.path, kind=VIDEO, format="composition", width=first.width or 0,
                     height=first.height or 0, duration=first.duration)
    return [BuiltMedia(item, info, tuple(renditions), cached=hit is not None, composed=True)]


def write_story_files(staging: Path, story: Story, media: list[BuiltMedia], packages: tuple[Rendition, ...],
                      base_url: str | None) -> None:
    """Write manifest.json, index.html, embed.html and article.txt from one manifest."""
    manifest = make_manifest(story, media, packages, base_url)
    write_manifest(staging, manifest)
    write_article(staging, story, media, manifest, base_url)
