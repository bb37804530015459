"""The one place that starts processes: locate ffmpeg, compile argv, run it with a timeout and progress."""

from __future__ import annotations

import functools
import logging
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import ffmpeg as ffmpeg_python  # ffmpeg-python: used only to compile graphs to argv, never to run them

from .errors import BuildError, EnvironmentProblem, single_line
from .signals import deferred

log = logging.getLogger(__name__)

ENV_VAR = "MEDIAPACK_FFMPEG"
GLOBAL_ARGS = ("-hide_banner", "-nostdin", "-y", "-nostats", "-loglevel", "level+info", "-progress", "pipe:1")
_VERSION_TIMEOUT = 30.0
_STDERR_LINES = 4000  # kept for the error message and the debug log; older lines are dropped
# Lines ffmpeg prints after the real cause; the error message should name the cause instead.
_GENERIC = re.compile(r"(Conversion failed!|Error opening (input|output) files?\b.*|Error selecting an encoder"
                      r"|Error while (filtering|processing|decoding|encoding)\b.*|Exiting normally.*"
                      r"|Terminating thread.*|Nothing was written into output file.*)$", re.IGNORECASE)
_LEVEL_TAG = re.compile(r"\[(panic|fatal|error|warning|info|verbose|debug|trace)\] ?")
_ERROR_TAG = re.compile(r"\[(panic|fatal|error)\]")
_CONTEXT = re.compile(r"^(\[[^\]]*\] ?)+")


@dataclass(frozen=True)
class FFmpeg:
    """A located, working ffmpeg binary and the version it reports."""

    path: Path
    version: str


def locate_ffmpeg(configured: str = "") -> FFmpeg:
    """Find ffmpeg: the ffmpeg.path setting, then $MEDIAPACK_FFMPEG, then imageio-ffmpeg's bundled binary."""
    if configured:
        candidate, origin = configured, "ffmpeg.path in mediapack.toml"
    elif os.environ.get(ENV_VAR):
        candidate, origin = os.environ[ENV_VAR], ENV_VAR
    else:
        origin = "imageio-ffmpeg"
        try:
            import imageio_ffmpeg

            candidate = imageio_ffmpeg.get_ffmpeg_exe()
        except Exception as exc:  # noqa: BLE001 - any failure here means "no bundled ffmpeg"
            raise EnvironmentProblem(single_line(
                f"ffmpeg not found: imageio-ffmpeg has no binary ({exc}); set ffmpeg.path or {ENV_VAR}")) from None
    path = _resolve(candidate)
    if path is None:
        raise EnvironmentProblem(single_line(f"{candidate}: ffmpeg not found (from {origin})"))
    return FFmpeg(path, _version(str(path), origin))


def _resolve(candidate: str) -> Path | None:
    expanded = os.path.expanduser(candidate)
    if os.sep not in expanded and not os.path.exists(expanded):
        found = shutil.which(expanded)
        return Path(found) if found else None
    path = Path(expanded).absolute()
    return path if path.exists() else None


@functools.cache
def _version(path: str, origin: str) -> str:
    """Run ``ffmpeg -version`` once per path; a failure is not cached, so a fixed binary is seen."""
    try:
        proc = subprocess.run([path, "-version"], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=_VERSION_TIMEOUT, check=False)
    except PermissionError:
        raise EnvironmentProblem(single_line(f"{path}: ffmpeg is not executable (from {origin})")) from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvironmentProblem(single_line(f"{path}: ffmpeg does not run (from {origin}): {exc}")) from None
    first = proc.stdout.decode("utf-8", "replace").partition("\n")[0]
    match = re.match(r"ffmpeg version (\S+)", first)
    if proc.returncode != 0 or not match:
        said = (_last_meaningful(proc.stderr.decode("utf-8", "replace").splitlines()) or first
                or "it printed no 'ffmpeg version' line")
        raise EnvironmentProblem(single_line(
            f"{path}: not a working ffmpeg (from {origin}; exit {proc.returncode}): {said}"))
    return match.group(1)


