"""The stages of a story's build, each over one BuildContext: render, encode, cut, splice, compose, write."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, wait
from dataclasses import replace
from pathlib import Path
from typing import Self

from .cache import CacheEntry
from .context import BuildContext
from .errors import BuildError, InputError, Problem, single_line
from .i18n import subtitles_language
from .keys import (
    SPLICED_TYPES,
    animation_key,
    credit_is_spliced,
    crop_key,
    hls_key,
    media_key,
    slideshow_key,
    social_key,
    without_credit,
)
from .model import (
    PHOTO,
    PICTURE_ROLES,
    VIDEO,
    BuiltMedia,
    MediaInfo,
    MediaItem,
    Rendition,
    lead_item_id,
)
from .originals_stage import Originals
from .photo.credit import splice_credit
from .photo.crops import focus_pixel, lead_crops, ratio_crops
from .photo.renditions import crop_picture, make_photo_renditions
from .publish.body import Body
from .publish.labels import kind_label, language_name, link_title
from .publish.manifest import make_manifest, write_manifest
from .publish.originals import ED_NOTE
from .publish.packages import write_packages, zip_timestamp
from .publish.page import write_article
from .story.compose_request import SLIDESHOW
from .video.animation import can_loop, make_animation
from .video.hls import HLS_DIR, Captions, package_hls
from .video.ladder import package_audio, transcode_video
from .video.outputs import MP4
from .video.tags import mp4_tags, tag_mp4


class PhotoRenders:
    """The story's photos: fetched from the cache, or rendering in the worker pool while the block runs.

    On entry every photo is submitted (with --jobs 1 it renders there and then), then its original
    is queued behind them; ``results()`` waits for the renders. Leaving the block with an error cancels the photos not started and waits for the others,
    so none writes into a staging folder being removed.
    """

    def __init__(self, ctx: BuildContext, originals: Originals):
        self.ctx = ctx
        self.originals = originals
        self.done: dict[str, BuiltMedia] = {}
        self.pending: dict[str, tuple[Future, str, Callable[[float], None]]] = {}

    def __enter__(self) -> Self:
        ctx = self.ctx
        lead = lead_item_id(ctx.infos)  # the lead photo gets the crops platforms show
        try:
            for item_id, info in ctx.infos.items():
                if info.kind != PHOTO:
                    continue
                ctx.workers.check()
                item = ctx.story.item(item_id)
                crops = lead_crops(ctx.settings.photos.crop_width) if item_id == lead else ()
                key = media_key(ctx.story, item, info, ctx.settings, ctx.ff, crops)
                if (hit := ctx.cached(key, item_id)) is not None:
                    self.done[item_id] = BuiltMedia(item, info, hit.renditions, hit.poi, len(hit.renditions))
                    continue
                progress = ctx.reporter.task(f"{ctx.story.slug}: photo {item_id}")
                bare = without_credit(item) if credit_is_spliced(ctx.settings) else item
                future = ctx.workers.submit(ctx.source(item), make_photo_renditions, bare, ctx.source(item),
                                            ctx.staging, ctx.settings.photos, crops)
                self.pending[item_id] = (future, key, progress)
            for item_id, info in ctx.infos.items():
                if info.kind == PHOTO:
                    self.originals.start(ctx.story.item(item_id), info)
        except BaseException:
            self._abandon()
            raise
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            self._abandon()

    def results(self) -> dict[str, BuiltMedia]:
        """Wait for every photo; return them all by media id, or raise InputError naming every bad one."""
        problems = []
        for item_id, (future, key, progress) in list(self.pending.items()):
            try:
                renditions, poi = self.ctx.workers.result(future)
            except InputError as exc:  # found by the one full decode: corrupt or truncated
                problems.append(Problem(None, f"media[{item_id}]", exc.message))
                continue
            finally:
                del self.pending[item_id]
            progress(1.0)
            self.ctx.keep(key, item_id, CacheEntry(renditions, poi))
            self.done[item_id] = BuiltMedia(self.ctx.story.item(item_id), self.ctx.infos[item_id], renditions, poi)
        if problems:
            raise InputError(f"{self.ctx.story.source}: {len(problems)} problem(s) found", problems)
        return self.done

    def _abandon(self) -> None:
        futures = [future for future, _, _ in self.pending.values()]
        for future in futures:
            future.cancel()
        wait(futures)


def encode_media(ctx: BuildContext) -> list[BuiltMedia]:
    """Make each video's ladder and each audio file's M4A, one at a time, or fetch them from the cache."""
    media = []
    for item_id, info in ctx.infos.items():
        if info.kind == PHOTO:
            continue
        item = ctx.story.item(item_id)
        encode = transcode_video if info.kind == VIDEO else package_audio
        renditions, cached = _cached_or_made(
            ctx, media_key(ctx.story, item, info, ctx.settings, ctx.ff), item_id, f"{info.kind} {item_id}",
            lambda progress, item=item, info=info, encode=encode: encode(
                item, info, ctx.story.folder, ctx.staging, ctx.settings, ctx.ff, on_progress=progress,
                language=subtitles_language(item.subtitles, ctx.story.language)))
        media.append(BuiltMedia(item, info, renditions, from_cache=cached))
    return media


def package_streams(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Add HLS of each video's ladder, by stream copy, when ``[video] hls`` is on (from the cache if unchanged).

    It runs on the ladder as encoded (and cached), before the MP4s are tagged, so a caption edit leaves
    it cached; only its master playlist joins the renditions (the manifest and the page name it).
    """
    if not ctx.settings.video.hls:
        return media
    result = []
    for built in media:
        if built.info.kind == VIDEO:
            rungs = [r for r in built.renditions if r.role == "rendition" and r.content_type == MP4]
            vtt = next((r for r in built.renditions if r.role == "captions"), None)
            # The captions' language is the page's <track srclang>: the subtitles file's (x.en.srt), else the story's.
            lang = subtitles_language(built.item.subtitles, ctx.story.language)
            captions = Captions(vtt, lang, language_name(lang)) if vtt is not None else None
            key = hls_key([ctx.staging / r.path for r in rungs], lang if captions else None, ctx.story.language,
                          ctx.settings, ctx.ff)
            files, cached = _cached_or_made(
                ctx, key, built.item.id, f"HLS {built.item.id}",
                lambda progress, rungs=rungs, captions=captions: package_hls(
                    rungs, captions, ctx.staging, ctx.story.language, language_name(ctx.story.language),
                    ctx.settings, ctx.ff, on_progress=progress), folder=HLS_DIR)
            built = replace(built, renditions=(*built.renditions, files[0]), from_cache=built.from_cache + bool(cached))
        result.append(built)
    return result


