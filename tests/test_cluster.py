"""Stories built on a Dask cluster (a local one of two worker processes): the same output, whatever happens."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster, WorkerPlugin

from conftest import make_photo, make_tiny_story, make_video, run_cli, write_story
from mediapack.cluster import Cluster, StoryTask, build_on_worker
from mediapack.context import BuildOptions
from mediapack.settings import Settings


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    """Two worker processes of one thread each, as `dask worker --nworkers 2 --nthreads 1` would start."""
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as local, \
            Client(local) as client:
        yield client


def photo_story(folder: Path, headline: str, size: tuple[int, int]) -> Path:
    make_photo(folder / "p.jpg", size)
    return write_story(folder, f"headline: {headline}\npublished: 2026-06-20T09:30:00Z\n"
                       "media:\n  - {id: p, file: p.jpg, caption: c, credit: d, alt: a}\n")


def stories(root: Path) -> list[Path]:
    """Four tiny stories (one with a video and subtitles), and one that cannot be built."""
    made = [make_tiny_story(root / "tiny"), photo_story(root / "one", "Photo one", (480, 360)),
            photo_story(root / "two", "Photo two", (360, 480))]
    clip = make_video(root / "clip" / "v.mp4", seconds=1.0, size=(160, 120))
    made.append(write_story(clip.parent, "headline: Clip\npublished: 2026-06-20T09:30:00Z\n"
                            "media:\n  - {id: v, file: v.mp4, caption: c, credit: d}\n"))
    made.append(write_story(root / "bad", "headline: Bad\nmedia:\n  - {id: p, file: gone.jpg}\n"))
    return made


def tree(root: Path) -> dict[str, bytes]:
    """Every file of the built stories (what the build records of its own runs is left out)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".mediapack" not in p.parts}


def test_stories_built_on_the_cluster_are_byte_identical_to_a_local_build(cluster: Client, tmp_path: Path) -> None:
    folders = [str(folder) for folder in stories(tmp_path / "stories")]
    here = run_cli("build", *folders, "--out", "local", "--jobs", "2", "--no-cache", "--json", cwd=tmp_path)
    there = run_cli("build", *folders, "--out", "remote", "--no-cache", "--json", cwd=tmp_path,
                    env={"MEDIAPACK_CLUSTER": cluster.scheduler.address})
    assert here.returncode == there.returncode == 1, there.stderr  # the bad story's exit code, the worst
    local, remote = json.loads(here.stdout), json.loads(there.stdout)
    assert remote.keys() == local.keys() and remote["exit_code"] == 1
    for mine, theirs in zip(remote["stories"], local["stories"], strict=True):
        assert mine.keys() == theirs.keys()
        assert (mine["story"], mine["slug"], mine["ok"], mine["built"]) == \
            (theirs["story"], theirs["slug"], theirs["ok"], theirs["built"])
        assert mine["output"] == (f"remote/{mine['slug']}" if mine["ok"] else None)
    assert any("gone.jpg" in line for line in remote["stories"][-1]["errors"])
    assert "gone.jpg" in there.stderr and "built photo-one" in there.stderr
    built = tree(tmp_path / "remote")
    assert len({name.split("/")[0] for name in built}) == 5  # four stories and the site's _headers
    assert built == tree(tmp_path / "local")
    assert run_cli("verify", str(tmp_path / "remote" / "tiny-story-test")).returncode == 0


class KillTheFirstBuild(WorkerPlugin):
    """Kill the worker process that runs the first story build, once it has started writing the story."""

    def __init__(self, marker: Path, out: Path):
        self.marker, self.out = marker, out

    def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
        if finish != "executing" or not str(key).startswith("mediapack-build-"):
            return
        try:  # once, on one worker: the story's second attempt is left alone
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        threading.Thread(target=self._kill_while_building, daemon=True).start()

    def _kill_while_building(self) -> None:
        deadline = time.monotonic() + 120
        while not any(self.out.glob(".*.building-*")) and time.monotonic() < deadline:
            time.sleep(0.002)
        self.marker.write_text("killed mid-build\n")
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_story_whose_worker_dies_is_built_again_on_another(cluster: Client, tmp_path: Path) -> None:
    story = make_tiny_story(tmp_path / "tiny")
    expected = run_cli("build", str(story), "--out", str(tmp_path / "local"), "--no-cache")
    assert expected.returncode == 0, expected.stderr
    marker, out = tmp_path / "killed", tmp_path / "remote"
    out.mkdir()
    cluster.register_plugin(KillTheFirstBuild(marker, out), name="kill-the-first-build")
    try:
        proc = run_cli("build", str(story), "--out", str(out), "--no-cache", "--json",
                       "--cluster", cluster.scheduler.address)
    finally:
        cluster.unregister_worker_plugin("kill-the-first-build")
        cluster.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    assert marker.read_text() == "killed mid-build\n"
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stories"][0]["ok"] is True
    assert tree(out) == tree(tmp_path / "local")  # the dead attempt's staging folder is gone too
    assert sorted(p.name for p in out.iterdir()) == [".mediapack", "_headers", "tiny-story-test"]


