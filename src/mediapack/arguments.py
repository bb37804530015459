"""What the command line is given, made usable: story paths, the base URL, the cache folder."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from .config import CONFIG_NAME
from .errors import UsageError, single_line
from .rules import url_problem


def stories_only(paths: list[Path], say: Callable[[str], None]) -> list[Path]:
    """Leave out the settings file a shell's ``stories/*`` brings along, saying so."""
    settings = [p for p in paths if p.name == CONFIG_NAME and p.is_file()]
    for path in settings:
        say(f"note: {path}: the settings of the stories beside it, not a story: skipped")
    stories = [p for p in paths if p not in settings]
    if not stories:
        raise UsageError(f"no story to build: give story folders (or their story.md), not {CONFIG_NAME}")
    return stories


def base_url_problem(url: str) -> str | None:
    """Say what makes ``url`` unusable as --base-url (links are made by appending paths), or None."""
    problem = url_problem(url)
    if problem is None and ("?" in url or "#" in url):
        return "must not hold a query (?) or a fragment (#): links are made by adding paths to it"
    return problem


def usable_cache(folder: Path, warnings: list[str]) -> Path | None:
    """Return the cache folder if it can be written (or made); else warn and build without a cache."""
    existing = next((f for f in (folder, *folder.parents) if f.exists()), None)
    try:
        if existing is None or not existing.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        tempfile.TemporaryDirectory(dir=existing).cleanup()  # the real reason: read-only, no permission...
    except OSError as exc:
        warnings.append(single_line(f"--cache {folder}: cannot write there ({exc.strerror or exc}); "
                                    "building without the cache"))
        return None
    return folder
