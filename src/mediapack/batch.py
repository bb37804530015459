"""Batches: build many stories with one shared worker budget; one failure stops no other."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .context import BuildOptions, Reporter
from .errors import BuildError, Findings, InputError, MediapackError, single_line
from .model import BuildResult
from .records import up_to_date
from .settings import Settings
from .workers import Workers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """One story of a batch: what its build produced, or the error that stopped it."""

    folder: Path
    result: BuildResult | None = None
    error: MediapackError | None = None
    slug: str | None = None  # known once its story.md could be read
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error is not None else 0


def story_folder(path: Path) -> Path:
    """Take a story folder, or the story.md inside one (a user's natural slip), as the folder."""
    return path.parent if path.name == "story.md" and path.is_file() else path


def build_many(folders: Sequence[Path], out_dir: Path, load_settings: Callable[[Path], Settings],
               options: BuildOptions | None = None, *, jobs: int | None = None, reporter: Reporter | None = None,
               on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Build each story, ``jobs`` at a time (default: one per CPU) with one worker budget; one failure stops no other.

    Stories that share a slug would overwrite each other's output: all of them are refused before
    anything is built.
    """
    options = options or BuildOptions()
    folders = [story_folder(folder) for folder in folders]
    settings: dict[Path, Settings | MediapackError] = {}
    for folder in folders:
        try:
            settings[folder] = load_settings(folder)
        except MediapackError as exc:  # that story's own error, whatever its slug
            settings[folder] = exc
    slugs = {folder: _slug_of(folder) if len(folders) > 1 and isinstance(settings[folder], Settings) else None
             for folder in folders}
    clashes = _clashes(slugs)

    with Workers(jobs) as workers:
        def build_one(folder: Path) -> Outcome:
            started = time.monotonic()
            loaded = settings[folder]
            error: MediapackError | None = loaded if isinstance(loaded, MediapackError) else clashes.get(folder)
            result = None
            try:
                if error is None:
                    result = _unchanged(out_dir, folder, loaded, options)
                    if result is None:
                        from .build import build  # the media libraries load only when there is work

                        result = build(folder, out_dir, loaded, options, reporter=reporter, workers=workers)
            except MediapackError as exc:
                error = exc
            except OSError as exc:  # a full disk or an unwritable --out fails this story, not the batch
                error = BuildError(single_line(f"{exc.filename or folder}: cannot write the output there: "
                                               f"{exc.strerror or exc}"))
            except Exception as exc:  # a bug: show its traceback, then go on with the other stories
                log.exception("%s: unexpected error", folder)
                error = BuildError(single_line(
                    f"{folder}: unexpected error ({type(exc).__name__}: {exc}); please report it"))
            outcome = Outcome(folder, result, error, result.slug if result else slugs[folder],
                              round(time.monotonic() - started, 3))
            if on_done is not None:
                on_done(outcome)
            return outcome

        if workers.jobs == 1 or len(folders) < 2:
            outcomes = [build_one(folder) for folder in folders]
        else:
            with ThreadPoolExecutor(min(workers.jobs, len(folders)), thread_name_prefix="story") as stories:
                futures = [stories.submit(build_one, folder) for folder in folders]
                try:
                    outcomes = [future.result() for future in futures]
                except BaseException:
                    workers.cancel()  # stories still running stop at their next check and clean up
                    for future in futures:
                        future.cancel()
                    raise
    if any(outcome.result is not None for outcome in outcomes):
        refresh_site(out_dir, options.base_url)
    return outcomes


def refresh_site(out_dir: Path, base_url: str | None = None) -> None:
    """Rewrite the files at the top of OUT that cover every story there (with a base URL, feeds), once per batch."""
    from .publish.site import write_site_files

    try:
        write_site_files(out_dir, base_url)
    except OSError as exc:  # the stories are built and intact; only the host's headers are stale
        log.warning("%s", single_line(f"{exc.filename or out_dir}: cannot write the site's files there: "
                                      f"{exc.strerror or exc}"))


def _unchanged(out_dir: Path, folder: Path, settings: Settings, options: BuildOptions) -> BuildResult | None:
    """Return the last build's result when nothing has changed since (never with --no-cache or --force)."""
    if options.cache_dir is None or options.force:
        return None
    return up_to_date(out_dir, folder, settings, options)


def _slug_of(folder: Path) -> str | None:
    """Read a story's slug without checking the rest (its build reports every problem)."""
    from .story.read import read_story

    story = read_story(folder, Findings())
    return story.slug if story is not None else None


def _clashes(slugs: dict[Path, str | None]) -> dict[Path, InputError]:
    """Return an error for every story whose slug another story of the batch also has."""
    by_slug: dict[str, list[Path]] = {}
    for folder, slug in slugs.items():
        if slug is not None and folder.resolve() not in {f.resolve() for f in by_slug.get(slug, [])}:
            by_slug.setdefault(slug, []).append(folder)
    errors = {}
    for slug, same in by_slug.items():
        for folder in same if len(same) > 1 else ():
            others = ", ".join(str(f) for f in same if f != folder)
            errors[folder] = InputError(f"{folder}: slug {slug!r} is also the slug of {others}; neither is "
                                        "built (set a different slug in the front matter of one of them)")
    return errors
