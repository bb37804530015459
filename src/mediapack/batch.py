"""Batches: build many stories with one shared worker budget; one failure stops no other."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .build import build
from .config import Settings
from .context import BuildOptions, Reporter
from .errors import BuildError, InputError, MediapackError, single_line
from .model import BuildResult, Story
from .workers import Workers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """One story of a batch: what its build produced, or the error that stopped it."""

    folder: Path
    result: BuildResult | None = None
    error: MediapackError | None = None

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error is not None else 0


def build_many(folders: Sequence[Path], out_dir: Path, load_settings: Callable[[Path], Settings],
               options: BuildOptions | None = None, *, jobs: int = 1, reporter: Reporter | None = None,
               on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Build each story, ``jobs`` at a time with one shared worker budget; one failure stops no other."""
    claimed: dict[str, Path] = {}
    guard = threading.Lock()

    def claim_slug(story: Story) -> None:
        with guard:
            first = claimed.setdefault(story.slug, story.folder)
        if first != story.folder:  # the second would silently replace the first one's output
            raise InputError(f"{story.source}: slug {story.slug!r} is already used by {first}; "
                             "set a different slug in the front matter")

    with Workers(jobs) as workers:
        def build_one(folder: Path) -> Outcome:
            try:
                result = build(folder, out_dir, load_settings(folder), options, reporter=reporter,
                               workers=workers, claim_slug=claim_slug)
                outcome = Outcome(folder, result=result)
            except MediapackError as exc:
                outcome = Outcome(folder, error=exc)
            except OSError as exc:  # a full disk or an unwritable --out fails this story, not the batch
                outcome = Outcome(folder, error=BuildError(single_line(f"{folder}: cannot build: {exc}")))
            except Exception as exc:  # a bug: show its traceback, then go on with the other stories
                log.exception("%s: unexpected error", folder)
                outcome = Outcome(folder, error=BuildError(single_line(
                    f"{folder}: unexpected error ({type(exc).__name__}: {exc}); please report it")))
            if on_done is not None:
                on_done(outcome)
            return outcome

        if workers.jobs == 1 or len(folders) < 2:
            return [build_one(folder) for folder in folders]
        with ThreadPoolExecutor(min(workers.jobs, len(folders)), thread_name_prefix="story") as stories:
            futures = [stories.submit(build_one, folder) for folder in folders]
            try:
                return [future.result() for future in futures]
            except BaseException:
                workers.cancel()  # stories still running stop at their next check and clean up
                for future in futures:
                    future.cancel()
                raise
