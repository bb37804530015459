"""The one context a story's build stages share, the options a build is given, and the progress reporter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .model import MediaInfo, MediaItem, Story, rendition_dir
from .settings import Settings
from .staging import LOCK_TIMEOUT

if TYPE_CHECKING:  # only types here: records.py reads BuildOptions without loading the media libraries
    from .cache import CacheEntry, RenditionCache
    from .credentials.signer import SigningSetup
    from .ffmpeg import FFmpeg
    from .i18n import Words
    from .workers import Workers


class Reporter:
    """Receives progress from a build; this base class ignores it (the CLI shows it on a TTY)."""

    def task(self, label: str) -> Callable[[float], None]:
        """Start a unit of work; return a callback taking its completed fraction (0..1)."""
        return lambda fraction: None

    def note(self, message: str) -> None:
        """Report a line of information (warnings are returned, not noted)."""


@dataclass(frozen=True)
class BuildOptions:
    """How to build, as the command line says: links, strictness, the cache, the lock and --force."""

    base_url: str | None = None  # make every link absolute under this URL
    strict: bool = False  # warnings stop the build
    cache_dir: Path | None = None  # None: no cache
    lock_timeout: float = LOCK_TIMEOUT  # seconds to wait for another build of the same story
    force: bool = False  # replace an output of the same slug that another story folder built
    # False on a cluster: one task per slug keeps two builds of a story apart there, and a shared file
    # system may refuse flock (Lustre without -o flock, NFS without lockd).
    lock: bool = True


@dataclass(frozen=True)
class BuildContext:
    """Everything a stage of one story's build needs, checked and located before anything is written."""

    story: Story
    infos: Mapping[str, MediaInfo]  # what probing found, by media id, in the order of the front matter
    settings: Settings
    staging: Path  # the hidden folder the story is written into, swapped into place at the end
    ff: FFmpeg | None  # None when nothing needs ffmpeg (a story of photos only)
    cache: RenditionCache
    reporter: Reporter
    workers: Workers
    base_url: str | None
    signing: SigningSetup | None = None  # who signs the renditions' Content Credentials; None: unsigned

    @cached_property  # asked for by every link and label: 0.2 ms each time it was looked up again
    def words(self) -> Words:
        """Return the story's words: labels, dates and direction of its language, the newsroom's overrides."""
        from .i18n import story_words  # Babel loads with the first build, not for --help

        return story_words(self.story, self.settings)

    def source(self, item: MediaItem) -> Path:
        """Return the item's file in the story folder."""
        return self.story.folder / item.file

    def media_dir(self, media_id: str) -> Path:
        """Return the staging folder of an item's renditions, ``media/<id>``."""
        return self.staging / rendition_dir(media_id)

    def cached(self, key: str, media_id: str, folder: str = "") -> CacheEntry | None:
        """Copy a cache entry's files into the item's staging folder (or a ``folder`` in it) and return it;
        None on a miss."""
        return self.cache.fetch(key, self.media_dir(media_id) / folder, rendition_dir(media_id) / folder)

    def keep(self, key: str, media_id: str, entry: CacheEntry, folder: str = "") -> None:
        """Save the files of an entry just made from the item's staging folder (or a ``folder`` in it)."""
        self.cache.store(key, self.media_dir(media_id) / folder, entry)
