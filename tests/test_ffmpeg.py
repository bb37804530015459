"""ffmpeg wrapper: locating the binary, argv builders, progress parsing and the runner (with fake ffmpegs)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import ffmpeg as ffgraph
import imageio_ffmpeg
import pytest

from fake_processes import HANGING_FFMPEG, fake_ffmpeg, wait_until_gone
from mediapack import ffmpeg as ffmpeg_module
from mediapack.errors import BuildError, EnvironmentProblem
from mediapack.ffmpeg import (
    FFmpeg,
    compile_graph,
    encoders,
    file_arg,
    input_args,
    locate_ffmpeg,
    parse_progress,
    progress_fraction,
    run,
)

DATA = Path(__file__).parent / "data"


# --- argv builders -------------------------------------------------------------------------------

def test_file_arg_keeps_dashes_and_colons_out_of_options_and_protocols(tmp_path: Path) -> None:
    assert file_arg(tmp_path / "-x.mp4") == f"file:{tmp_path}/-x.mp4"
    assert file_arg(Path("a:b.mp4")) == f"file:{Path.cwd()}/a:b.mp4"


def test_input_args_restrict_the_input_to_the_file_protocol(tmp_path: Path) -> None:
    assert input_args(tmp_path / "-in.mov") == ["-protocol_whitelist", "file", "-i", f"file:{tmp_path}/-in.mov"]
    assert input_args(tmp_path / "in.mkv", fmt="matroska") == [
        "-protocol_whitelist", "file", "-f", "matroska", "-i", f"file:{tmp_path}/in.mkv"]


def test_compile_graph_gives_argv_without_running_anything(tmp_path: Path) -> None:
    graph = ffgraph.input("file:in.mp4").filter("scale", 64, 48).output("file:out.mp4", an=None)
    args = compile_graph(graph)
    assert args[:2] == ["-i", "file:in.mp4"]
    assert "scale=64:48" in args[args.index("-filter_complex") + 1]
    assert args[-2:] == ["-an", "file:out.mp4"] and "ffmpeg" not in args


# --- progress ------------------------------------------------------------------------------------

def test_parse_progress_yields_every_block_of_a_recorded_run() -> None:
    lines = (DATA / "ffmpeg-progress.txt").read_text(encoding="utf-8").splitlines()
    blocks = list(parse_progress(lines))
    assert len(blocks) == 8
    assert blocks[0]["out_time_us"] == "682667" and blocks[0]["progress"] == "continue"
    assert blocks[-1]["progress"] == "end" and blocks[-1]["frame"] == "50"


def test_progress_fraction_from_recorded_blocks() -> None:
    lines = (DATA / "ffmpeg-progress.txt").read_text(encoding="utf-8").splitlines()
    fractions = [progress_fraction(b, 2.0) for b in parse_progress(lines)]
    assert fractions[0] == pytest.approx(0.341, abs=0.001)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert progress_fraction({"out_time_us": "N/A", "progress": "continue"}, 2.0) is None
    assert progress_fraction({"out_time_us": "-9223372036854775807"}, 2.0) is None
    assert progress_fraction({"out_time": "00:00:01.500000"}, 3.0) == pytest.approx(0.5)
    assert progress_fraction({"out_time_us": "9000000"}, 3.0) == 1.0
    assert progress_fraction({"out_time_us": "1000000"}, None) is None


# --- locating ffmpeg -----------------------------------------------------------------------------

def test_locate_prefers_setting_then_environment_then_bundled(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    configured = fake_ffmpeg(tmp_path, "", name="configured")
    from_env = fake_ffmpeg(tmp_path, "", name="from-env")
    monkeypatch.setenv("MEDIAPACK_FFMPEG", str(from_env))
    found = locate_ffmpeg(str(configured))
    assert found == FFmpeg(configured, "configured-1.0")
    assert locate_ffmpeg("") == FFmpeg(from_env, "from-env-1.0")
    monkeypatch.delenv("MEDIAPACK_FFMPEG")
    bundled = locate_ffmpeg("")
    assert bundled.path == Path(imageio_ffmpeg.get_ffmpeg_exe()) and bundled.version


@pytest.mark.parametrize("problem", ["missing", "not-executable", "broken"])
def test_locate_reports_an_unusable_ffmpeg_on_one_line(problem: str, tmp_path: Path) -> None:
    path = tmp_path / "ffmpeg-here"
    if problem == "not-executable":
        path.write_text("#!/bin/sh\necho 'ffmpeg version x'\n", encoding="utf-8")
    elif problem == "broken":
        path.write_text("#!/bin/sh\necho 'libfoo.so: cannot open shared object' >&2\nexit 127\n",
                        encoding="utf-8")
        path.chmod(0o755)
    with pytest.raises(EnvironmentProblem) as caught:
        locate_ffmpeg(str(path))
    assert caught.value.exit_code == 3
    assert str(path) in caught.value.message and "\n" not in caught.value.message
    if problem == "broken":
        assert "cannot open shared object" in caught.value.message


def test_encoders_lists_what_the_bundled_ffmpeg_offers() -> None:
    assert {"libx264", "aac", "mjpeg"} <= encoders(locate_ffmpeg(imageio_ffmpeg.get_ffmpeg_exe()))


# --- running -------------------------------------------------------------------------------------

PROGRESS_THEN_FAIL = """
args = sys.argv[1:]
open(os.environ["ARGV_FILE"], "w").write("\\n".join(args))
for us in (500000, 1000000):
    print(f"frame=1\\nout_time_us={us}\\nprogress=continue", flush=True)
    time.sleep(0.05)
