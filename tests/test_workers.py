"""The worker budget: a photo worker that dies is a one-line BuildError naming the file, every time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediapack.errors import BuildError
from mediapack.workers import Workers


def test_a_dead_worker_names_the_photo_and_later_photos_fail_the_same_way() -> None:
    with Workers(jobs=2) as workers:
        future = workers.submit(Path("story/photos/huge.jpg"), os._exit, 3)  # as the OOM killer would
        with pytest.raises(BuildError, match=r"^story/photos/huge\.jpg: the photo worker process died"):
            workers.result(future)
        # The pool is broken now: the next photo gets the same clear error, not a traceback.
        with pytest.raises(BuildError, match=r"^story/photos/next\.jpg: the photo worker process died"):
            workers.result(workers.submit(Path("story/photos/next.jpg"), abs, -1))


def test_without_a_pool_steps_run_here_and_errors_come_through_the_future() -> None:
    with Workers(jobs=1) as workers:
        assert workers.result(workers.submit(Path("a.jpg"), abs, -2)) == 2
        with pytest.raises(ValueError):
            workers.result(workers.submit(Path("b.jpg"), int, "x"))


def test_the_default_is_a_slot_for_every_cpu_this_process_may_use() -> None:
    import os

    with Workers() as workers:
        assert workers.jobs == len(os.sched_getaffinity(0))


def test_queued_work_returns_at_once_and_hands_on_results_and_errors() -> None:
    import time

    with Workers(jobs=2) as workers:
        held = [workers.submit(Path("busy.jpg"), time.sleep, 0.5) for _ in range(2)]  # every slot taken
        queued = [workers.queue(Path(f"{n}.jpg"), abs, -n) for n in range(6)]
        failing = workers.queue(Path("bad.jpg"), int, "x")
        assert not any(f.done() for f in held)  # queue() did not wait for a slot, as submit() would
        assert [workers.result(f) for f in held] == [None, None]
        assert [workers.result(f) for f in queued] == [0, 1, 2, 3, 4, 5]
        with pytest.raises(ValueError):
            workers.result(failing)


def test_queued_work_after_a_cancel_stops_the_run_cleanly() -> None:
    from mediapack.signals import Interrupted

    with Workers(jobs=2) as workers:
        workers.result(workers.submit(Path("warm.jpg"), abs, -1))
        workers.cancel()
        with pytest.raises(Interrupted):
            workers.result(workers.queue(Path("late.jpg"), abs, -1))


def test_closing_stops_the_feeder_thread() -> None:
    import threading

    with Workers(jobs=2) as workers:
        assert workers.result(workers.queue(Path("a.jpg"), abs, -3)) == 3
    feeders = [t for t in threading.enumerate() if t.name == "feed-workers"]
    for thread in feeders:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in feeders)
