"""Fuzzing: any story.md front matter and any mediapack.toml give a clean error or a result, never a traceback."""

from __future__ import annotations

import json
import math
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hostile_inputs import CONTROL
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from conftest import make_photo, make_video
from mediapack.check import check_story
from mediapack.cli import _print_error as print_error
from mediapack.config import load_settings
from mediapack.errors import ConfigError, MediapackError
from mediapack.story.fields import MEDIA_KEYS
from mediapack.story.read import KNOWN_KEYS

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FILES = ["p.jpg", "v.mp4", "v.srt", "notes.txt", "sub", "missing.jpg", "../p.jpg", "/etc/passwd", "p.jpg/..",
         "sub/../p.jpg", "", " ", "-p.jpg", "file:p.jpg", "v.mp4\n"]

zones = st.sampled_from([None, UTC, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14, minutes=59))])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(), st.text(), st.sampled_from(FILES), st.dates(), st.datetimes(timezones=zones),
    st.sampled_from(["2026-06-20T09:30:00Z", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+05:00",
                     "slideshow", "social", "16x9", "![[a]]"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8) | st.sampled_from(sorted(MEDIA_KEYS)), inner, max_size=4),
                      max_leaves=12)
ids = st.sampled_from(["a", "b", "p"]) | values
media_entry = st.fixed_dictionaries(
    {"id": ids, "file": st.sampled_from(FILES) | values},
    optional={key: st.sampled_from(FILES) | values for key in sorted(MEDIA_KEYS - {"id", "file"})},
) | st.dictionaries(st.sampled_from(sorted(MEDIA_KEYS)) | st.text(max_size=6), values, max_size=6)
# Often a valid story with some keys overwritten, so that fuzzing also reaches probing and the compositions.
VALID = {"headline": "Fuzz", "media": [{"id": "p", "file": "p.jpg", "caption": "c"},
                                        {"id": "v", "file": "v.mp4", "subtitles": "v.srt"}]}
front_matter = st.builds(
    lambda keep, extra, media: {**(VALID if keep else {}), **extra, **({} if media is None else {"media": media})},
    st.booleans(), st.dictionaries(st.sampled_from(sorted(KNOWN_KEYS)) | st.text(max_size=10), values, max_size=6),
    st.none() | st.lists(media_entry, max_size=4))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A story folder with a photo, a video, subtitles, a text file and a subfolder to point at."""
    root = tmp_path_factory.mktemp("fuzz")
    make_photo(root / "p.jpg", (48, 32))
    make_video(root / "v.mp4", seconds=0.5, size=(64, 48), audio=False)
    (root / "v.srt").write_text("1\n00:00:00,000 --> 00:00:00,400\nHi\n", encoding="utf-8")
    (root / "notes.txt").write_text("notes\n", encoding="utf-8")
    (root / "sub").mkdir()
    return root


def assert_shown_cleanly(error: MediapackError) -> None:
    """Assert the CLI would print ``error`` as whole lines free of control characters."""
    said: list[str] = []
    print_error(error, said.append)
    assert said and not [line for line in said if "\n" in line or CONTROL.search(line)], said


def check_cleanly(folder: Path) -> None:
    """Check the story in-process: success, or a MediapackError a user can act on (exit 1 or 2)."""
    try:
        check_story(folder, load_settings(folder))
    except MediapackError as exc:
        assert exc.exit_code in (1, 2)
        assert_shown_cleanly(exc)
        event(f"refused (exit {exc.exit_code})")
    else:
        event("passed")


def as_yaml(front: dict) -> str:
    try:
        return yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return "headline: unrepresentable\n"


@FUZZ
@given(front=front_matter.map(as_yaml) | st.text(), body=st.text(max_size=200))
@example(front="headline: x\npublished: 2026-02-30\n", body="")
@example(front="headline: 1" + "0" * 5000 + "\n", body="")
@example(front="headline: x\na: " + "[" * 3000 + "]" * 3000 + "\n", body="")
@example(front="headline: x\npublished: 9999-12-31T23:59:59-12:00\nupdated: 0001-01-01T00:00:00+05:00\n", body="")
@example(front="headline: x\nmedia:\n  - {id: p, file: p.jpg}\n", body="![[p]]\n![[nope]]\n")
@example(front="headline: x\na: !!timestamp x\nb: !!bool maybe\nc: !!float x\nd: &d [*d]\n", body="")
def test_any_front_matter_gives_a_clean_error_or_a_story(folder: Path, front: str, body: str) -> None:
    (folder / "story.md").write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    check_cleanly(folder)


def toml_value(value: object) -> str:
    """Write a value as TOML (tables inline), escaping what TOML strings may not hold raw."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")) if not math.isfinite(value) \
            else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    return toml_value(key)


SECTIONS = {"photos": ["sizes", "square", "jpeg_quality", "max_pixels", "max_bytes"],
            "video": ["ladder", "crf", "preset", "max_pixels", "max_duration", "max_bytes", "loudness_target"],
            "ffmpeg": ["path", "timeout", "timeout_per_second", "threads"],
            "packages": ["web", "full", "extra"], "compose": ["slideshow", "social", "audio_bed", "formats"],
            "strict": [], "other": []}
toml_scalars = st.one_of(st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(),
                         st.text(max_size=12), st.sampled_from(["3M", "800k", "jpg", "webp", "avif", "**", "p.jpg"]))
toml_values = st.recursive(toml_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(["long_edge", "formats", "height", "maxrate", "bufsize",
                                                              "include", "exclude"]) | st.text(max_size=6),
                                             inner, max_size=4), max_leaves=10)


@st.composite
def toml_documents(draw) -> str:
    doc = {}
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)), unique=True, max_size=4)):
        keys = SECTIONS[section]
        if not keys:
            doc[section] = draw(toml_values)
            continue
        doc[section] = draw(st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), toml_values, max_size=4))
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in doc.items())


@FUZZ
@given(text=toml_documents() | st.text(), in_story_folder=st.booleans())
@example(text="[ffmpeg]\ntimeout = nan\n", in_story_folder=False)
@example(text="[photos.sizes]\nx = {long_edge = 100, formats = []}\n", in_story_folder=True)
def test_any_mediapack_toml_gives_a_clean_error_or_settings(folder: Path, text: str, in_story_folder: bool) -> None:
    story = folder / "toml-story"
    story.mkdir(exist_ok=True)
    if not (story / "story.md").exists():
        make_photo(story / "p.jpg", (48, 32))
        (story / "story.md").write_text("---\nheadline: T\nmedia:\n  - {id: p, file: p.jpg}\n---\n", encoding="utf-8")
    config = story / "mediapack.toml"
    config.write_text(text, encoding="utf-8")
    if not in_story_folder:  # the same file as a newsroom-wide one, in the folder above
        config = config.rename(folder / "mediapack.toml")
    try:
        try:
            load_settings(story)
        except ConfigError as exc:
            assert exc.exit_code == 2
            assert_shown_cleanly(exc)
            return
        check_cleanly(story)
    finally:
        config.unlink()
