"""The story's own files for the packages: sanitised copies made in the worker pool, queued behind the photos."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from concurrent.futures import Future, wait
from dataclasses import replace
from pathlib import Path
from typing import Self

from .cache import CacheEntry
from .context import BuildContext
from .files import file_digest, remember_digest
from .keys import rendition_key
from .model import PHOTO, BuiltMedia, MediaInfo, MediaItem, Rendition
from .publish.originals import SANITISER_VERSION, sanitise, sanitise_photo, unsanitisable

ORIGINALS = "originals"  # the folder of the story's own files inside a package
_ORIGINAL = Rendition(name="original", path=Path("original"), content_type="application/octet-stream",
                      size_bytes=0, role="original")


class Originals:
    """Ready the originals the packages take (sanitised unless set otherwise), starting as early as asked.

    ``start`` queues a photo's sanitising in the worker pool without waiting for a slot: called right
    after the photos are submitted, the copies are made as the renders finish and while the page is
    written (twelve 24 MP photos: 0.25 s of work that used to run after the renders, on their own).
    ``ready`` starts the rest (videos: an ffmpeg stream copy, here) and returns each (file, name in
    the zip). A sanitised copy is cached like a rendition; without a cache it is made in a hidden
    folder beside the staging one, removed on leaving (or by the next build, if this one dies).
    """

    def __init__(self, ctx: BuildContext):
        self.ctx = ctx
        self.sanitised = ctx.settings.originals == "sanitised"
        self.scratch = ctx.staging.with_name(ctx.staging.name + "-originals")
        self.started: dict[str, Path | None] = {}  # by media id: the copy to package, None if left out
        self.making: list[tuple[Path, str, Future]] = []  # (copy, cache key, the worker's sha256)

    def __enter__(self) -> Self:
        if self.sanitised:
            self.scratch.mkdir(exist_ok=True)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for _, _, making in self.making:  # the build stopped early: let no worker write into a removed folder
            making.cancel() or wait([making])
        shutil.rmtree(self.scratch, ignore_errors=True)

    def start(self, item: MediaItem, info: MediaInfo) -> None:
        """Fetch the item's sanitised copy from the cache, or start making it (photos in the pool)."""
        if item.id in self.started:
            return
        source = self.ctx.source(item)
        if (twin := next((i for i in self.started if self.ctx.source(self.ctx.story.item(i)) == source), None)):
            self.started[item.id] = self.started[twin]  # two items of one file: one copy, one zip entry
            return
        if not self.sanitised:
            self.started[item.id] = None if self.ctx.settings.originals == "none" else source
            return
        if unsanitisable(info, source):
            self.started[item.id] = None  # left out: check warned
            return
        ctx = self.ctx
        name = "original" + source.suffix.lower()  # an entry is shared by every file of the same bytes
        key = rendition_key("original", file_digest(source), SANITISER_VERSION)
        folder = self.scratch / item.id
        self.started[item.id] = folder / name
        if ctx.cache.fetch(key, folder, Path(".")) is not None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        if info.kind == PHOTO:  # 24 MP: 20 ms each, in the pool
            making = ctx.workers.queue(source, sanitise_photo, source, info, folder / name)
        else:
            sanitise(source, info, folder / name, ctx.settings, ctx.ff)  # ffmpeg: a stream copy, here
            making = Future()
            making.set_result(None)
        self.making.append((folder / name, key, making))

    def ready(self, media: Sequence[BuiltMedia]) -> list[tuple[Path, str]]:
        """Start what is not started, wait for every copy and cache it; return (file, name in the zip)."""
        originals = [m for m in media if not m.composed]
        for built in originals:
            self.start(built.item, built.info)
        while self.making:
            path, key, making = self.making.pop(0)
            if (digest := self.ctx.workers.result(making)) is not None:
                remember_digest(path, digest)
            entry = replace(_ORIGINAL, path=Path(path.name), size_bytes=path.stat().st_size)
            self.ctx.cache.store(key, path.parent, CacheEntry((entry,), None))
        packaged = {f"{ORIGINALS}/{built.item.file.as_posix()}": path for built in originals
                    if (path := self.started[built.item.id]) is not None}  # a file two items show, once
        return [(path, name) for name, path in packaged.items()]
