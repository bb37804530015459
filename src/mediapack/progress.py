"""Progress and messages on stderr: rich bars on a terminal, plain lines in logs, only errors with --quiet."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from .context import Reporter

if TYPE_CHECKING:  # rich loads only for a terminal: CI logs and an up-to-date rebuild never pay for it
    from rich.console import Console


class QuietReporter(Reporter):
    """Prints errors only, one whole line at a time even when stories finish in parallel."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def error(self, line: str) -> None:
        """Print a line that is shown even with --quiet."""
        with self._lock:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        """Finish showing progress."""


class PlainReporter(QuietReporter):
    """For logs and CI: notes as plain lines; no bars and no escape codes."""

    def note(self, message: str) -> None:
        self.error(message)


class RichReporter(PlainReporter):
    """One progress bar per media item and stage, on a terminal's stderr."""

    def __init__(self, console: Console):
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        super().__init__(console.file)
        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.progress.start()

    def task(self, label: str) -> Callable[[float], None]:
        from rich.markup import escape

        task_id = self.progress.add_task(escape(label), total=1.0)
        return lambda fraction: self.progress.update(task_id, completed=max(0.0, min(1.0, fraction)))

    def error(self, line: str) -> None:
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)  # above the live bars

    def close(self) -> None:
        self.progress.stop()


def make_reporter(*, quiet: bool, stream: TextIO | None = None) -> QuietReporter:
    """Return bars when ``stream`` (stderr) is a terminal, plain lines otherwise, errors only if quiet."""
    stream = stream or sys.stderr
    if quiet:
        return QuietReporter(stream)
    if not stream.isatty():
        return PlainReporter(stream)
    from rich.console import Console

    return RichReporter(Console(file=stream))
