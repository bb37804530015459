"""build(): gather and validate everything first, then write the story's outputs and swap them into place."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

from .cache import RenditionCache
from .check import check_story, needs_ffmpeg
from .context import BuildContext, BuildOptions, Reporter
from .credentials.sign import sign_media
from .ffmpeg import locate_ffmpeg
from .model import BuildResult
from .originals_stage import Originals
from .publish.body import render_body
from .publish.checksums import write_checksums
from .records import check_owner, record_build
from .settings import Settings
from .stages import (
    PhotoRenders,
    compose_slideshow,
    credit_files,
    crop_posters,
    cut_social,
    encode_media,
    in_story_order,
    loop_animations,
    package_streams,
    title_links,
    write_story_files,
    write_story_packages,
)
from .staging import staging_folder, story_lock, swap_into_place
from .workers import Workers


def build(folder: Path, out_dir: Path, settings: Settings, options: BuildOptions | None = None, *,
          reporter: Reporter | None = None, workers: Workers | None = None) -> BuildResult:
    """Build one story into ``out_dir/<slug>/``; the previous output stays intact until the end."""
    started = time.monotonic()
    options = options or BuildOptions()
    reporter = reporter or Reporter()
    workers = workers or Workers(1)
    workers.warm()
    # Gather: every problem is found before anything is written.
    # Photos are decoded in full once, while rendering: a bad one is still reported before anything is published.
    checked = check_story(folder, settings, strict=options.strict, decode_photos=False)
    story = checked.story
    ff = locate_ffmpeg(settings.ffmpeg.path) if needs_ffmpeg(checked) else None

    # Write: under the story's lock (on a cluster: in its one task), into a hidden sibling folder swapped
    # into place only when complete; every stage fetches from the cache what an unchanged input made before.
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = story_lock(out_dir, story.slug, options.lock_timeout, reporter.note, workers.check) if options.lock \
        else nullcontext()
    with lock:
        check_owner(out_dir, story.slug, story.folder, force=options.force)  # never another story's output
        with staging_folder(out_dir, story.slug) as staging:
            cache = RenditionCache(options.cache_dir)
            ctx = BuildContext(story, checked.infos, settings, staging, ff, cache, reporter, workers,
                               options.base_url, checked.signing)
            # The originals go into the pool behind the photos, sanitised of location and device data.
            with Originals(ctx) as originals:
                with PhotoRenders(ctx, originals) as photos:  # in the worker pool, while videos encode here
                    media = encode_media(ctx)  # videos and audio, one at a time
                    media = package_streams(ctx, media)  # [video] hls: HLS of each ladder, by stream copy
                    media = cut_social(ctx, media)  # compose.social: 9:16 and 1:1 cuts of each video
                    media = crop_posters(ctx, media)  # 16:9, 4:3, 1:1 (and share) crops of each poster
                    media = in_story_order(ctx, photos.results().values(), media)
                media = loop_animations(ctx, media)  # a looping MP4 of each animated GIF, WebP or PNG
                media += compose_slideshow(ctx, media)  # compose.slideshow: made from the photos
                media = credit_files(ctx, media)  # caption, credit and rights into every file, no re-encode
                media = sign_media(ctx, media)  # Content Credentials, each file's last write (when set up)
                media = title_links(ctx, media)  # link text in the story's language
                body = render_body(story, media, options.base_url, ctx.words)
                # Inside the zips the page and manifest list no packages: a package cannot describe its size.
                write_story_files(ctx, media, (), body)
                packages = write_story_packages(ctx, originals.ready(media))
            write_story_files(ctx, media, packages, body)
            write_checksums(staging)
            workers.check()
            final = swap_into_place(staging, out_dir / story.slug)
        result = BuildResult(
            slug=story.slug,
            output=final,
            packages=tuple(final / p.path for p in packages),
            built=sum(len(m.renditions) - m.from_cache for m in media),
            cached=sum(m.from_cache for m in media),
            warnings=(*(str(w) for w in checked.warnings), *cache.warnings),
            seconds=round(time.monotonic() - started, 3),
        )
        record_build(out_dir, story, settings, options, result)  # whose output this is, and made from what
    return result
