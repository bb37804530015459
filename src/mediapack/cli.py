"""The command line: parse options, call the work, map MediapackError to exit codes in one place."""

from __future__ import annotations

import logging
import re
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from urllib.parse import urlsplit

import typer

from . import __version__
from .config import load_settings
from .errors import InputError, MediapackError, UsageError, VerificationError, single_line
from .files import json_text
from .signals import stop_on_signals
from .staging import LOCK_TIMEOUT

if TYPE_CHECKING:
    from .batch import Outcome

# A host name (each label letters, digits and inner hyphens) or an IPv4 address; IPv6 in brackets.
_HOSTNAME = re.compile(r"(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?"
                       r"|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]+")

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


@app.command("build")
def build_command(
    stories: Stories,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; each story lands in OUT/<slug>/.",
                                      file_okay=False)] = Path("dist"),
    base_url: Annotated[str | None, typer.Option(help="Make every link absolute under this URL "
                                                 "(e.g. https://media.example.org/stories).")] = None,
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    config: ConfigOpt = None,
    verbose: Verbose = False,
) -> None:
    """Build each story: renditions, page, manifest, packages and SHA256SUMS in OUT/<slug>/.

    STORY may also be a story.md file. Settings come from mediapack.toml in the story folder and its
    parents (or --config). Unchanged media come from the cache, so a rebuild takes seconds.
    """
    from .batch import Outcome, build_many, story_folder
    from .context import BuildOptions
    from .progress import make_reporter

    _log_to_stderr(verbose)
    if base_url is not None and (problem := base_url_problem(base_url)):
        _fail(UsageError(f"--base-url {problem}: {single_line(base_url)}"), as_json)
    reporter = make_reporter(quiet=quiet)
    warnings: list[str] = []
    cache_dir = None if no_cache else _usable_cache(cache or out.resolve().parent / ".mediapack-cache", warnings)
    for warning in warnings:
        reporter.note(f"warning: {warning}")
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
        outcomes = build_many(stories, out, lambda folder: load_settings(folder, config), options, jobs=jobs,
                              reporter=reporter, on_done=show)
    except KeyboardInterrupt as exc:
        reporter.close()
        code = 128 + getattr(exc, "signum", signal.SIGINT)
        _err("interrupted: ffmpeg stopped and unfinished output removed; earlier output is unchanged")
        if as_json:
            done = {outcome.folder for outcome in finished}
            stopped = [Outcome(story_folder(f), error=UsageError("interrupted")) for f in stories
                       if story_folder(f) not in done]
            summaries = [_summary(o) for o in finished] + [_summary(o, code) for o in stopped]
            _print_json({"ok": False, "exit_code": code, "interrupted": True, "warnings": warnings,
                         "stories": summaries})
        raise typer.Exit(code) from None
    finally:
        reporter.close()
    worst = max(outcome.exit_code for outcome in outcomes)
    if as_json:
        _print_json({"ok": worst == 0, "exit_code": worst, "warnings": warnings,
                     "stories": [_summary(o) for o in outcomes]})
    if worst:
        raise typer.Exit(worst)


def _summary(outcome: Outcome, exit_code: int | None = None) -> dict:
    """Describe one story's outcome for --json: the same keys whether it was built or not."""
    result, error = outcome.result, outcome.error
    warnings = result.warnings if result else [str(w) for w in error.warnings]
    return {"story": str(outcome.folder), "ok": error is None,
            "exit_code": exit_code if exit_code is not None else outcome.exit_code,
            "slug": outcome.slug, "output": str(result.output) if result else None,
            "packages": [str(p) for p in result.packages] if result else [],
            "built": result.built if result else 0, "cached": result.cached if result else 0,
            "warnings": [single_line(w) for w in warnings],
            "errors": [single_line(line) for line in error.lines()] if error else [],
            "seconds": result.seconds if result else outcome.seconds,
            "up_to_date": bool(result and result.up_to_date)}


def base_url_problem(url: str) -> str | None:
    """Say what makes ``url`` unusable as --base-url (links are made by appending paths), or None."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "must not hold spaces or control characters"
    if bad := sorted(set(url) & set('"<>\\^`{|}')):
        return f"must not hold {''.join(bad)!r}: characters a URL cannot carry unescaped"
    if re.search(r"%(?![0-9A-Fa-f]{2})", url):
        return "has a '%' that is not an escape like %20"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        return "must start with https:// or http://"
    try:
        port = parts.port
    except ValueError:
        return "has a port that is not a number from 1 to 65535"
    if port == 0:
        return "has a port that is not a number from 1 to 65535"
    if not parts.hostname:
        return "must name a host, like https://media.example.org/stories"
    try:  # a host in another script (médias.example.org) is checked as the DNS writes it
        host = parts.hostname if parts.hostname.isascii() else parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    if not _HOSTNAME.fullmatch(host):
        return f"names no valid host ({parts.hostname!r})"
    if parts.username or parts.password:
        return "must not hold a user name or password"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "must not hold a query (?) or a fragment (#): links are made by adding paths to it"
    return None


def _usable_cache(folder: Path, warnings: list[str]) -> Path | None:
    """Return the cache folder if it can be written (or made); else warn and build without a cache."""
    existing = next((f for f in (folder, *folder.parents) if f.exists()), None)
    try:
        if existing is None or not existing.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        tempfile.TemporaryDirectory(dir=existing).cleanup()  # the real reason: read-only, no permission...
    except OSError as exc:
        warnings.append(single_line(f"--cache {folder}: cannot write there ({exc.strerror or exc}); "
                                    "building without the cache"))
        return None
    return folder


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
    from .check import check_story

    _log_to_stderr(verbose)
    worst = 0
    for folder in map(story_folder, stories):
        try:
            checked = check_story(folder, load_settings(folder, config), strict=strict)
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


@app.command("verify")
def verify_command(
    path: Annotated[Path, typer.Argument(help="An output folder (OUT/<slug>) or a package zip.")],
    verbose: Verbose = False,
) -> None:
    """Check every file of an output folder or zip against its SHA256SUMS (exit 4 on any mismatch)."""
    from .publish.checksums import verify

    _log_to_stderr(verbose)
    if not path.exists():
        raise InputError(f"{path}: not found")
    problems = verify(path)
    if problems:
        raise VerificationError(f"{path}: verification failed ({len(problems)} problem(s))",
                                problems=[single_line(p) for p in problems])
    _err(f"ok: {path}: every file matches SHA256SUMS")


@app.command("probe")
def probe_command(
    files: Annotated[list[Path], typer.Argument(help="Media files to inspect.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    verbose: Verbose = False,
) -> None:
    """Show what mediapack sees in media files: size after rotation, duration, codecs, streams, caption, credit."""
    from .probe import describe_file

    _log_to_stderr(verbose)
    results, worst = [], 0
    for file in files:
        try:
            results.append(describe_file(file))
        except MediapackError as exc:
            worst = max(worst, exc.exit_code)
            _print_error(exc)
    if as_json:
        _print_json(results)
    else:
        for result in results:
            print(single_line(result["file"], 1000))
            for key, value in result.items():
                if key != "file" and value not in (None, "", [], {}):
                    print(f"  {key}: {single_line(str(value))}")
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
