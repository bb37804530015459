"""Stories on a Dask cluster: the scheduler's connection, the executor stories go through, the task a worker runs.

``distributed`` is the optional extra ``cluster``; it is imported here only, and only with --cluster.
Each story is one task, named by its slug: the scheduler never runs two tasks of one name at once, so
no lock file has to work across hosts. The stories, OUT and the cache are on storage every worker
mounts at the same path; the task checks that before it builds.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Self

from .batch import Outcome, build_story
from .context import BuildOptions, Reporter
from .errors import (
    BuildError,
    EnvironmentProblem,
    InputError,
    MediapackError,
    UsageError,
    single_line,
)
from .settings import Settings
from .workers import Workers

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)
INSTALL = "uv sync --extra cluster (or pip install 'mediapack[cluster]')"
# Seconds for the scheduler to answer a first connection, from a command started with a wrong address
# (Dask's own 30 s, and no limit on its first message, would leave a CI job hanging); later ones take Dask's.
CONNECT_TIMEOUT = 3.0
MIN_WINDOW = 32  # stories submitted at least at once: an adaptive cluster scales to the work it sees waiting
ENCODE = "encode"  # `dask worker --resources "encode=N"`: N story builds (and their encodes) at once


@dataclass(frozen=True)
class StoryTask:
    """One story's build as a worker receives it: absolute paths on the storage every worker shares."""

    folder: Path
    out_dir: Path
    settings: Settings
    options: BuildOptions
    slug: str | None

    @property
    def key(self) -> str:
        """Name the task by the story's slug and where it goes: the same build twice is one task."""
        digest = hashlib.sha256(repr((self.folder, self.out_dir, self.options)).encode("utf-8")).hexdigest()
        return f"mediapack-build-{self.slug or 'story'}-{digest[:16]}"


class Cluster:
    """A Dask scheduler the stories of one command are submitted to, through its concurrent.futures executor."""

    def __init__(self, address: str, client: Client):
        self.label = address
        self.client = client
        workers = list(client.scheduler_info(n_workers=-1)["workers"].values())
        if not workers:
            log.warning("%s: no worker has joined this scheduler yet; the stories wait for one", address)
        encode = any(ENCODE in worker.get("resources", {}) for worker in workers)
        # Ask for an encode slot only where workers offer them: a task asking for a resource no worker has
        # would wait forever.
        self.resources = {ENCODE: 1} if encode else None
        self.executor = client.get_executor(pure=False, resources=self.resources)
        slots = sum(worker.get("resources", {}).get(ENCODE, 0) if encode else worker.get("nthreads", 1)
                    for worker in workers)
        self.window = max(MIN_WINDOW, 2 * int(slots))  # every worker busy, and as much again waiting

    def submit(self, folder: Path, out_dir: Path, settings: Settings, options: BuildOptions,
               slug: str | None) -> Future:
        """Start building one story on the cluster; the future holds its Outcome."""
        cache_dir = options.cache_dir.resolve() if options.cache_dir is not None else None
        try:  # made here, so a worker can tell it sees the same storage
            for shared in (out_dir, cache_dir):
                if shared is not None:
                    shared.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            failed: Future = Future()
            failed.set_result(Outcome(folder, slug=slug, error=BuildError(single_line(
                f"{exc.filename or out_dir}: cannot write the output there: {exc.strerror or exc}"))))
            return failed
        task = StoryTask(folder.resolve(), out_dir.resolve(), settings,
                         replace(options, cache_dir=cache_dir, lock=False), slug)
        return self.executor.submit(build_on_worker, task, key=task.key)

    def lost(self, folder: Path, exc: BaseException) -> MediapackError:
        """Say why a story never came back from the cluster."""
        if type(exc).__name__ == "KilledWorker":
            return BuildError(f"{folder}: each cluster worker that built it died (out of memory?); "
                              "see the workers' logs")
        return BuildError(single_line(f"{folder}: the cluster did not build it ({type(exc).__name__}: {exc})"))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Cancel what is still queued and disconnect (stories running finish, or are dropped whole)."""
        self.executor.shutdown(wait=False)
        self.client.close()


def connected(address: str | None) -> AbstractContextManager[Cluster | None]:
    """Return the cluster at ``address``, connected, or nothing to stand for a build on this machine."""
    return connect(address) if address else nullcontext()


def connect(address: str) -> Cluster:
    """Connect to the Dask scheduler at ``address``; exit 3 if distributed is missing or nothing answers."""
    import asyncio  # here: a build on this machine does not pay for it

    try:
        from distributed import Client
    except ImportError:
        raise EnvironmentProblem(f"--cluster needs Dask's distributed package: {INSTALL}") from None
    try:
        asyncio.run(_handshake(address))
        client = Client(address, set_as_default=False)
    except ValueError as exc:  # not an address
        raise UsageError(single_line(f"--cluster {address}: {exc}; give the scheduler as tcp://HOST:8786")) from None
    except OSError:  # refused, unknown host, or silent: TimeoutError is an OSError
        raise EnvironmentProblem(single_line(
            f"--cluster {address}: no Dask scheduler answered within {CONNECT_TIMEOUT:g} s; start one "
            "(`dask scheduler`) or check the address")) from None
    return Cluster(address, client)


async def _handshake(address: str) -> None:
    """Open and close a connection to the scheduler, within the timeout even if it never speaks.

    distributed's own connect waits for the scheduler's first message without a timeout.
    """
    import asyncio

    from distributed.comm import connect as open_comm
    from distributed.security import Security

    comm = await asyncio.wait_for(open_comm(address, timeout=CONNECT_TIMEOUT,
                                            **Security().get_connection_args("client")), CONNECT_TIMEOUT)
    await comm.close()


def build_on_worker(task: StoryTask) -> Outcome:
    """Build one story on a cluster worker, in that worker process's slots (the scheduler runs this)."""
    for path in (task.folder, task.out_dir, task.options.cache_dir):
        if path is not None and not path.is_dir():
            return Outcome(task.folder, slug=task.slug, error=InputError(
                f"{path}: not found on the cluster worker {socket.gethostname()}; --cluster needs the stories, "
                "--out and the cache on storage every worker mounts at the same path"))
    return build_story(task.folder, task.out_dir, task.settings, task.options, workers=_process_workers(),
                       reporter=Reporter(), slug=task.slug)


_slots: list[Workers] = []  # this worker process's one budget, shared by the stories its threads build
_slots_lock = threading.Lock()


def _process_workers() -> Workers:
    """Return this worker process's slots, made on its first story."""
    with _slots_lock:
        if not _slots:
            # Photos run in the story's thread, never in a pool of this process's own: a nanny's worker
            # process is daemonic and may not start one, and a pool in a worker started without a nanny
            # hung in a trial. The worker processes (--nworkers) give the parallelism.
            _slots.append(Workers(_worker_slots(), processes=False))
        return _slots[0]


def _worker_slots() -> int:
    """Return the worker's encode resource if it has one, else its thread count: its encodes at once."""
    from distributed import get_worker

    try:
        state = get_worker().state
    except ValueError:  # not on a worker: a test calling the task here
        return 1
    return int(state.total_resources.get(ENCODE, 0)) or state.nthreads
