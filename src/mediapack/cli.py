"""The command line: parse options, call the work, map MediapackError to exit codes in one place."""

from __future__ import annotations

import logging
import re
import signal
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from . import __version__
from .arguments import base_url_problem, stories_only, usable_cache
from .config import load_settings
from .errors import InputError, MediapackError, UsageError, single_line
from .files import json_text
from .rules import ascii_url
from .signals import stop_on_signals
from .staging import LOCK_TIMEOUT

if TYPE_CHECKING:
    from .batch import Outcome


# Each command imports what it runs when it runs: `mediapack --help` and `mediapack verify` must not wait
# for PyAV, Pillow, Jinja2, markdown-it or moviepy.

app = typer.Typer(
    name="mediapack",
    help="Build a news story's photos, video, article page, manifest and zip packages from one story folder.\n\n"
    "Start with `mediapack init my-story`, check it with `mediapack check my-story`, "
    "then `mediapack build my-story` and open dist/<slug>/index.html.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Stories = Annotated[list[Path], typer.Argument(help="Story folders (each holding a story.md).", show_default=False)]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Use this mediapack.toml instead of "
                                                "looking in the story folder and its parents.", dir_okay=False)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log what mediapack does, ffmpeg's output "
                                       "included, to stderr.")]


def _version(value: bool) -> None:
    if value:
        print(f"mediapack {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Verbose = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    _log_to_stderr(verbose)


def _log_to_stderr(verbose: bool) -> None:
    """Log warnings to stderr; with -v (before or after the command) mediapack's own debug lines too.

    Only mediapack's loggers (ffmpeg's output comes through mediapack.ffmpeg) go to debug level:
    the libraries it uses would print thousands of lines of their own.
    """
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if verbose:
        logging.getLogger("mediapack").setLevel(logging.DEBUG)


SHARE_CARDS_NEED_BASE_URL = ("share cards need --base-url: without it the pages have no canonical link, og:url, "
                             "og:image, og:video or twitter:image, and OUT gets no feed.xml, sitemap-news.xml or "
                             "sitemap-video.xml (platforms, feed readers and search engines take only absolute URLs)")


_BUILD_EXAMPLES = """Examples:

\b
  mediapack build my-story                     # into dist/<slug>/; open dist/<slug>/index.html
  mediapack build stories/*/ --out dist --base-url https://media.example.org/stories --json
  mediapack build my-story --no-cache --jobs 1 # make everything again, one photo at a time

Exit codes: 0 all built; 1 a story has a problem or failed; 2 usage or settings; 3 ffmpeg missing or
broken; 130 or 143 interrupted (Ctrl-C, SIGTERM). With --json, stdout holds exactly one JSON object
(see the README)."""


@app.command("build", epilog=_BUILD_EXAMPLES)
def build_command(
    stories: Stories,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; each story lands in OUT/<slug>/.",
                                      file_okay=False)] = Path("dist"),
    base_url: Annotated[str | None, typer.Option(help="The URL OUT is served at "
                                                 "(e.g. https://media.example.org/stories): every link is made "
                                                 "absolute under it, the pages get share cards, and OUT a "
                                                 "feed.xml, sitemap-news.xml and sitemap-video.xml.")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, show_default=False,
                                             help="Worker slots shared by stories built in parallel and their "
                                             "photo and video encodes [default: the CPUs this process may use]."
                                             )] = None,
    strict: Annotated[bool, typer.Option(help="Treat warnings (missing captions, credits, alt) as errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary on stdout; logs go to stderr.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-encode everything; do not read or fill the cache.")] = False,
    cache: Annotated[Path | None, typer.Option(envvar="MEDIAPACK_CACHE", file_okay=False,
                                               help="Rendition cache folder [default: .mediapack-cache beside OUT].")] = None,
    lock_timeout: Annotated[float, typer.Option(min=0, help="Seconds to wait while another build writes the same "
                                                "story before failing (0: fail at once).")] = LOCK_TIMEOUT,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT/<slug> even when another story folder "
                                        "built it (the slugs clash).")] = False,
    cluster: Annotated[str | None, typer.Option(envvar="MEDIAPACK_CLUSTER", show_default=False, help="Build each story "
                                                "as one task on this Dask scheduler (tcp://HOST:8786): needs the 'cluster'"
                                                " extra, and the stories, OUT and the cache on storage every worker shares.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    config: ConfigOpt = None,
    verbose: Verbose = False,
) -> None:
    """Build each story: renditions, page, manifest, packages and SHA256SUMS in OUT/<slug>/.

    STORY may also be a story.md file. Settings come from mediapack.toml in the story folder and its
    parents (or --config). Unchanged media come from the cache, so a rebuild takes seconds.
    """
    from .batch import Outcome, build_many, story_folder
    from .cluster import connected
    from .context import BuildOptions
    from .progress import make_reporter

    _log_to_stderr(verbose)
    if base_url is not None and (problem := base_url_problem(base_url)):
        _fail(UsageError(f"--base-url {problem}: {single_line(base_url)}"), as_json)
    base_url = ascii_url(base_url) if base_url is not None else None  # a host or path in another script
    reporter = make_reporter(quiet=quiet)
    warnings: list[str] = []
    cache_dir = None if no_cache else usable_cache(cache or out.resolve().parent / ".mediapack-cache", warnings)
    if cluster and jobs:
        warnings.append("--jobs is ignored with --cluster: each worker's threads and encode resource decide")
    for warning in warnings:
        reporter.note(f"warning: {warning}")
    try:
        stories = stories_only(stories, reporter.note)
    except UsageError as exc:
        _fail(exc, as_json)
    finished: list[Outcome] = []

    def show(outcome: Outcome) -> None:
        finished.append(outcome)
        if outcome.error is not None:
            _print_error(outcome.error, reporter.error)
            return
        result = outcome.result
        for warning in result.warnings:
            reporter.note(f"warning: {single_line(warning)}")
        if result.up_to_date:
            reporter.note(f"{result.slug} is up to date: nothing it is made from has changed since it was built "
                          f"-> {result.output / 'index.html'}")
            return
        reporter.note(f"built {result.slug}: {result.built} renditions made, {result.cached} from cache, "
                      f"{result.seconds:.1f} s -> {result.output / 'index.html'}")

    try:
        options = BuildOptions(base_url=base_url, strict=strict, cache_dir=cache_dir, lock_timeout=lock_timeout,
                               force=force)
        with connected(cluster) as remote:
            outcomes = build_many(stories, out, partial(load_settings, config=config.resolve() if config and
                                                        cluster else config),  # a worker may start elsewhere
                                  options, jobs=jobs, reporter=reporter, on_done=show, cluster=remote)
    except MediapackError as exc:  # the cluster cannot be reached
        _fail(exc, as_json)
    except KeyboardInterrupt as exc:
        reporter.close()
        code = 128 + getattr(exc, "signum", signal.SIGINT)
        _err(f"interrupted: {'stories not started cancelled' if cluster else 'ffmpeg stopped'} and unfinished "
             "output removed; earlier output is unchanged")
        if as_json:
            done = {outcome.folder for outcome in finished}
            stopped = [Outcome(story_folder(f), error=UsageError("interrupted")) for f in stories
                       if story_folder(f) not in done]
            summaries = [o.summary() for o in finished] + [o.summary(code) for o in stopped]
            _print_json({"ok": False, "exit_code": code, "interrupted": True, "warnings": warnings,
                         "stories": summaries})
        raise typer.Exit(code) from None
    finally:
        reporter.close()
    if base_url is None and any(o.result and not o.result.up_to_date for o in outcomes):
        # Once per run, after the stories; no story's warning, so --strict does not fail on it.
        warnings.append(SHARE_CARDS_NEED_BASE_URL)
        reporter.note(f"note: {SHARE_CARDS_NEED_BASE_URL}")
    worst = max(outcome.exit_code for outcome in outcomes)
    if as_json:
        _print_json({"ok": worst == 0, "exit_code": worst, "warnings": warnings,
                     "stories": [o.summary() for o in outcomes]})
    if worst:
        raise typer.Exit(worst)


def _fail(error: MediapackError, as_json: bool) -> NoReturn:
    """Raise ``error`` for main() to report; with --json, first print it as the one JSON object."""
    if as_json:
        _print_json({"ok": False, "exit_code": error.exit_code, "stories": [],
                     "errors": [single_line(line) for line in error.lines()]})
    raise error


def _print_json(summary: object) -> None:
    print(json_text(summary, ensure_ascii=False, indent=2), flush=True)


@app.command("check")
def check_command(
    stories: Stories,
    strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
    config: ConfigOpt = None,
    verbose: Verbose = False,
) -> None:
    """Validate stories without writing anything: front matter, files, captions, credits, alt, decodability.

    check refuses whatever build would refuse: every media file is probed and every subtitle file read.
    """
    from .batch import story_folder
    from .check import check_story, needs_ffmpeg
    from .ffmpeg import locate_ffmpeg

    _log_to_stderr(verbose)
    worst = 0
    for folder in map(story_folder, stories_only(stories, _err)):
        try:
            settings = load_settings(folder, config)
            checked = check_story(folder, settings, strict=strict)
            if needs_ffmpeg(checked):  # build would stop at a missing or broken ffmpeg: so does check
                locate_ffmpeg(settings.ffmpeg.path)
        except MediapackError as exc:
            worst = max(worst, exc.exit_code)
            _print_error(exc)
            continue
        for warning in checked.warnings:
            _err(f"warning: {single_line(str(warning))}")
        _err(single_line(f"ok: {checked.story.source} ({len(checked.story.media)} media items, "
                         f"{len(checked.warnings)} warning(s))", 1000))
    if worst:
        raise typer.Exit(worst)


cache_app = typer.Typer(help="Look after the rendition cache.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(cache_app, name="cache")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?B?)", re.IGNORECASE)
_BYTES = {"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9, "T": 1e12, "TB": 1e12}


@cache_app.command("prune")
def cache_prune_command(
    cache: Annotated[Path, typer.Option(envvar="MEDIAPACK_CACHE", file_okay=False,
                                        help="The cache folder (as build's --cache).")] = Path(".mediapack-cache"),
    older_than: Annotated[str | None, typer.Option(help="Remove entries no build has used for this long: "
                                                   "90m, 12h, 30d, 8w.")] = None,
    max_size: Annotated[str | None, typer.Option(help="Then remove the least recently used entries until the "
                                                 "cache is no larger than this: 500MB, 20GB.")] = None,
    verbose: Verbose = False,
) -> None:
    """Remove cache entries unused for a while, or the least recently used past a size; others stay valid."""
    from .cache import RenditionCache

    _log_to_stderr(verbose)
    if older_than is None and max_size is None:
        raise UsageError("say what to prune: --older-than 30d, --max-size 20GB, or both")
    age = _parse(older_than, _DURATION, _SECONDS, "--older-than", "a time like 12h or 30d")
    size = _parse(max_size, _SIZE, _BYTES, "--max-size", "a size like 500MB or 20GB")
    if not cache.is_dir():
        raise InputError(f"{cache}: no cache folder here (give --cache, or set MEDIAPACK_CACHE)")
    done = RenditionCache(cache).prune(older_than=age, max_bytes=int(size) if size is not None else None)
    _err(f"pruned {cache}: {done.removed} entries removed ({_megabytes(done.freed_bytes)}), {done.kept} kept "
         f"({_megabytes(done.kept_bytes)})")


def _parse(text: str | None, pattern: re.Pattern, units: dict, option: str, like: str) -> float | None:
    if text is None:
        return None
    match = pattern.fullmatch(text.strip())
    if not match or match[2].upper() not in {u.upper() for u in units}:
        raise UsageError(f"{option} must be {like}, not {single_line(text, 40)!r}")
    return float(match[1]) * {u.upper(): v for u, v in units.items()}[match[2].upper()]


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


@app.command("verify")
def verify_command(
    path: Annotated[Path, typer.Argument(help="An output folder (OUT/<slug>) or a package zip.")],
    trust_anchors: Annotated[Path | None, typer.Option(dir_okay=False, help="PEM root certificates to trust the "
        "Content Credentials of [default: [signing] trust_anchors, or MEDIAPACK_C2PA_TRUST_ANCHORS].")] = None,
    config: ConfigOpt = None,
    verbose: Verbose = False,
) -> None:
    """Check a folder or zip against its SHA256SUMS, and every signed file's Content Credentials (exit 4 if not)."""
    from .credentials.verify import verify_output

    _log_to_stderr(verbose)
    if not path.exists():
        raise InputError(f"{path}: not found")
    _err(verify_output(path, load_settings(Path.cwd(), config, is_story=False), trust_anchors, _err))


@app.command("probe")
def probe_command(
    files: Annotated[list[Path], typer.Argument(help="Media files to inspect.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    verbose: Verbose = False,
) -> None:
    """Show what mediapack sees in media files: size after rotation, duration, codecs, streams, caption, credit."""
    from .probe import describe_file, described_lines

    _log_to_stderr(verbose)
    results, worst = [], 0
    for file in files:
        try:
            results.append(describe_file(file))
        except MediapackError as exc:
            worst = max(worst, exc.exit_code)
            _print_error(exc)
            results.append({"file": str(file), "error": single_line(exc.message, 1000)})  # --json lists it too
    if as_json:
        _print_json(results)
    else:
        for result in (r for r in results if "error" not in r):
            print("\n".join(described_lines(result)))
    if worst:
        raise typer.Exit(worst)


@app.command("init")
def init_command(
    folder: Annotated[Path, typer.Argument(help="Folder to create the story in.")],
    verbose: Verbose = False,
) -> None:
    """Scaffold a story folder with a commented story.md and photos/ and video/ folders."""
    from .scaffold import init_story

    _log_to_stderr(verbose)
    created = init_story(folder)
    _err(f"created {created}; add media, edit story.md, then run: mediapack check {folder}")


@app.command("doctor")
def doctor_command(
    config: ConfigOpt = None,
    verbose: Verbose = False,
) -> None:
    """Show the ffmpeg in use (path, version, encoders), PyAV and Pillow features; exit 3 if something is missing."""
    from .doctor import run_doctor

    _log_to_stderr(verbose)
    settings = load_settings(Path.cwd(), config, is_story=False)
    ok = run_doctor(settings, print)
    if not ok:
        raise typer.Exit(3)


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def _print_error(exc: MediapackError, say: Callable[[str], None] = _err) -> None:
    """Print the error and its problems (exactly as many as it counts), then what else was found."""
    lines = exc.lines()
    if len(lines) == 2 and exc.problems:  # a single problem reads best on one line
        lines = [str(exc.problems[0])]
    say(f"error: {single_line(lines[0], 1000)}")
    for line in lines[1:]:
        say(f"  {single_line(line, 1000)}")
    for warning in exc.warnings:
        say(f"warning: {single_line(str(warning), 1000)}")


def main() -> None:
    """Run the CLI; the one place where errors become exit codes."""
    stop_on_signals()
    try:
        app()
    except MediapackError as exc:
        _print_error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        _err("interrupted")
        sys.exit(128 + getattr(exc, "signum", signal.SIGINT))
