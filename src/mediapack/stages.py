"""The stages of a story's build, each over one BuildContext: render, cut, splice, compose, write, package."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import (
    CacheEntry,
    credit_is_spliced,
    media_key,
    slideshow_key,
    social_key,
    without_credit,
)
from .context import BuildContext
from .errors import BuildError, single_line
from .model import PHOTO, VIDEO, BuiltMedia, MediaInfo, MediaItem, Rendition, rendition_dir
from .photo.credit import splice_credit
from .photo.renditions import make_photo_renditions
from .publish.body import Body
from .publish.labels import link_title
from .publish.manifest import make_manifest, write_manifest
from .publish.packages import write_packages, zip_timestamp
from .publish.page import write_article
from .story.compose_request import SLIDESHOW
from .video.ladder import package_audio, transcode_video

ORIGINALS = "originals"  # the folder of the story's own files inside a package


@dataclass(frozen=True)
class _Pending:
    """A photo rendering in the worker pool: its future, cache key and progress callback."""

    future: Future
    key: str
    progress: Callable[[float], None]


def render_media(ctx: BuildContext) -> list[BuiltMedia]:
    """Fetch every item's renditions from the cache or make them: photos in the pool, videos here in turn."""
    built: dict[str, BuiltMedia] = {}
    photos: dict[str, _Pending] = {}
    try:
        # Photos first: with --jobs > 1 they render in the pool while the videos encode here.
        for item_id, info in sorted(ctx.infos.items(), key=lambda pair: pair[1].kind != PHOTO):
            ctx.workers.check()
            item = ctx.story.item(item_id)
            key = media_key(ctx.story, item, info, ctx.settings, ctx.ff)
            hit = ctx.cache.fetch(key, ctx.media_dir(item.id), rendition_dir(item.id))
            if hit is not None:
                built[item_id] = BuiltMedia(item, info, hit.renditions, hit.poi, from_cache=len(hit.renditions))
                continue
            progress = ctx.reporter.task(f"{ctx.story.slug}: {info.kind} {item.id}")
            if info.kind == PHOTO:
                bare = without_credit(item) if credit_is_spliced(ctx.settings) else item
                future = ctx.workers.submit(ctx.source(item), make_photo_renditions, bare, ctx.source(item),
                                            ctx.staging, ctx.settings.photos)
                photos[item_id] = _Pending(future, key, progress)
                continue
            with ctx.workers.slot():
                renditions = _encode(ctx, item, info, progress)
            ctx.cache.store(key, ctx.media_dir(item.id), CacheEntry(renditions, None))
            built[item_id] = BuiltMedia(item, info, renditions)
        for item_id, pending in photos.items():
            renditions, poi = ctx.workers.result(pending.future)
            pending.progress(1.0)
            ctx.cache.store(pending.key, ctx.media_dir(item_id), CacheEntry(renditions, poi))
            built[item_id] = BuiltMedia(ctx.story.item(item_id), ctx.infos[item_id], renditions, poi)
    except BaseException:
        futures = [pending.future for pending in photos.values()]
        for future in futures:
            future.cancel()
        wait(futures)  # a photo still being written must not recreate the staging folder being removed
        raise
    return [built[item_id] for item_id in ctx.infos]


def _encode(ctx: BuildContext, item: MediaItem, info: MediaInfo, progress: Callable[[float], None]
            ) -> tuple[Rendition, ...]:
    """Run ffmpeg for a video's ladder or an audio file; a cancelled run stops ffmpeg at its next report."""
    encode = transcode_video if info.kind == VIDEO else package_audio
    renditions = encode(item, info, ctx.story.folder, ctx.staging, ctx.settings, ctx.ff,
                        on_progress=_cancellable(ctx, progress))
    progress(1.0)
    return tuple(renditions)


def _cancellable(ctx: BuildContext, progress: Callable[[float], None]) -> Callable[[float], None]:
    """Wrap a progress callback so a cancelled run raises inside it, which makes ffmpeg.run kill ffmpeg."""
    def on_progress(fraction: float) -> None:
        ctx.workers.check()
        progress(fraction)
    return on_progress


