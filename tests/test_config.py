"""mediapack.toml loading: defaults, merging from parent folders, and every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediapack.config import Settings, load_settings
from mediapack.errors import ConfigError


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.photos == Settings().photos
    assert [r.name for r in settings.video.ladder] == ["1080p", "720p", "480p", "360p"]
    assert [p.name for p in settings.packages] == ["web", "full"]


def test_parent_folder_settings_are_overridden_by_the_story_folder(tmp_path: Path) -> None:
    story = tmp_path / "desk" / "story"
    story.mkdir(parents=True)
    (tmp_path / "desk" / "mediapack.toml").write_text("[video]\ncrf = 20\npreset = 'fast'\n")
    (story / "mediapack.toml").write_text("[video]\ncrf = 26\n[photos.sizes]\nhuge = 3000\n")
    settings = load_settings(story)
    assert settings.video.crf == 26 and settings.video.preset == "fast"
    assert [(s.name, s.long_edge) for s in settings.photos.sizes] == [("huge", 3000)]
    assert settings.sources == (tmp_path / "desk" / "mediapack.toml", story / "mediapack.toml")


def test_explicit_config_replaces_the_search(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text("[video]\ncrf = 30\n")
    other = tmp_path / "other.toml"
    other.write_text("[video.ladder]\nsmall = {height = 240, maxrate = '500k', bufsize = '1M'}\n"
                     "[packages.web]\ninclude = ['index.html']\n[packages.full]\ninclude = ['**']\n"
                     "exclude = ['originals/**']\n")
    settings = load_settings(tmp_path, other)
    assert settings.video.crf == 23
    assert [(r.name, r.height) for r in settings.video.ladder] == [("small", 240)]
    assert settings.packages[0].include == ("index.html",)
    assert settings.packages[1].exclude == ("originals/**",)


def test_every_problem_is_reported_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "mediapack.toml"
    path.write_text(
        "colour = 'red'\nstrict = 'yes'\n"
        "[photos]\njpeg_quality = 'high'\nsquare = -3\n[photos.sizes]\ntiny = {long_edge = 1}\n"
        "odd = {long_edge = 100, formats = ['bmp']}\n"
        "[video]\ncrf = 1.5\nspeed = 3\n[video.ladder]\nx = {height = 240, maxrate = 'fast', bufsize = '1M'}\n"
        "[packages.web]\ninclude = []\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    text = "\n".join(caught.value.lines())
    for key in ("colour", "strict", "photos.jpeg_quality", "photos.square", "photos.sizes.tiny.long_edge",
                "photos.sizes.odd.formats", "video.crf", "video.speed", "video.ladder.x", "packages.web.include"):
        assert f"mediapack.toml: {key}:" in text, key
    assert caught.value.exit_code == 2
    assert len(caught.value.problems) == 10


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text("[video\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert "mediapack.toml: not valid TOML" in caught.value.lines()[1]


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration"):
        load_settings(tmp_path, tmp_path / "nope.toml")