def file_arg(path: Path) -> str:
    """Return ``file:/abs/path`` so a leading '-' or a ':' in the name is never an option or protocol."""
    return "file:" + os.path.abspath(path)


def input_args(path: Path, *, fmt: str | None = None) -> list[str]:
    """Return the argv that opens ``path`` as an input restricted to the file protocol."""
    return ["-protocol_whitelist", "file", *(["-f", fmt] if fmt else []), "-i", file_arg(path)]


def graph_input(path: Path, *, fmt: str | None = None):
    """Return an ffmpeg-python input stream opened the same way as ``input_args``."""
    options = {"f": fmt} if fmt else {}
    return ffmpeg_python.input(file_arg(path), protocol_whitelist="file", **options)


def compile_graph(stream_spec) -> list[str]:
    """Compile an ffmpeg-python graph to argv (without the binary); nothing is run."""
    return [str(arg) for arg in ffmpeg_python.get_args(stream_spec)]


@functools.cache
def encoders(ff: FFmpeg) -> set[str]:
    """Return the encoder names this ffmpeg offers."""
    try:
        proc = subprocess.run([str(ff.path), "-hide_banner", "-encoders"], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=_VERSION_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvironmentProblem(single_line(f"{ff.path}: cannot list encoders: {exc}")) from None
    names, started = set(), False
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        if line.strip().startswith("------"):
            started = True
        elif started and len(line.split()) >= 2:
            names.add(line.split()[1])
    return names


def parse_progress(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """Yield each complete ``-progress`` block (it ends at ``progress=continue`` or ``progress=end``)."""
    block: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if not sep:
            continue
        block[key.strip()] = value.strip()
        if key.strip() == "progress":
            yield block
            block = {}


def progress_fraction(block: dict[str, str], duration: float | None) -> float | None:
    """Return how far (0..1) a progress block is through ``duration`` seconds; None if unknown."""
    if block.get("progress") == "end":
        return 1.0
    if not duration or duration <= 0:
        return None
    micros = _micros(block)
    if micros is None or micros < 0:
        return None
    return min(1.0, micros / 1e6 / duration)


def _micros(block: dict[str, str]) -> int | None:
    for key in ("out_time_us", "out_time_ms"):  # out_time_ms is microseconds too (an old ffmpeg quirk)
        try:
            return int(block[key])
        except (KeyError, ValueError):
            pass
    match = re.fullmatch(r"(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?)", block.get("out_time", ""))
    if not match:
        return None
    sign = -1 if match.group(1) else 1
    seconds = int(match.group(2)) * 3600 + int(match.group(3)) * 60 + float(match.group(4))
    return sign * round(seconds * 1e6)


def run(ff: FFmpeg, args: Sequence[str], *, timeout: float, source: Path | None = None,
        duration: float | None = None, on_progress: Callable[[float], None] | None = None,
        chunks: Iterable[bytes] | None = None, cwd: Path | None = None) -> str:
    """Run ffmpeg with ``args`` (feeding ``chunks`` to its stdin if given) in ``cwd``; enforce ``timeout``;
    return stderr."""
    where = str(source) if source is not None else "ffmpeg"
    argv = [str(ff.path), *GLOBAL_ARGS, *args]
    log.debug("running %s%s", shlex.join(argv), " <chunks" if chunks is not None else "")
    proc: subprocess.Popen | None = None
    stderr: deque[str] = deque(maxlen=_STDERR_LINES)
    stop, failures, writer = threading.Event(), [], None
    try:
        with deferred():  # a signal between starting ffmpeg and holding it in ``proc`` would orphan it
            proc = _start(ff, argv, piped=chunks is not None, cwd=cwd)
        fractions: queue.SimpleQueue[float] = queue.SimpleQueue()
        threads = [threading.Thread(target=_read_progress, args=(proc.stdout, duration, fractions), daemon=True),
                   threading.Thread(target=_read_lines, args=(proc.stderr, stderr), daemon=True)]
        if chunks is not None:
            writer = threading.Thread(target=_write_chunks, args=(proc.stdin, chunks, stop, failures), daemon=True)
            writer.start()
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        while proc.poll() is None and not failures:
            _report(fractions, on_progress, wait=0.1)
            if time.monotonic() > deadline:
                raise BuildError(single_line(f"{where}: ffmpeg timed out after {timeout:g} s"))
        if failures:  # the input could not be produced: a file made of part of it must not look finished
            raise failures[0]
        for thread in threads:
            thread.join(timeout=5.0)
        _report(fractions, on_progress, wait=0.0)
    except BaseException:
        if proc is not None:
            _kill(proc)  # Ctrl-C, a failing producer or callback, the timeout: never leave ffmpeg running
        raise
    finally:
        if writer is not None:
            stop.set()
            writer.join(timeout=30.0)  # the producer notices at its next chunk, or when the pipe breaks
    text = "\n".join(stderr)
    log.debug("ffmpeg stderr for %s:\n%s", where, text)
    if proc.returncode != 0:
        reason = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
                  else _last_meaningful(stderr) or f"exit status {proc.returncode}")
        raise BuildError(single_line(f"{where}: ffmpeg failed: {reason}"))
    return text


def _start(ff: FFmpeg, argv: list[str], *, piped: bool, cwd: Path | None = None) -> subprocess.Popen:
    """Start ffmpeg in a session of its own, so its whole process group can be killed, children included."""
    try:
        return subprocess.Popen(argv, stdin=subprocess.PIPE if piped else subprocess.DEVNULL, cwd=cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise EnvironmentProblem(single_line(f"{ff.path}: cannot start ffmpeg: {exc}")) from None


def _read_progress(stream, duration: float | None, fractions: queue.SimpleQueue) -> None:
    lines = (raw.decode("utf-8", "replace") for raw in stream)
    for block in parse_progress(lines):
        fraction = progress_fraction(block, duration)
        if fraction is not None:
            fractions.put(fraction)


def _read_lines(stream, into: deque[str]) -> None:
    for raw in stream:
        into.append(raw.decode("utf-8", "replace").rstrip("\r\n"))


def _report(fractions: queue.SimpleQueue, on_progress: Callable[[float], None] | None, wait: float) -> None:
    """Pass queued progress to the callback, in the caller's thread; wait briefly for the first one."""
    try:
        latest = fractions.get(timeout=wait) if wait else fractions.get_nowait()
        while True:
            try:
                latest = fractions.get_nowait()
            except queue.Empty:
                break
    except queue.Empty:
        return
    if on_progress is not None:
        on_progress(latest)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def _last_meaningful(lines: Iterable[str]) -> str:
    """Return ffmpeg's last line that says what went wrong, without log tags, addresses or trailers."""
    lines = [line.strip() for line in lines if line.strip()]
    tagged = [line for line in lines if _ERROR_TAG.search(line)]
    cleaned = [_clean(line) for line in (tagged or lines)]
    cleaned = [line for line in cleaned if line]
    specific = [line for line in cleaned if not _GENERIC.match(line)]
    return (specific or cleaned or [""])[-1]


def _clean(line: str) -> str:
    line = _LEVEL_TAG.sub("", line)
    return _CONTEXT.sub("", line).strip()


def _write_chunks(stdin, chunks: Iterable[bytes], stop: threading.Event, failures: list[BaseException]
                  ) -> None:
    """Feed ``chunks`` to ffmpeg's stdin and close it; keep the producer's exception for the caller."""
    iterator = None
    try:
        iterator = iter(chunks)
        for chunk in iterator:
            if stop.is_set():
                break
            try:
                stdin.write(chunk)
            except (OSError, ValueError):
                break  # ffmpeg exited or was killed; its stderr (or the caller) says why
    except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, which raises it
        failures.append(exc)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
        try:
            stdin.close()
        except OSError:
            pass