def cut_social(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Add 9:16 and 1:1 social cuts to each video when the story asks (from the cache if unchanged)."""
    request = ctx.story.compose
    if request is None or not request.social:
        return media
    from .compose.social import make_social_cuts  # moviepy is slow to import: only when asked

    result = []
    for built in media:
        if built.info.kind != VIDEO:
            result.append(built)
            continue
        item = built.item
        key = social_key(ctx.story, item, built.info, ctx.settings, ctx.ff)
        hit = ctx.cache.fetch(key, ctx.media_dir(item.id), rendition_dir(item.id))
        if hit is not None:
            cuts, cached = hit.renditions, len(hit.renditions)
        else:
            ctx.workers.check()
            progress = ctx.reporter.task(f"{ctx.story.slug}: social cuts {item.id}")
            with ctx.workers.slot():
                cuts = make_social_cuts(item, built.info, built, ctx.story.folder, ctx.staging, request,
                                        ctx.settings, ctx.ff, on_progress=_cancellable(ctx, progress))
            progress(1.0)
            ctx.cache.store(key, ctx.media_dir(item.id), CacheEntry(cuts, None))
            cached = 0
        result.append(replace(built, renditions=(*built.renditions, *cuts),
                              from_cache=built.from_cache + cached))
    return result


def splice_credits(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Embed each photo's caption, credit and rights into its credit-less renditions; no re-encode."""
    if not credit_is_spliced(ctx.settings):
        return media  # the encoder wrote them (AVIF renditions)
    result = []
    for built in media:
        if built.info.kind != PHOTO:
            result.append(built)
            continue
        renditions = []
        for rendition in built.renditions:
            path = ctx.staging / rendition.path
            try:
                splice_credit(path, built.item)
            except ValueError as exc:
                raise BuildError(single_line(f"{path.name}: cannot embed the credit: {exc}")) from None
            renditions.append(replace(rendition, size_bytes=path.stat().st_size))
        result.append(replace(built, renditions=tuple(renditions)))
    return result


def compose_slideshow(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Compose the captioned photo slideshow when the story asks for one (from the cache if unchanged)."""
    request = ctx.story.compose
    if request is None or not request.slideshow:
        return []
    from .compose.slideshow import make_slideshow  # moviepy is slow to import: only when asked

    story = ctx.story
    photos = [m for m in media if m.info.kind == PHOTO]
    item = MediaItem(id=SLIDESHOW, file=Path(SLIDESHOW), caption=f"Slideshow: {story.headline}",
                     credit=", ".join(dict.fromkeys(p.item.credit for p in photos if p.item.credit)) or None)
    key = slideshow_key(story, photos, request, ctx.settings, ctx.ff)
    hit = ctx.cache.fetch(key, ctx.media_dir(SLIDESHOW), rendition_dir(SLIDESHOW))
    if hit is None:
        ctx.workers.check()
        progress = ctx.reporter.task(f"{story.slug}: slideshow")
        with ctx.workers.slot():
            renditions = make_slideshow(story, photos, story.folder, ctx.staging, request, ctx.settings, ctx.ff,
                                        on_progress=_cancellable(ctx, progress))
        progress(1.0)
        ctx.cache.store(key, ctx.media_dir(SLIDESHOW), CacheEntry(renditions, None))
    else:
        renditions = hit.renditions
    first = renditions[0]
    info = MediaInfo(path=first.path, kind=VIDEO, format="composition", width=first.width or 0,
                     height=first.height or 0, duration=first.duration)
    return [BuiltMedia(item, info, tuple(renditions), from_cache=len(renditions) if hit else 0, composed=True)]


def title_links(media: Sequence[BuiltMedia]) -> list[BuiltMedia]:
    """Give every rendition its link text, e.g. "720p MP4 · 1280×720 · 0:15 · 2.1 MB"."""
    return [replace(m, renditions=tuple(replace(r, title=link_title(r)) for r in m.renditions)) for m in media]


def write_story_files(ctx: BuildContext, media: Sequence[BuiltMedia], packages: tuple[Rendition, ...],
                      body: Body) -> None:
    """Write manifest.json, index.html, embed.html and article.txt from one manifest and one body."""
    manifest = make_manifest(ctx.story, media, packages, ctx.base_url, body)
    write_manifest(ctx.staging, manifest)
    write_article(ctx.staging, ctx.story, media, manifest, body, ctx.base_url)


def write_story_packages(ctx: BuildContext, media: Sequence[BuiltMedia]) -> tuple[Rendition, ...]:
    """Write one zip per package profile, the story's own files under originals/; return them titled."""
    originals = [(ctx.source(m.item), f"{ORIGINALS}/{m.item.file.as_posix()}") for m in media if not m.composed]
    ctx.workers.check()
    done = ctx.reporter.task(f"{ctx.story.slug}: packages")
    packages = write_packages(ctx.staging, ctx.story.slug, ctx.settings.packages, originals,
                              zip_timestamp(ctx.story.published))
    done(1.0)
    return tuple(replace(p, title=link_title(p)) for p in packages)
