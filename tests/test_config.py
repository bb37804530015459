"""mediapack.toml loading: defaults, merging from parent folders, and every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_ffmpeg
from mediapack.config import load_settings
from mediapack.errors import ConfigError
from mediapack.rules import bits_per_second
from mediapack.settings import AAC_RATES, H264_PROFILES, X264_PRESETS, Settings


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


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_bytes(b"\xef\xbb\xbf[video]\ncrf = 26\n")  # as Notepad saves it
    assert load_settings(tmp_path).video.crf == 26


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


def test_package_patterns_that_can_never_match_are_refused(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text(
        "[packages.web]\ninclude = ['index.html', '../**', '/etc/passwd']\nexclude = ['media\\x.jpg']\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    text = "\n".join(caught.value.lines())
    assert len(caught.value.problems) == 3
    assert "packages.web.include: '../**' can never match: patterns name files inside the story's output" in text
    assert "packages.web.include: '/etc/passwd' can never match" in text
    assert "packages.web.exclude: 'media\\\\x.jpg' can never match" in text  # a Windows path


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text("[video\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert "mediapack.toml: not valid TOML" in caught.value.lines()[1]


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration"):
        load_settings(tmp_path, tmp_path / "nope.toml")


def test_values_the_encoders_refuse_are_refused_with_their_keys_all_at_once(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text(
        '[video]\npreset = "ludicrous"\nprofile = "ultra"\naudio_bitrate = "lots"\ncrf = 99\n'
        'audio_rate = 44000\nkeyframe_seconds = 0.0\n'
        '[photos]\njpeg_quality = 150\nwebp_quality = 500\navif_quality = 101\n'
        '[ffmpeg]\nthreads = 1000\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    said = {p.key: p.message for p in caught.value.problems}
    assert said == {
        "video.preset": "must be one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, "
                        "veryslow, placebo, not 'ludicrous'",
        "video.profile": "must be one of baseline, main, high, not 'ultra'",
        "video.audio_bitrate": "must be a bitrate like \"128k\" or \"3M\", not 'lots'",
        "video.crf": "must be from 0 to 51, not 99",
        "video.audio_rate": "must be a sample rate AAC takes (8000, 11025, 12000, 16000, 22050, 24000, 32000, "
                            "44100, 48000, 64000, 88200, 96000), not 44000 (did you mean 44100?)",
        "video.keyframe_seconds": "must be from 0.1 to 20 s, not 0",
        "photos.jpeg_quality": "must be from 1 to 95, not 150",
        "photos.webp_quality": "must be from 0 to 100, not 500",
        "photos.avif_quality": "must be from 0 to 100, not 101",
        "ffmpeg.threads": "must be from 0 to 64, not 1000",
    }
    assert caught.value.exit_code == 2
    assert all(p.file == tmp_path / "mediapack.toml" for p in caught.value.problems)


def test_a_misspelt_setting_gets_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text("[vidoe]\ncrf = 20\n[photos]\njpg_quality = 80\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    said = {p.key: p.message for p in caught.value.problems}
    assert said["vidoe"].startswith("unknown setting (did you mean `video`?)")
    assert said["photos.jpg_quality"] == "unknown setting (did you mean `jpeg_quality`?)"


def test_a_bitrate_with_a_typo_in_the_ladder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text(
        '[video.ladder]\n720p = {height = 720, maxrate = "3MB", bufsize = "6M"}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f'{tmp_path / "mediapack.toml"}: video.ladder.720p: maxrate and bufsize must look like "3M" or "800k"']


@pytest.mark.parametrize("preset", X264_PRESETS)
def test_every_preset_and_profile_allowed_is_one_x264_accepts(tmp_path: Path, preset: str) -> None:
    for profile in H264_PROFILES:
        run_ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5:duration=0.4", "-c:v", "libx264",
                   "-preset", preset, "-profile:v", profile, "-pix_fmt", "yuv420p", str(tmp_path / "x.mp4"))


def test_accepted_bitrates_and_rates_are_ones_ffmpeg_accepts(tmp_path: Path) -> None:
    video = load_settings(tmp_path).video
    for rate in ("16k", "512k", "0.2M"):
        assert bits_per_second(rate) is not None
        run_ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "aac", "-b:a", rate, "-ar",
                   str(video.audio_rate), str(tmp_path / "x.m4a"))
    for sample_rate in AAC_RATES:
        run_ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "aac", "-ar", str(sample_rate),
                   str(tmp_path / "x.m4a"))


@pytest.mark.parametrize(("toml", "key", "said"), [
    ('[video.ladder]\nposter = {height = 360, maxrate = "1M", bufsize = "2M"}\n', "video.ladder.poster",
     "'poster' names another rendition (the poster, sprite, captions...); choose another name, such as 720p"),
    ('[video.ladder]\nthumbnails = {height = 360}\n', "video.ladder.thumbnails", "'thumbnails' names another"),
    ("[photos.sizes]\nsquare = 500\n", "photos.sizes.square", "'square' names another rendition"),
    ("[photos.sizes]\nanimation = 500\n", "photos.sizes.animation", "'animation' names another rendition"),
    ("[video.ladder]\n", "video.ladder", "must name at least one rung (it replaces the default ladder)"),
    ("[photos.sizes]\n", "photos.sizes", "must name at least one size (it replaces the default list)"),
    ('[video.ladder]\na = {height = 720}\nb = {height = 720}\n', "video.ladder.b.height",
     "is 720, as video.ladder.a's: each rung needs a height of its own"),
    ('[photos.sizes]\nbig = {long_edge = 2000, formats = ["jpeg"]}\n', "photos.sizes.big.formats",
     'must be a list drawn from "jpg", "webp", "avif" (did you mean `jpg`?)'),
    ('[video]\naudio_bitrate = "1G"\n', "video.audio_bitrate", "must be from 16k to 512k, not 1G"),
])
def test_names_and_tables_that_would_clash_or_vanish_are_refused(tmp_path: Path, toml: str, key: str,
                                                                  said: str) -> None:
    (tmp_path / "mediapack.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    found = {p.key: p.message for p in caught.value.problems}
    assert found[key].startswith(said), found


def test_publisher_and_manifest_uri_prefix(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text(
        "[publisher]\nname = 'Example News'\nurl = 'https://news.example.org'\nlogo = 'https://news.example.org/l.png'\n"
        "[manifest]\nuri_prefix = 'urn:newsroom:stories:'\n")
    settings = load_settings(tmp_path)
    assert (settings.publisher.name, settings.publisher.url, settings.publisher.logo) == (
        "Example News", "https://news.example.org", "https://news.example.org/l.png")
    assert settings.manifest.uri_prefix == "urn:newsroom:stories:"


def test_bad_publisher_and_uri_prefix_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text(
        "[publisher]\nurl = 'ftp://news.example.org'\nlogo = 'https://news.example.org/l.png'\nmotto = 'x'\n"
        "[manifest]\nuri_prefix = 'https://example.org/id'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    said = " | ".join(map(str, caught.value.problems))
    assert "publisher.url: must start with https:// or http://" in said
    assert "publisher.name: required: a publisher with a url or logo needs its name" in said
    assert "publisher.motto: unknown setting" in said
    assert "manifest.uri_prefix: must end with '/' or ':'" in said


def test_page_settings_take_a_zone_and_labels(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text('[page]\ntimezone = "Asia/Tehran"\n[page.labels]\n'
                                             'video_intro = "Video file:"\nby = "Reporting by {names}"\n',
                                             encoding="utf-8")
    page = load_settings(tmp_path).page
    assert page.timezone == "Asia/Tehran"
    assert page.labels == (("by", "Reporting by {names}"), ("video_intro", "Video file:"))


def test_page_settings_refuse_unknown_zones_labels_and_placeholders_all_at_once(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text('[page]\ntimezone = "Asia/Teheran"\ncolour = 1\n[page.labels]\n'
                                             'vidoe_intro = "Video:"\nby = "By {name}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    lines = "\n".join(caught.value.lines())
    assert "page.timezone: must be a time zone like \"Asia/Tehran\"" in lines and "(did you mean `Asia/Tehran`?)" in lines
    assert "page.colour: unknown setting" in lines
    assert "page.labels.vidoe_intro: unknown label (did you mean `video_intro`?)" in lines
    assert "page.labels.by: must hold {names}, as 'By {names}' does, not 'By {name}'" in lines
