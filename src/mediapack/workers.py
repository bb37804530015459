"""One worker budget for a whole run: N slots shared by every story's photos and videos, and cancellation.

``--jobs N`` gives N slots (default: the CPUs this process may use). Stories run on N threads that mostly wait; each expensive step holds a
slot while it runs: a photo's renditions (in a pool of N processes, so Pillow work uses separate
cores) or a video encode (an ffmpeg process, multi-threaded on its own). So at most N encodes run at
once, whether they come from one story with many photos or from many stories. A story thread never
holds a slot while it waits for another, so the budget cannot deadlock.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from queue import SimpleQueue
from typing import Any, Self

from .errors import BuildError
from .signals import Interrupted


class Workers:
    """N slots for expensive steps; photos go to a process pool when N > 1, else run in this thread.

    ``processes=False`` runs them in the calling thread, in a slot still: a Dask worker's process is
    daemonic by default, and a daemonic process may not start children.
    """

    def __init__(self, jobs: int | None = None, *, processes: bool = True):
        self.jobs = max(1, jobs if jobs is not None else available_cpus())
        self._processes = processes
        self._slots = threading.BoundedSemaphore(self.jobs)
        self._cancelled = threading.Event()
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._closed = False
        self._queued: SimpleQueue = SimpleQueue()  # work for the feeder thread, see queue()
        self._feeder: threading.Thread | None = None

    def warm(self) -> None:
        """Start the process pool now, in the background, while the story is checked (if there is a pool).

        Starting the forkserver and its first worker takes 0.2 s of waiting: it overlaps the check.
        """
        if self.jobs > 1 and self._processes and self._pool is None:
            threading.Thread(target=self._warm, name="warm-workers", daemon=True).start()

    def _warm(self) -> None:
        try:
            if (pool := self._start_pool()) is not None:
                pool.submit(_ready)
        except (RuntimeError, OSError):  # shut down meanwhile (a cancel), or no process could start:
            pass  # the first photo's submit says why

    def _start_pool(self) -> ProcessPoolExecutor | None:
        """Make the pool on first use: a run whose stories are all up to date never starts one."""
        with self._pool_lock:
            if (self._pool is None and self.jobs > 1 and self._processes and not self._cancelled.is_set()
                    and not self._closed):
                # forkserver, not fork: story threads may hold locks that a forked child would inherit held.
                # The server imports the photo code once; each worker forks from it ready (0.3 s saved each).
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["mediapack.photo.renditions"])
                self._pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_ignore_sigint)
            return self._pool

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the process pool, dropping photos not yet started and waiting for running ones."""
        with self._pool_lock:
            self._closed, pool = True, self._pool
        self._queued.put(None)  # the feeder thread, if any, stops after what was queued before
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def cancel(self) -> None:
        """Ask every story to stop at its next check (ffmpeg is killed at its next progress report)."""
        self._cancelled.set()
        with self._pool_lock:
            pool = self._pool
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def check(self) -> None:
        """Raise Interrupted if the run was cancelled."""
        if self._cancelled.is_set():
            raise Interrupted()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of a step run in this thread (a video encode)."""
        self._acquire()
        try:
            yield
        finally:
            self._slots.release()

    def submit(self, label: object, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` in a slot: in the process pool when there is one, else here and now.

        ``label`` (the file being worked on) names it if the pool breaks, here or in ``result``.
        """
        self._acquire()
        if self._start_pool() is None:
            future: Future = Future()
            try:
                future.set_result(fn(*args))
            except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
                future.set_exception(exc)
            finally:
                self._slots.release()
            return future
        try:
            future = self._pool.submit(fn, *args)
        except BaseException as exc:
            self._slots.release()
            self.check()  # a pool shut down by cancel() refuses new work
            if isinstance(exc, BrokenProcessPool):  # an earlier photo's worker died: the pool is unusable
                raise _worker_died(label) from None
            raise
        future.add_done_callback(lambda _: self._slots.release())
        future.label = label
        return future

    def queue(self, label: object, fn: Callable[..., Any], *args: Any) -> Future:
        """Like ``submit``, but return at once: a feeder thread waits for the slot, in the order queued.

        For work nobody waits on soon (an original's sanitised copy): the caller goes on writing while
        the pool finishes the photos and then takes these. With no pool it runs here and now.
        """
        if self._start_pool() is None:
            return self.submit(label, fn, *args)
        outer: Future = Future()
        outer.label = label
        with self._pool_lock:
            if self._feeder is None:
                self._feeder = threading.Thread(target=self._feed, name="feed-workers", daemon=True)
                self._feeder.start()
        self._queued.put((outer, label, fn, args))
        return outer

    def _feed(self) -> None:
        """Submit queued work as slots free up, passing each outcome on to the caller's future."""
        while (queued := self._queued.get()) is not None:
            outer, label, fn, args = queued
            if not outer.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            try:
                inner = self.submit(label, fn, *args)
            except BaseException as exc:  # noqa: BLE001 - a cancelled run or a broken pool, handed on
                outer.set_exception(exc)
                continue
            inner.add_done_callback(lambda done, outer=outer: _pass_on(done, outer))

    def result(self, future: Future) -> Any:
        """Wait for a submitted step; cancellation raises Interrupted, a dead worker a BuildError."""
        try:
            return future.result()
        except CancelledError:
            raise Interrupted() from None
        except BrokenProcessPool:
            self.check()
            raise _worker_died(getattr(future, "label", "photo")) from None

    def _acquire(self) -> None:
        while not self._slots.acquire(timeout=0.2):
            self.check()
        if self._cancelled.is_set():
            self._slots.release()
            raise Interrupted()


def available_cpus() -> int:
    """Return how many CPUs this process may use (its affinity mask, as a container or taskset sets it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _ready() -> None:
    """Do nothing in a worker: submitted at start so the pool is warm when the first photo arrives."""


def _pass_on(done: Future, outer: Future) -> None:
    """Give ``outer`` the outcome of the pool's future ``done``."""
    if done.cancelled():
        outer.set_exception(CancelledError())
    elif (exc := done.exception()) is not None:
        outer.set_exception(exc)
    else:
        outer.set_result(done.result())


def _worker_died(label: object) -> BuildError:
    return BuildError(f"{label}: the photo worker process died (out of memory?)")


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; the parent cancels the run, workers just finish or stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
