"""Problems and errors: the one problem collector, and the one exception root with its exit code."""

from __future__ import annotations

import re
import reprlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem found in a story, config or file: where it is and what is wrong."""

    file: Path | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = str(self.file) if self.file is not None else ""
        if self.key:
            where = f"{where}: {self.key}" if where else self.key
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Findings:
    """The one collector of problems in a story or config: errors stop a build, warnings do not (unless --strict)."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, file: Path | None, key: str | None, message: str) -> None:
        """Record a problem that stops the build."""
        self.errors.append(Problem(file, key, message))

    def warn(self, file: Path | None, key: str | None, message: str) -> None:
        """Record a problem the build goes on with."""
        self.warnings.append(Problem(file, key, message))


class MediapackError(Exception):
    """Root of every error a user can cause; the CLI maps it to ``exit_code``."""

    exit_code = 1

    def __init__(self, message: str, problems: Iterable[Problem] = (), warnings: Iterable[Problem] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)  # found beside the problems; shown as warnings, not counted

    def __reduce__(self) -> tuple:
        # Whole when pickled: a story's error comes back from a cluster worker with its problems and warnings.
        return type(self), (self.message, self.problems, self.warnings)

    def lines(self) -> list[str]:
        """Return the message followed by one line per problem."""
        return [self.message, *(f"  {p}" for p in self.problems)]


class InputError(MediapackError):
    """Bad story, media or arguments that point at files: exit 1."""

    exit_code = 1


class BuildError(MediapackError):
    """A build step failed on valid-looking input (e.g. ffmpeg refused a file): exit 1."""

    exit_code = 1


class UsageError(MediapackError):
    """Bad command-line usage or configuration: exit 2."""

    exit_code = 2


class ConfigError(UsageError):
    """A mediapack.toml that cannot be used: exit 2."""


class EnvironmentProblem(MediapackError):
    """ffmpeg (or another tool) missing or broken: exit 3."""

    exit_code = 3


class VerificationError(MediapackError):
    """Output does not match its SHA256SUMS: exit 4."""

    exit_code = 4


# Explicit embeddings, overrides and isolates: they can reorder a whole line (Trojan Source), so terminal
# lines and file names never carry them. LRM, RLM, ZWNJ, ZWJ and other format characters are kept.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
NO_BREAK_SPACES = "\u00a0\u2007\u202f"  # no-break, figure and narrow no-break space: typography, not layout
_SPACES_BUT_NO_BREAK = re.compile(f"[^\\S{NO_BREAK_SPACES}]+")


def is_control(ch: str) -> bool:
    """True for C0/C1 controls, line and paragraph separators and lone surrogates: never part of text."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")


def single_line(text: str, limit: int | None = 300, *, keep_bidi: bool = False) -> str:
    """Fold controls and newlines so hostile text stays on one line; format characters (ZWNJ...) stay.

    ``keep_bidi`` keeps bidirectional embeddings and isolates too, and no-break spaces (French "Vidéo :"),
    for text written into files; a terminal line never gets them. ``limit=None``: no length limit.
    """
    def kept(ch: str) -> bool:
        if ch.isprintable() or keep_bidi and ch in NO_BREAK_SPACES:
            return True
        return unicodedata.category(ch) == "Cf" and (keep_bidi or ch not in BIDI_CONTROLS)

    text = "".join(ch if kept(ch) else " " for ch in text)
    cleaned = _SPACES_BUT_NO_BREAK.sub(" ", text).strip(" ") if keep_bidi else " ".join(text.split())
    return cleaned if limit is None or len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class _AsWritten(reprlib.Repr):
    """Say YAML and TOML values as they are written there (true, null, 2026-06-20), not as Python's reprs."""

    def repr_bool(self, value: bool, level: int) -> str:
        return "true" if value else "false"

    def repr_NoneType(self, value: None, level: int) -> str:
        return "null"

    def repr_date(self, value: object, level: int) -> str:
        return value.isoformat()  # type: ignore[attr-defined]

    repr_datetime = repr_date


_REPR = _AsWritten()  # Python 3.11's Repr takes no arguments
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 4, 4, 60, 60


def shown(value: object) -> str:
    """Return a short one-line repr of any value, however large or deeply nested (a YAML alias bomb)."""
    return single_line(_REPR.repr(value), 120)
