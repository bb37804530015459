"""Progress on stderr: rich bars on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from .build import Reporter


class QuietReporter(Reporter):
    """Shows nothing; ``close`` exists so every reporter is used the same way."""

    def close(self) -> None:
        """Finish showing progress."""


class RichReporter(QuietReporter):
    """One progress bar per media item and stage, on stderr."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.progress.start()

    def task(self, label: str) -> Callable[[float], None]:
        task_id = self.progress.add_task(escape(label), total=1.0)
        return lambda fraction: self.progress.update(task_id, completed=max(0.0, min(1.0, fraction)))

    def note(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def close(self) -> None:
        self.progress.stop()


def make_reporter(*, quiet: bool) -> QuietReporter:
    """Return a rich reporter when stderr is a terminal and output is wanted, else a silent one."""
    if quiet or not sys.stderr.isatty():
        return QuietReporter()
    return RichReporter(Console(stderr=True))
