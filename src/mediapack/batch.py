"""Batches: build many stories with one worker budget here, or as tasks on a cluster; one failure stops no other."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from itertools import count, islice
from pathlib import Path
from typing import Protocol

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

    def summary(self, exit_code: int | None = None) -> dict:
        """Describe the outcome for --json: the same keys whether it was built or not."""
        result, error = self.result, self.error
        warnings = result.warnings if result else [str(w) for w in error.warnings]
        return {"story": str(self.folder), "ok": error is None,
                "exit_code": exit_code if exit_code is not None else self.exit_code,
                "slug": self.slug, "output": str(result.output) if result else None,
                "packages": [str(p) for p in result.packages] if result else [],
                "built": result.built if result else 0, "cached": result.cached if result else 0,
                "warnings": [single_line(w) for w in warnings],
                "errors": [single_line(line) for line in error.lines()] if error else [],
                "seconds": result.seconds if result else self.seconds,
                "up_to_date": bool(result and result.up_to_date)}


def story_folder(path: Path) -> Path:
    """Take a story folder, or the story.md inside one (a user's natural slip), as the folder."""
    return path.parent if path.name == "story.md" and path.is_file() else path


class StoryExecutor(Protocol):
    """Somewhere else to build stories, each as one task: a Dask cluster (cluster.py)."""

    label: str  # where the stories go, for their progress bar
    window: int  # how many stories may be submitted at once

    def submit(self, folder: Path, out_dir: Path, settings: Settings, options: BuildOptions,
               slug: str | None) -> Future:
        """Start building one story there; the future holds its Outcome."""

    def lost(self, folder: Path, exc: BaseException) -> MediapackError:
        """Say why a story that never came back (its workers died, the scheduler went away) failed."""


def build_many(folders: Sequence[Path], out_dir: Path, load_settings: Callable[[Path], Settings],
               options: BuildOptions | None = None, *, jobs: int | None = None, reporter: Reporter | None = None,
               on_done: Callable[[Outcome], None] | None = None,
               cluster: StoryExecutor | None = None) -> list[Outcome]:
    """Build each story, ``jobs`` at a time (default: one per CPU) with one worker budget; one failure stops no other.

    With ``cluster``, each story is one task there instead, at most ``cluster.window`` submitted at once.
    Stories that share a slug would overwrite each other's output: all of them are refused before
    anything is built.
    """
    options = options or BuildOptions()
    reporter = reporter or Reporter()
    folders = [story_folder(folder) for folder in folders]
    settings: dict[Path, Settings | MediapackError] = {}
    for folder in folders:
        try:
            settings[folder] = load_settings(folder)
        except MediapackError as exc:  # that story's own error, whatever its slug
            settings[folder] = exc
    slugs = {folder: _slug_of(folder) if (len(folders) > 1 or cluster) and isinstance(settings[folder], Settings)
             else None for folder in folders}
    clashes = _clashes(slugs)
    outcomes: dict[int, Outcome] = {}

    def finished(index: int, outcome: Outcome) -> Outcome:
        outcomes[index] = outcome
        if on_done is not None:
            on_done(outcome)
        return outcome

    for index, folder in enumerate(folders):  # refused before anything is submitted
        loaded = settings[folder]
        if (error := loaded if isinstance(loaded, MediapackError) else clashes.get(folder)) is not None:
            finished(index, Outcome(folder, error=error, slug=slugs[folder]))
    todo = [index for index in range(len(folders)) if index not in outcomes]

    if cluster is not None:
        progress, returned = reporter.task(f"{len(todo)} stories on {cluster.label}"), count(1)

        def came_back(index: int, future: Future) -> Outcome:
            folder = folders[index]
            try:
                outcome = _as_given(future.result(), folder, out_dir)
            except (Exception, CancelledError) as exc:  # noqa: BLE001 - it never came back: it alone fails
                outcome = Outcome(folder, error=cluster.lost(folder, exc), slug=slugs[folder])
            progress(next(returned) / len(todo))
            return finished(index, outcome)

        _run_window(todo, lambda index: cluster.submit(folders[index], out_dir, settings[folders[index]], options,
                                                       slugs[folders[index]]), cluster.window, came_back)
    else:
        with Workers(jobs) as workers:
            def build_one(index: int) -> Outcome:  # told in the story's thread, as soon as it is done
                folder = folders[index]
                return finished(index, build_story(folder, out_dir, settings[folder], options, workers=workers,
                                                   reporter=reporter, slug=slugs[folder]))

            def came_back(index: int, future: Future) -> Outcome:
                return future.result()  # raises what stopped the run (an interrupt)

            with ExitStack() as threads:
                submit, window = _here(build_one), 1
                if workers.jobs > 1 and len(todo) > 1:
                    stories = threads.enter_context(ThreadPoolExecutor(min(workers.jobs, len(todo)),
                                                                       thread_name_prefix="story"))
                    submit, window = partial(stories.submit, build_one), len(todo)
                try:
                    _run_window(todo, submit, window, came_back)
                except BaseException:
                    workers.cancel()  # before the threads are waited for: running stories stop at their next check
                    raise
    if any(outcome.result is not None for outcome in outcomes.values()):
        refresh_site(out_dir, options.base_url)
    return [outcomes[index] for index in range(len(folders))]


def build_story(folder: Path, out_dir: Path, settings: Settings, options: BuildOptions, *, workers: Workers,
                reporter: Reporter | None = None, slug: str | None = None) -> Outcome:
    """Build one story in these slots, or find it up to date; its errors become its Outcome, not the batch's."""
    started = time.monotonic()
    result, error = None, None
    try:
        result = _unchanged(out_dir, folder, settings, options)
        if result is None:
            workers.warm()  # the pool's forkserver loads the photo code on another core while this imports
            from .build import build  # the media libraries load only when there is work

            result = build(folder, out_dir, settings, options, reporter=reporter, workers=workers)
    except MediapackError as exc:
        error = exc
    except OSError as exc:  # a full disk or an unwritable --out fails this story, not the batch
        error = BuildError(single_line(f"{exc.filename or folder}: cannot write the output there: "
                                       f"{exc.strerror or exc}"))
    except Exception as exc:  # a bug: show its traceback, then go on with the other stories
        log.exception("%s: unexpected error", folder)
        error = BuildError(single_line(f"{folder}: unexpected error ({type(exc).__name__}: {exc}); please report it"))
    return Outcome(folder, result, error, result.slug if result else slug, round(time.monotonic() - started, 3))


def _run_window(todo: Sequence[int], submit: Callable[[int], Future], window: int,
                came_back: Callable[[int, Future], object]) -> None:
    """Submit the stories ``todo``, at most ``window`` at once, handing each to ``came_back`` as it finishes."""
    queue, running = iter(todo), {}
    try:
        while True:
            for index in islice(queue, window - len(running)):
                running[submit(index)] = index
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                came_back(running.pop(future), future)
    except BaseException:
        for future in running:
            future.cancel()  # one not started never starts (a running one: see Workers.cancel)
        raise


def _here(build_one: Callable[[int], Outcome]) -> Callable[[int], Future]:
    """Submit by building the story now, in this thread (one job, or one story)."""
    def submit(index: int) -> Future:
        future: Future = Future()
        future.set_result(build_one(index))
        return future
    return submit


def _as_given(outcome: Outcome, folder: Path, out_dir: Path) -> Outcome:
    """Name the story and its output as the command line did: a cluster worker was given absolute paths."""
    result, absolute = outcome.result, out_dir.resolve()
    if result is not None and not out_dir.is_absolute():
        def given(path: Path) -> Path:
            return out_dir / path.relative_to(absolute) if path.is_relative_to(absolute) else path
        result = replace(result, output=given(result.output), packages=tuple(map(given, result.packages)))
    return replace(outcome, folder=folder, result=result)


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
