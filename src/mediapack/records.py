"""What OUT/.mediapack remembers of each build: which story folder made each output, and from what.

``built-from/<slug>`` names the story folder of ``OUT/<slug>``, so another story of the same slug is
refused. ``stories/<key>.json`` holds what a story's last build was made from: the tool and its
libraries, the settings and options, every input file (size, time, digest) and every output file (size,
time). When all of that is as it was, the output is up to date and a rebuild stops there, before any
media library is even imported: a producer re-running a build waits for nothing.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable
from dataclasses import asdict, replace
from pathlib import Path

from . import __version__
from .context import BuildOptions
from .credentials.setup import signing_identity
from .errors import InputError
from .files import file_digest, write_atomic
from .model import BuildResult, Story
from .settings import Settings

RECORDS = ".mediapack"
_FORMAT = 1  # of the story records; another number is simply not up to date
_PACKAGE = Path(__file__).resolve().parent


def check_owner(out_dir: Path, slug: str, folder: Path, *, force: bool = False) -> None:
    """Refuse to replace ``OUT/<slug>`` when another story folder built it, unless ``force``."""
    final, record = out_dir / slug, _owner_record(out_dir, slug)
    if force or not final.exists():
        return
    try:
        built_from = (out_dir / record.read_text(encoding="utf-8").strip()).resolve()
    except (OSError, UnicodeDecodeError):
        return  # built before outputs recorded their story, or the record is unreadable: nothing to compare
    if built_from != folder.resolve():
        raise InputError(f"{final}: was built from {built_from}, and {folder} has the same slug {slug!r}; "
                         "set another slug in its front matter, or build with --force to replace it")


def record_build(out_dir: Path, story: Story, settings: Settings, options: BuildOptions,
                 result: BuildResult) -> None:
    """Note which story folder built ``OUT/<slug>``, and everything it was built from."""
    owner = _owner_record(out_dir, story.slug)
    owner.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(owner, (_relative(story.folder, out_dir) + "\n").encode("utf-8"))
    inputs = {_relative(path, out_dir): _stat_and_digest(path) for path in _input_files(story)}
    record = {"format": _FORMAT, "environment": environment(settings, options, out_dir), "slug": story.slug,
              "inputs": inputs, "outputs": _output_stats(result.output),
              "result": {**asdict(result), "output": None, "packages": [p.name for p in result.packages]}}
    path = _story_record(out_dir, story.folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(record, sort_keys=True).encode("utf-8"))


def up_to_date(out_dir: Path, folder: Path, settings: Settings, options: BuildOptions) -> BuildResult | None:
    """Return the last build's result if nothing it was made from has changed, nor its output; else None."""
    try:
        record = json.loads(_story_record(out_dir, folder).read_text(encoding="utf-8"))
        if record.get("format") != _FORMAT or record["environment"] != environment(settings, options, out_dir):
            return None
        for name, (size, mtime, digest) in record["inputs"].items():
            stat = (out_dir / name).stat()
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime) and file_digest(out_dir / name) != digest:
                return None  # a changed file (a new time alone, as a git checkout gives, is no change)
        final = out_dir / record["slug"]
        if _output_stats(final) != record["outputs"]:
            return None  # an output changed or went missing: build it again
        if any(out_dir.glob(f"{glob.escape('.' + record['slug'])}.*")):
            return None  # a build holds the story's lock, or a killed one left its folders: build (and wait)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    summary = record["result"]
    return BuildResult(slug=record["slug"], output=final, packages=tuple(final / "packages" / p
                                                                          for p in summary["packages"]),
                       built=0, cached=summary["built"] + summary["cached"],
                       warnings=tuple(summary["warnings"]), up_to_date=True)


def built_stories(out_dir: Path) -> list[str]:
    """Name, sorted, the slugs of the stories mediapack has built in ``out_dir`` and that are still there."""
    owners = out_dir / RECORDS / "built-from"
    try:
        slugs = sorted(p.name for p in owners.iterdir() if p.is_file())
    except OSError:
        return []
    return [slug for slug in slugs if (out_dir / slug).is_dir()]


def environment(settings: Settings, options: BuildOptions, out_dir: Path) -> str:
    """Digest what, besides the story's files, decides the output: the tool, its libraries, settings, options."""
    ffmpeg = _ffmpeg_identity(settings)
    parts = [__version__, sys.version, _code_identity(), _installed_distributions(), ffmpeg,
             repr(replace(settings, sources=())), [_relative(p, out_dir) for p in settings.sources],
             options.base_url, options.strict, os.environ.get("SOURCE_DATE_EPOCH", ""),
             signing_identity(settings)]
    return hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()


def _input_files(story: Story) -> Iterable[Path]:
    yield story.source
    for item in story.media:
        yield story.folder / item.file
        if item.subtitles is not None:
            yield story.folder / item.subtitles
    if story.compose is not None and story.compose.audio_bed is not None:
        yield story.folder / story.compose.audio_bed


def _stat_and_digest(path: Path) -> tuple[int, int, str]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, file_digest(path)


def _output_stats(folder: Path) -> dict[str, list[int]]:
    stats = {}
    for root, _, files in os.walk(folder):
        for name in files:
            stat = (Path(root) / name).stat()
            stats[(Path(root) / name).relative_to(folder).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return stats


def _code_identity() -> list:
    """Size and time of every file of the package (code, templates, fonts): an edited tool is another tool."""
    return sorted([str(p.relative_to(_PACKAGE)), p.stat().st_size, p.stat().st_mtime_ns]
                  for p in _PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _installed_distributions() -> list[str]:
    """The name and version of every installed distribution, from the folder names (no metadata reads)."""
    found = set()
    for entry in sys.path:
        try:
            found.update(name for name in os.listdir(entry or ".") if name.endswith(".dist-info"))
        except OSError:
            continue
    return sorted(found)


def _ffmpeg_identity(settings: Settings) -> list:
    """Which ffmpeg binary a build would run, by path, size and time (running it would cost more).

    The bundled one is named by imageio-ffmpeg's version, in the distributions already.
    """
    candidate = settings.ffmpeg.path or os.environ.get("MEDIAPACK_FFMPEG", "")
    if not candidate:
        return ["bundled"]
    found = shutil.which(candidate) if os.sep not in candidate else os.path.expanduser(candidate)
    try:
        stat = Path(found or candidate).stat()
    except OSError:
        return [candidate]
    return [found, stat.st_size, stat.st_mtime_ns]


def _relative(path: Path, out_dir: Path) -> str:
    return os.path.relpath(Path(path).resolve(), out_dir.resolve())


def _owner_record(out_dir: Path, slug: str) -> Path:
    return out_dir / RECORDS / "built-from" / slug


def _story_record(out_dir: Path, folder: Path) -> Path:
    key = hashlib.sha256(_relative(folder, out_dir).encode("utf-8")).hexdigest()[:24]
    return out_dir / RECORDS / "stories" / f"{key}.json"