def cut_social(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Add 9:16 and 1:1 social cuts to each video when the story asks (from the cache if unchanged)."""
    request = ctx.story.compose
    if request is None or not request.social:
        return media
    from .compose.social import make_social_cuts  # moviepy is slow to import: only when asked

    result = []
    for built in media:
        if built.info.kind == VIDEO:
            key = social_key(ctx.story, built.item, built.info, ctx.settings, ctx.ff)
            cuts, cached = _cached_or_made(ctx, key, built.item.id, f"social cuts {built.item.id}",
                                           lambda progress, built=built: make_social_cuts(
                                               built, ctx.story.folder, ctx.staging, ctx.settings, ctx.ff,
                                               on_progress=progress,
                                               language=subtitles_language(built.item.subtitles, ctx.story.language)))
            built = replace(built, renditions=(*built.renditions, *cuts), from_cache=built.from_cache + cached)
        result.append(built)
    return result


def crop_posters(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Crop each video's poster to 16:9, 4:3 and 1:1 (the lead's to the share image too), from the cache if unchanged.

    A video's ``focus`` becomes its focal point (ninjs ``poi``); without one the crops centre on the
    poster's most detailed region.
    """
    lead = lead_item_id(ctx.infos)
    result = []
    for built in media:
        poster = next((r for r in built.renditions if r.role == "poster" and r.content_type == "image/jpeg"), None)
        if built.info.kind == VIDEO and not built.composed and poster is not None:
            item, width = built.item, ctx.settings.photos.crop_width
            crops = lead_crops(width) if item.id == lead else ratio_crops(width)
            picture = ctx.staging / poster.path  # as encoded: its credit is spliced in later
            made, cached = _cached_or_made(ctx, crop_key(picture, item, crops, ctx.settings), item.id,
                                           f"crops {item.id}", lambda progress, item=item, picture=picture,
                                           crops=crops: crop_picture(picture, item.id, item.focus, crops,
                                                                     ctx.staging, ctx.settings.photos))
            poi = focus_pixel(item.focus, (built.info.width, built.info.height)) if item.focus else built.poi
            built = replace(built, renditions=(*built.renditions, *made), from_cache=built.from_cache + cached,
                            poi=poi)
        result.append(built)
    return result


def loop_animations(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Add a silent looping MP4 to each animated photo (GIF, WebP, APNG), from the cache if unchanged."""
    result = []
    for built in media:
        if built.info.kind == PHOTO and can_loop(built.info):
            key = animation_key(ctx.story, built.item, ctx.settings, ctx.ff)
            loops, cached = _cached_or_made(ctx, key, built.item.id, f"animation {built.item.id}",
                                            lambda progress, built=built: make_animation(
                                                built.item, built.info, ctx.story.folder, ctx.staging,
                                                ctx.settings, ctx.ff, on_progress=progress))
            built = replace(built, renditions=(*built.renditions, *loops), from_cache=built.from_cache + cached)
        result.append(built)
    return result


def in_story_order(ctx: BuildContext, *parts: Iterable[BuiltMedia]) -> list[BuiltMedia]:
    """Put built media back in the order the front matter lists them."""
    by_id = {built.item.id: built for part in parts for built in part}
    return [by_id[item_id] for item_id in ctx.infos]


def _cached_or_made(ctx: BuildContext, key: str, media_id: str, label: str,
                    make: Callable[[Callable[[float], None]], tuple[Rendition, ...]], folder: str = ""
                    ) -> tuple[tuple[Rendition, ...], int]:
    """Fetch renditions from the cache (into the item's folder, or a ``folder`` in it), or make them in a
    worker slot with progress; return them and how many came from the cache."""
    if (hit := ctx.cached(key, media_id, folder)) is not None:
        return hit.renditions, len(hit.renditions)
    ctx.workers.check()
    progress = ctx.reporter.task(f"{ctx.story.slug}: {label}")

    def on_progress(fraction: float) -> None:
        ctx.workers.check()  # raising here, in ffmpeg's progress report, makes ffmpeg.run kill ffmpeg
        progress(fraction)

    with ctx.workers.slot():
        renditions = tuple(make(on_progress))
    progress(1.0)
    ctx.keep(key, media_id, CacheEntry(renditions, None), folder)
    return renditions, 0


def credit_files(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Put each item's caption, credit and rights into its files: photos, posters, sprites, MP4s; no re-encode.

    JPEG and WebP files take EXIF, XMP and IPTC IIM spliced in; MP4s are tagged by a stream copy. The
    cache holds them untagged, so a caption edit costs this step only.
    """
    result = []
    for built in media:
        renditions = []
        for rendition in built.renditions:
            path = ctx.staging / rendition.path
            if rendition.content_type in SPLICED_TYPES and rendition.role in PICTURE_ROLES:
                try:
                    splice_credit(path, built.item)
                except ValueError as exc:
                    raise BuildError(single_line(f"{path.name}: cannot embed the credit: {exc}")) from None
            elif rendition.content_type in ("video/mp4", "audio/mp4"):
                credit = ctx.words("credit_line", kind=kind_label(ctx.words, built.info.kind),
                                   credit=built.item.credit) if built.item.credit else None
                tag_mp4(ctx.ff, path, mp4_tags(built.item, ctx.story.headline, credit), ctx.story.language,
                        ctx.settings, rendition.duration)
            else:
                renditions.append(rendition)
                continue
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
    item = MediaItem(id=SLIDESHOW, file=Path(SLIDESHOW), caption=ctx.words("slideshow", headline=story.headline),
                     credit=", ".join(dict.fromkeys(p.item.credit for p in photos if p.item.credit)) or None)
    renditions, cached = _cached_or_made(
        ctx, slideshow_key(story, photos, request, ctx.settings, ctx.ff), SLIDESHOW, "slideshow",
        lambda progress: make_slideshow(story, photos, story.folder, ctx.staging, request, ctx.settings, ctx.ff,
                                        on_progress=progress))
    first = renditions[0]
    info = MediaInfo(path=first.path, kind=VIDEO, format="composition", width=first.width or 0,
                     height=first.height or 0, duration=first.duration)
    return [BuiltMedia(item, info, renditions, from_cache=cached, composed=True)]


def title_links(ctx: BuildContext, media: Sequence[BuiltMedia]) -> list[BuiltMedia]:
    """Give every rendition its link text in the story's language, e.g. "720p MP4 · 1280×720 · 0:15 · 2.1 MB"."""
    return [replace(m, renditions=tuple(replace(r, title=link_title(r, ctx.words)) for r in m.renditions))
            for m in media]


def write_story_files(ctx: BuildContext, media: Sequence[BuiltMedia], packages: tuple[Rendition, ...],
                      body: Body) -> None:
    """Write manifest.json, index.html, embed.html and article.txt from one manifest and one body."""
    manifest = make_manifest(ctx.story, media, packages, ctx.base_url, body, ed_note=ED_NOTE[ctx.settings.originals],
                             words=ctx.words)
    write_manifest(ctx.staging, manifest)
    write_article(ctx.staging, ctx.story, media, manifest, body, ctx.base_url, ctx.words)


def write_story_packages(ctx: BuildContext, originals: list[tuple[Path, str]]) -> tuple[Rendition, ...]:
    """Write one zip per package profile, the story's own files under originals/; return them titled."""
    ctx.workers.check()
    done = ctx.reporter.task(f"{ctx.story.slug}: packages")
    packages = write_packages(ctx.staging, ctx.story.slug, ctx.settings.packages, originals,
                              zip_timestamp(ctx.story.published))
    done(1.0)
    return tuple(replace(p, title=link_title(p, ctx.words)) for p in packages)
