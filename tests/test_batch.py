"""Batches: stories go out in a bounded window, and one that never comes back fails alone."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

from conftest import write_story
from mediapack.batch import Outcome, build_many
from mediapack.context import BuildOptions
from mediapack.errors import BuildError, InputError, MediapackError, Problem
from mediapack.model import BuildResult
from mediapack.settings import Settings


class FakeCluster:
    """Runs nothing: each story 'comes back' built at once, except the one whose worker 'died'."""

    label, window = "a fake scheduler", 2

    def __init__(self) -> None:
        self.in_flight, self.most_in_flight = 0, 0

    def submit(self, folder: Path, out_dir: Path, settings: Settings, options: BuildOptions,
               slug: str | None) -> Future:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        future: Future = Future()
        if folder.name == "dies":
            future.set_exception(RuntimeError("worker died"))
        else:
            future.set_result(Outcome(out_dir.resolve() / "elsewhere", BuildResult(slug, out_dir.resolve() / slug),
                                      slug=slug))
        return future

    def lost(self, folder: Path, exc: BaseException) -> MediapackError:
        return BuildError(f"{folder}: lost ({exc})")


def test_stories_go_out_a_window_at_a_time_and_a_lost_one_fails_alone(tmp_path: Path, monkeypatch) -> None:
    names = ["a", "b", "dies", "c", "d", "e"]
    for name in names:
        write_story(tmp_path / name, f"headline: Story {name}\n")
    monkeypatch.chdir(tmp_path)
    cluster, seen = FakeCluster(), []

    def came_back(outcome: Outcome) -> None:
        cluster.in_flight -= 1
        seen.append(outcome.slug)

    outcomes = build_many([Path(name) for name in names], Path("out"), lambda folder: Settings(), cluster=cluster,
                          on_done=came_back)
    assert cluster.most_in_flight == FakeCluster.window
    assert sorted(seen) == sorted(f"story-{name}" for name in names)
    assert [o.folder for o in outcomes] == [Path(name) for name in names]  # as given, in the order given
    assert [o.exit_code for o in outcomes] == [0, 0, 1, 0, 0, 0]
    assert str(outcomes[2].error) == "dies: lost (worker died)"
    assert outcomes[0].result.output == Path("out/story-a")  # the worker's absolute path, as the user gave it


def test_an_error_keeps_its_problems_and_warnings_when_pickled() -> None:
    import pickle

    error = InputError("story.md: 2 problems", [Problem(Path("story.md"), "media", "gone")],
                       [Problem(None, None, "a warning")])
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is InputError and again.lines() == error.lines() and again.warnings == error.warnings
