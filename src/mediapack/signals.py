"""Stopping cleanly on SIGINT and SIGTERM: the Interrupted exception, its handler, and windows it waits out.

The handler raises Interrupted in the main thread at whatever line it is running. A few lines must not
be cut in two: between starting ffmpeg and holding its process in a variable, an exception would leave
it running with nobody to kill it. ``deferred()`` holds the signal until such a block has ended.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Interrupted(KeyboardInterrupt):
    """The build was stopped by SIGINT or SIGTERM (or another story's interrupt); carries the signal."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


class _State:
    stopping: int | None = None  # the signal being acted on: later ones must not cut the clean-up short
    depth = 0  # how many deferred() blocks the main thread is in
    pending: int | None = None  # a signal that arrived inside one


def stop_on_signals() -> None:
    """Make SIGINT and SIGTERM raise Interrupted in the main thread, once; repeats are ignored."""
    _State.stopping, _State.pending = None, None  # depth stays: this may run inside a deferred() block
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)


def _stop(signum: int, frame: object) -> None:
    if _State.stopping is not None:
        return
    if _State.depth:
        _State.pending = _State.pending or signum
        return
    _State.stopping = signum
    raise Interrupted(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then raise Interrupted for one that came meanwhile."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers run in the main thread only: nothing to hold here
        return
    _State.depth += 1
    try:
        yield
    finally:
        _State.depth -= 1
        if not _State.depth and _State.pending is not None and _State.stopping is None:
            _State.stopping, _State.pending = _State.pending, None
            raise Interrupted(_State.stopping)