def test_a_scheduler_that_does_not_answer_is_exit_3_in_one_line(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "story", "Story", (320, 240))
    with socket.socket() as silent:  # accepts connections, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        proc = subprocess.run([sys.executable, "-m", "mediapack", "build", str(story), "--out",
                               str(tmp_path / "out"), "--cluster", address], capture_output=True, text=True,
                              timeout=10, check=False)
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [(f"error: --cluster {address}: no Dask scheduler answered within 3 s; "
                                         "start one (`dask scheduler`) or check the address")]
    assert not (tmp_path / "out").exists()


def test_without_distributed_the_cluster_option_says_how_to_install_it(tmp_path: Path) -> None:
    story = photo_story(tmp_path / "story", "Story", (320, 240))
    script = ("import sys\nsys.modules['distributed'] = None\nsys.argv = ['mediapack', *sys.argv[1:]]\n"
              "from mediapack.cli import main\nmain()\n")
    proc = subprocess.run([sys.executable, "-c", script, "build", str(story), "--json", "--cluster",
                           "tcp://127.0.0.1:8786"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 3
    assert "uv sync --extra cluster" in proc.stderr and "pip install 'mediapack[cluster]'" in proc.stderr
    assert json.loads(proc.stdout)["exit_code"] == 3


def test_an_address_that_is_no_address_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli("build", str(photo_story(tmp_path / "story", "Story", (320, 240))), "--cluster", "scheduler-without-port")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --cluster scheduler-without-port: ") and "tcp://HOST:8786" in proc.stderr


def test_a_worker_that_cannot_see_the_story_fails_it_saying_so(tmp_path: Path) -> None:
    gone = tmp_path / "on-another-host"
    outcome = build_on_worker(StoryTask(gone, tmp_path, Settings(), BuildOptions(), "a-story"))
    assert outcome.exit_code == 1 and outcome.slug == "a-story"
    assert str(outcome.error).startswith(f"{gone}: not found on the cluster worker {socket.gethostname()}")
    assert "storage every worker mounts at the same path" in str(outcome.error)


class FakeClient:
    """A scheduler's answer about its workers, and the executor options mediapack asks for."""

    def __init__(self, workers: list[dict]):
        self.workers, self.executor_options = workers, None

    def scheduler_info(self, n_workers: int = 5) -> dict:
        return {"workers": {f"tcp://10.0.0.{i}:1234": w for i, w in enumerate(self.workers[:n_workers]
                                                                               if n_workers >= 0 else self.workers)}}

    def get_executor(self, **options: object) -> object:
        self.executor_options = options
        return object()


def test_tasks_ask_for_an_encode_slot_only_where_workers_offer_one() -> None:
    plain = FakeClient([{"nthreads": 4, "resources": {}} for _ in range(20)])
    assert Cluster("tcp://s:8786", plain).window == 160  # twice the threads of all twenty workers
    assert plain.executor_options == {"pure": False, "resources": None}
    encoding = FakeClient([{"nthreads": 4, "resources": {"encode": 2}} for _ in range(20)])
    assert Cluster("tcp://s:8786", encoding).window == 80  # twice the encode slots
    assert encoding.executor_options == {"pure": False, "resources": {"encode": 1}}
    assert Cluster("tcp://s:8786", FakeClient([])).window == 32  # none yet: enough for a cluster to scale to


def test_a_story_whose_workers_all_died_fails_saying_so() -> None:
    from distributed.scheduler import KilledWorker

    cluster = Cluster("tcp://s:8786", FakeClient([]))
    error = cluster.lost(Path("stories/a"), KilledWorker("mediapack-build-a-0123", "tcp://w:1", 3))
    assert str(error) == "stories/a: each cluster worker that built it died (out of memory?); see the workers' logs"
    assert error.exit_code == 1
