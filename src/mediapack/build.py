"""build(): gather and validate everything first, then write the story's outputs and swap them into place."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import CacheEntry, RenditionCache, file_digest, rendition_key
from .config import Settings
from .errors import InputError, Problem
from .ffmpeg import FFmpeg, locate_ffmpeg
from .labels import link_title
from .manifest import make_manifest, write_manifest
from .model import AUDIO, PHOTO, VIDEO, BuildResult, BuiltMedia, MediaInfo, Rendition, Story
from .packages import write_checksums, write_packages, zip_timestamp
from .page import write_article
from .photos import make_photo_renditions
from .probe import probe_file
from .story import Findings, apply_embedded_metadata, read_story
from .video import package_audio, transcode_video

ORIGINALS = "originals"


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
    strict = strict or settings.strict
    errors = findings.errors + (findings.warnings if strict else [])
    if errors or story is None:
        warnings = [] if strict else [replace(w, message=f"warning: {w.message}") for w in findings.warnings]
        where = story.source if story else folder
        raise InputError(f"{where}: {len(errors)} problem(s) found", [*errors, *warnings])
    return CheckedStory(story, infos, tuple(findings.warnings))


def probe_media(story: Story, settings: Settings, findings: Findings) -> dict[str, MediaInfo]:
    """Probe every media file; record undecodable ones as problems."""
    infos = {}
    for item in story.media:
        try:
            infos[item.id] = probe_file(story.folder / item.file, settings.photos.max_pixels)
        except InputError as exc:
            findings.error(None, f"media[{item.id}]", exc.message)
    return infos


def build(folder: Path, out_dir: Path, settings: Settings, *, base_url: str | None = None,
          strict: bool = False, cache_dir: Path | None = None, reporter: Reporter | None = None) -> BuildResult:
    """Build one story into ``out_dir/<slug>/``; the previous output stays intact until the end."""
    started = time.monotonic()
    reporter = reporter or Reporter()
    # Gather: every problem is found before anything is written.
    checked = check_story(folder, settings, strict=strict)
    story = checked.story
    needs_ffmpeg = any(info.kind in (VIDEO, AUDIO) for info in checked.infos.values())
    ff = locate_ffmpeg(settings.ffmpeg.path) if needs_ffmpeg else None
    cache = RenditionCache(cache_dir)

    # Write: into a hidden sibling folder, swapped into place only when complete.
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{story.slug}.building-", dir=out_dir))
    try:
        media = [make_renditions(story, item_id, info, staging, settings, ff, cache, reporter)
                 for item_id, info in checked.infos.items()]
        media = [replace(m, renditions=tuple(replace(r, title=link_title(r)) for r in m.renditions))
                 for m in media]
        # Inside the zips the page and manifest list no packages: a package cannot describe its own size.
        write_story_files(staging, story, media, (), base_url)
        originals = [(story.folder / m.item.file, f"{ORIGINALS}/{m.item.file.as_posix()}") for m in media]
        done = reporter.task("packages")
        packages = write_packages(staging, story.slug, settings.packages, originals, zip_timestamp(story.published))
        packages = tuple(replace(p, title=link_title(p)) for p in packages)
        done(1.0)
        write_story_files(staging, story, media, packages, base_url)
        write_checksums(staging)
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


def make_renditions(story: Story, item_id: str, info: MediaInfo, staging: Path, settings: Settings,
                    ff: FFmpeg | None, cache: RenditionCache, reporter: Reporter) -> BuiltMedia:
    """Make (or fetch from the cache) every rendition of one media item."""
    item = story.item(item_id)
    source = story.folder / item.file
    rel_dir = Path("media") / item.id
    if info.kind == PHOTO:
        spec = (settings.photos, item.caption, item.credit, item.creator, item.copyright, item.alt)
    else:
        subtitles = file_digest(story.folder / item.subtitles) if item.subtitles else None
        spec = (settings.video, settings.ffmpeg.threads, item.poster_at, subtitles, ff.version if ff else None)
    key = rendition_key(info.kind, file_digest(source), spec)
    hit = cache.fetch(key, staging / rel_dir, rel_dir)
    if hit is not None:
        reporter.note(f"{item.id}: {len(hit.renditions)} renditions from cache")
        return BuiltMedia(item, info, hit.renditions, hit.poi, cached=True)
    progress = reporter.task(f"{info.kind} {item.id}")
    poi = None
    if info.kind == PHOTO:
        renditions, poi = make_photo_renditions(item, source, staging, settings.photos)
    elif info.kind == VIDEO:
        renditions = transcode_video(item, info, story.folder, staging, settings, ff, on_progress=progress)
    else:
        renditions = package_audio(item, info, story.folder, staging, settings, ff, on_progress=progress)
    progress(1.0)
    cache.store(key, staging / rel_dir, CacheEntry(tuple(renditions), poi))
    return BuiltMedia(item, info, tuple(renditions), poi)


def write_story_files(staging: Path, story: Story, media: list[BuiltMedia], packages: tuple[Rendition, ...],
                      base_url: str | None) -> None:
    """Write manifest.json, index.html, embed.html and article.txt from one manifest."""
    manifest = make_manifest(story, media, packages, base_url)
    write_manifest(staging, manifest)
    write_article(staging, story, media, manifest, base_url)


def swap_into_place(staging: Path, final: Path) -> Path:
    """Replace ``final`` with ``staging`` so readers see either the old or the new output, never a mix."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final