sys.stderr.write("[info] Input #0, mov\\n[mp4 @ 0x55d0c0ffee00] [error] Could not find tag for codec pcm\\n"
                 "\\n[fatal] Error opening output files: Invalid argument\\nConversion failed!\\n\\n")
sys.exit(1)
"""


def test_run_reports_progress_and_the_last_meaningful_error(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGV_FILE", str(tmp_path / "argv"))
    ff = FFmpeg(fake_ffmpeg(tmp_path, PROGRESS_THEN_FAIL), "fake")
    seen: list[float] = []
    with pytest.raises(BuildError) as caught:
        run(ff, ["-i", "file:x.mp4", "out.mp4"], timeout=30, source=Path("story/clip.mp4"), duration=2.0,
            on_progress=seen.append)
    assert caught.value.message == "story/clip.mp4: ffmpeg failed: Could not find tag for codec pcm"
    assert seen and seen == sorted(seen) and seen[-1] == pytest.approx(0.5)
    argv = (tmp_path / "argv").read_text(encoding="utf-8").split("\n")
    assert argv[-3:] == ["-i", "file:x.mp4", "out.mp4"]
    assert {"-nostdin", "-hide_banner", "-y"} <= set(argv) and argv[argv.index("-progress") + 1] == "pipe:1"


def test_run_uses_the_last_plain_line_when_nothing_is_tagged(tmp_path: Path) -> None:
    script = fake_ffmpeg(tmp_path, "sys.stderr.write('something\\nout.mp4: Permission denied\\n\\n'); sys.exit(1)\n")
    with pytest.raises(BuildError, match=r"^ffmpeg: ffmpeg failed: out.mp4: Permission denied$"):
        run(FFmpeg(script, "fake"), [], timeout=30)


def test_run_returns_stderr_on_success(tmp_path: Path) -> None:
    script = fake_ffmpeg(tmp_path, "sys.stderr.write('[info] all good\\n'); print('progress=end')\n")
    seen: list[float] = []
    assert "all good" in run(FFmpeg(script, "fake"), [], timeout=30, duration=1.0, on_progress=seen.append)
    assert seen == [1.0]


def test_run_kills_ffmpeg_and_its_children_on_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pids_file = tmp_path / "pids"
    monkeypatch.setenv("PIDS_FILE", str(pids_file))
    ff = FFmpeg(fake_ffmpeg(tmp_path, HANGING_FFMPEG), "fake")
    with pytest.raises(BuildError) as caught:
        run(ff, [], timeout=1.5, source=Path("v.mp4"))
    assert caught.value.message == "v.mp4: ffmpeg timed out after 1.5 s"
    assert all(wait_until_gone(int(pid)) for pid in pids_file.read_text(encoding="utf-8").split())


def test_run_kills_ffmpeg_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pids_file = tmp_path / "pids"
    monkeypatch.setenv("PIDS_FILE", str(pids_file))
    ff = FFmpeg(fake_ffmpeg(tmp_path, HANGING_FFMPEG), "fake")

    def interrupt(_fraction: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(ff, [], timeout=60, duration=1.0, on_progress=interrupt)
    assert all(wait_until_gone(int(pid)) for pid in pids_file.read_text(encoding="utf-8").split())


@pytest.fixture
def stop_on_signals() -> Iterator[None]:
    """mediapack's SIGINT/SIGTERM handlers, installed in this process as the CLI installs them."""
    from mediapack.signals import stop_on_signals

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    stop_on_signals()
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_a_sigterm_just_after_ffmpeg_starts_still_kills_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           stop_on_signals: None) -> None:
    from mediapack.signals import Interrupted

    pids_file = tmp_path / "pids"
    monkeypatch.setenv("PIDS_FILE", str(pids_file))
    ff = FFmpeg(fake_ffmpeg(tmp_path, HANGING_FFMPEG), "fake")
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen_then_sigterm(*args, **kwargs) -> subprocess.Popen:
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs at once, before Popen has returned
        return proc

    monkeypatch.setattr(ffmpeg_module.subprocess, "Popen", popen_then_sigterm)
    with pytest.raises(Interrupted):
        run(ff, [], timeout=60, duration=1.0)
    assert started, "ffmpeg was started"
    assert wait_until_gone(started[0].pid), "ffmpeg outlived the build that started it"
    for pid in pids_file.read_text(encoding="utf-8").split() if pids_file.exists() else ():
        assert wait_until_gone(int(pid))


def test_run_of_a_vanished_binary_is_an_environment_problem(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentProblem, match="cannot start ffmpeg"):
        run(FFmpeg(tmp_path / "gone", "x"), [], timeout=5)


def test_real_ffmpeg_failure_names_the_cause(tmp_path: Path) -> None:
    ff = locate_ffmpeg(imageio_ffmpeg.get_ffmpeg_exe())
    source = tmp_path / "-missing:input.mp4"
    with pytest.raises(BuildError) as caught:
        run(ff, [*input_args(source), "-f", "null", "-"], timeout=60, source=source)
    assert caught.value.message.startswith(f"{source}: ffmpeg failed: ")
    assert "No such file or directory" in caught.value.message
