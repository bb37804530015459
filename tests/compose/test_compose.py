"""Compositions: parsing the request, then real (short) slideshows and social cuts decoded and measured."""

from __future__ import annotations

import shutil
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import make_audio, run_ffmpeg
from mediapack.compose.slideshow import make_slideshow
from mediapack.compose.social import make_social_cuts
from mediapack.compose.text import clean_text, font, wrap
from mediapack.errors import Findings, InputError
from mediapack.ffmpeg import run
from mediapack.model import BuiltMedia, ComposeRequest, MediaItem, Rendition, Story
from mediapack.photo.renditions import make_photo_renditions
from mediapack.probe import probe_av, probe_file
from mediapack.settings import Settings
from mediapack.story.compose_request import parse_compose
from mediapack.video.frames import AudioTrack, build_encode_args
from mediapack.video.webvtt import write_webvtt

GREY = 160  # the test photos are flat grey outside a small coloured patch near the middle
SETTINGS = replace(Settings(), video=replace(Settings().video, preset="ultrafast"))


def flat_photo(path: Path, size: tuple[int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", size, (GREY, GREY, GREY))
    w, h = size
    ImageDraw.Draw(img).ellipse([w * 0.45, h * 0.3, w * 0.55, h * 0.45], fill=(200, 40, 40))
    img.save(path, quality=95)
    return path


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]


def video_format(path: Path) -> tuple[str, str]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.name, stream.codec_context.format.name


def has_audio(path: Path) -> bool:
    with av.open(str(path)) as container:
        return bool(container.streams.audio)


@pytest.fixture(scope="module")
def photo_story(tmp_path_factory) -> tuple[Story, list[BuiltMedia], Path]:
    """Two flat photos (one landscape, one portrait) with their photo renditions, and a 4 s audio bed."""
    folder = tmp_path_factory.mktemp("compose") / "story"
    out = folder.parent / "out"
    flat_photo(folder / "photos" / "wide.jpg", (900, 600))
    flat_photo(folder / "photos" / "tall.jpg", (500, 700))
    make_audio(folder / "audio" / "bed.m4a", seconds=4.0)
    items = (MediaItem("wide", Path("photos/wide.jpg"), caption="Harbour <b>{{ at dawn }}</b>\x00\x1b[31m",
                       credit="Ann Writer/Example"),
             MediaItem("tall", Path("photos/tall.jpg"), caption="Second photo", credit="Bo Reporter"))
    built = []
    for item in items:
        renditions, poi = make_photo_renditions(item, folder / item.file, out, SETTINGS.photos)
        built.append(BuiltMedia(item, probe_file(folder / item.file), renditions, poi))
    story = Story(folder=folder, source=folder / "story.md", headline="Ferry <returns> & {{ more }}",
                  slug="ferry", body="", byline=("Ann Writer", "Bo Reporter"), section="Local", media=items)
    return story, built, out


@pytest.fixture(scope="module")
def slideshow(photo_story, ff):
    story, built, out = photo_story
    request = ComposeRequest(slideshow=True, seconds_per_photo=1.0, audio_bed=Path("audio/bed.m4a"))
    return make_slideshow(story, built, story.folder, out, request, SETTINGS, ff), out


# --- the request ----------------------------------------------------------------------------------

def test_nothing_is_composed_unless_asked(tmp_path: Path) -> None:
    findings = Findings()
    assert parse_compose(None, tmp_path / "story.md", findings) is None
    assert parse_compose(False, tmp_path / "story.md", findings) is None
    assert parse_compose([], tmp_path / "story.md", findings) is None
    assert parse_compose({"slideshow": False}, tmp_path / "story.md", findings) is None
    assert not findings.errors
    assert [w.key for w in findings.warnings] == ["compose"]  # a mapping that asks for nothing is a slip
    assert ComposeRequest() == ComposeRequest(slideshow=False, social=False)


def test_parse_compose_accepts_a_list_a_name_or_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "bed.mp3").write_bytes(b"not checked until the build")
    source, findings = tmp_path / "story.md", Findings()
    both = ComposeRequest(slideshow=True, social=True)
    assert parse_compose(["slideshow", "social"], source, findings) == both
    assert parse_compose("social", source, findings) == ComposeRequest(social=True)
    assert parse_compose(True, source, findings) == both
    parsed = parse_compose({"slideshow": True, "seconds_per_photo": 4, "formats": ["9x16"],
                            "audio_bed": "audio/bed.mp3"}, source, findings)
    assert parsed == ComposeRequest(slideshow=True, seconds_per_photo=4.0, formats=("9x16",),
                                    audio_bed=Path("audio/bed.mp3"))
    assert not findings.errors and not findings.warnings


@pytest.mark.parametrize(("value", "key"), [
    (["slideshow", "reel"], "compose"),
    ("{{ slideshow }}", "compose"),
    (42, "compose"),
    ({"slideshow": "yes"}, "compose.slideshow"),
    ({"slideshow": True, "seconds_per_photo": 0}, "compose.seconds_per_photo"),
    ({"slideshow": True, "seconds_per_photo": True}, "compose.seconds_per_photo"),
    ({"slideshow": True, "seconds_per_photo": float("nan")}, "compose.seconds_per_photo"),
    ({"slideshow": True, "formats": ["4x3"]}, "compose.formats"),
    ({"slideshow": True, "formats": [["16x9"]]}, "compose.formats"),
    ({"slideshow": True, "formats": ["16x9", "16x9"]}, "compose.formats"),
    ({"slideshow": True, "audio_bed": "../bed.mp3"}, "compose.audio_bed"),
    ({"slideshow": True, "audio_bed": "missing.mp3"}, "compose.audio_bed"),
    ({"slideshow": True, "audio_bed": "-bed:\x07.mp3"}, "compose.audio_bed"),
    ({"slideshow": True, "colour": "red"}, "compose.colour"),
])
def test_parse_compose_reports_bad_values_with_their_key(tmp_path: Path, value, key: str) -> None:
    findings = Findings()
    assert parse_compose(value, tmp_path / "story.md", findings) is None
    assert [p.key for p in findings.errors] == [key]
    assert all("\n" not in p.message for p in findings.errors)


def test_text_is_drawn_literally_without_control_characters() -> None:
    assert clean_text("A <b>{{ x }}</b>\x00\x1b[31m\u202e\nB\tC") == "A <b>{{ x }}</b> [31m B C"
    lines = wrap("word " * 200 + "x" * 300, font(40), 500, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(font(40).getlength(line) <= 500 for line in lines)


# --- the slideshow --------------------------------------------------------------------------------

def test_slideshow_sizes_duration_and_codec(slideshow) -> None:
    renditions, out = slideshow
    assert [(r.name, r.width, r.height) for r in renditions] == [
        ("slideshow-16x9", 1920, 1080), ("slideshow-9x16", 1080, 1920)]
    for rendition in renditions:
        path = out / rendition.path
        assert rendition.path == Path("media/slideshow") / path.name
        assert rendition.role == "composition" and rendition.content_type == "video/mp4"
        assert rendition.size_bytes == path.stat().st_size and rendition.title == ""
        # a 1 s title card, two 1 s photos, two quarter-second cross-fades
        assert probe_av(path).duration == pytest.approx(1 + 2 - 2 * 0.25, abs=0.05)
        assert rendition.duration == pytest.approx(probe_av(path).duration)
        assert video_format(path) == ("h264", "yuv420p")
        assert rendition.video_codec.startswith("avc1.") and rendition.audio_codec == "mp4a.40.2"
        assert has_audio(path)  # the audio bed, cut to the video's length
    assert not list((out / "media" / "slideshow").glob("*.partial"))


def test_slideshow_shows_title_then_captioned_photos(slideshow) -> None:
    renditions, out = slideshow
    frames = frames_of(out / renditions[0].path)
    title, photo = frames[10], frames[30]  # 0.4 s: the title card; 1.2 s: the first photo, no fade
    assert title.mean() < 60  # the dark card, some white text
    assert (title > 230).any()
    # Away from the lower third the frame is the photo (flat grey there, however it is panned) ...
    top = photo[40:300, 40:600].astype(float)
    assert abs(top.mean() - GREY) < 6 and top.std() < 6
    # ... and in the lower third the caption darkens it and writes white text over it.
    lower = photo[1080 - 200:1080 - 60, 40:1200].astype(float)
    assert GREY - lower.mean() > 40
    assert (lower > 230).sum() > 500
    assert frames[-1].mean() < frames[-10].mean() / 3  # it fades out to black


def test_slideshow_without_audio_bed_has_no_audio(photo_story, ff) -> None:
    story, built, out = photo_story
    request = ComposeRequest(slideshow=True, seconds_per_photo=1.0, formats=("1x1",))
    (rendition,) = make_slideshow(story, built[:1], story.folder, out / "silent", request, SETTINGS, ff)
    path = out / "silent" / rendition.path
    assert (rendition.width, rendition.height, rendition.audio_codec) == (1080, 1080, None)
    assert not has_audio(path)
    assert probe_av(path).duration == pytest.approx(1 + 1 - 0.25, abs=0.05)


def test_slideshow_needs_photos(photo_story, ff) -> None:
    story, _, out = photo_story
    with pytest.raises(InputError, match="no photos"):
        make_slideshow(story, [], story.folder, out, ComposeRequest(slideshow=True), SETTINGS, ff)


# --- the social cut -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clip_story(tmp_path_factory):
    """A 2 s 320x240 flat grey clip with a tone and a subtitle cue (0-1 s), and what a build makes of it."""
    folder = tmp_path_factory.mktemp("social") / "story"
    folder.mkdir()
    run_ffmpeg("-f", "lavfi", "-i", f"color=c=0x{GREY:02x}{GREY:02x}{GREY:02x}:s=320x240:r=25:d=2",
               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
               str(folder / "clip.mp4"))
    (folder / "clip.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHello <i>harbour</i> & {{ you }}\n",
                                     encoding="utf-8")
    item = MediaItem("clip", Path("clip.mp4"), caption="A clip", credit="Example Video",
                     subtitles=Path("clip.srt"))
    info = probe_file(folder / "clip.mp4")
    # What the video stage leaves in media/clip/: the ladder (here one rung, the clip itself) and captions.
    out = folder.parent / "out"
    (out / "media" / "clip").mkdir(parents=True)
    shutil.copyfile(folder / "clip.mp4", out / "media" / "clip" / "240p.mp4")
    write_webvtt(folder / "clip.srt", out / "media" / "clip" / "captions.vtt", "en")
    renditions = (Rendition("240p", Path("media/clip/240p.mp4"), "video/mp4", info.size_bytes, width=320,
                            height=240),
                  Rendition("captions", Path("media/clip/captions.vtt"), "text/vtt", 1, role="captions"))
    return item, info, BuiltMedia(item, info, renditions), folder, out


def test_social_cuts_crop_to_9x16_and_1x1_without_upscaling(clip_story, ff) -> None:
    _, _, built, folder, out = clip_story
    renditions = make_social_cuts(built, folder, out, SETTINGS, ff)
    assert [r.name for r in renditions] == ["social-9x16", "social-1x1"]
    tall, square = renditions
    assert tall.height == 240 and abs(tall.width - 240 * 9 / 16) <= 2 and tall.width % 2 == 0
    assert (square.width, square.height) == (240, 240)
    for rendition in renditions:
        path = out / rendition.path
        assert rendition.path == Path("media/clip") / path.name
        assert video_format(path) == ("h264", "yuv420p")
        assert probe_av(path).duration == pytest.approx(2.0, abs=0.05)
        assert has_audio(path)  # the clip's own sound
    # The subtitle is burned in while its cue runs and gone after; the credit stays throughout.
    frames = frames_of(out / square.path)
    during, after = frames[12], frames[40]
    bottom = (slice(150, 215), slice(20, 220))
    assert np.abs(during[bottom].astype(float) - after[bottom]).mean() > 15
    assert abs(after[bottom].astype(float).mean() - GREY) < 6
    top = (slice(10, 25), slice(80, 160))  # the credit box, centred at the top
    for frame in (during, after):
        assert abs(frame[top].astype(float).mean() - GREY) > 15


def test_social_cuts_are_reproducible(clip_story, ff, tmp_path: Path) -> None:
    _, _, built, folder, _ = clip_story
    first = make_social_cuts(replace(built, renditions=()), folder, tmp_path / "a", SETTINGS, ff)
    second = make_social_cuts(replace(built, renditions=()), folder, tmp_path / "b", SETTINGS, ff)
    for a, b in zip(first, second, strict=True):
        assert (tmp_path / "a" / a.path).read_bytes() == (tmp_path / "b" / b.path).read_bytes()


# --- encoding -------------------------------------------------------------------------------------

def test_encode_args_read_frames_from_the_pipe_and_match_the_ladder(tmp_path: Path) -> None:
    bed = make_audio(tmp_path / "-bed:1.m4a", seconds=1.0)
    args = build_encode_args((64, 36), Fraction(25), 2.0, tmp_path / "out.mp4", Settings(),
                             AudioTrack(bed, "mov", 0, fade=1.0))
    assert args[args.index("-i") + 1] == "pipe:0"
    assert args[args.index("-protocol_whitelist") + 1] == "pipe"
    assert "file:" + str(bed) in args  # a '-' or ':' in the bed's name is never an option or protocol
    graph = args[args.index("-filter_complex") + 1]
    assert "apad" in graph and "atrim=end=2.000" in graph and "afade" in graph  # fitted, faded out
    output = args[len(args) - args[::-1].index("-i") + 1:]  # the options after the last input
    assert output[output.index("-preset") + 1] == Settings().video.preset
    assert output[output.index("-crf") + 1] == str(Settings().video.crf)
    assert output[output.index("-pix_fmt") + 1] == "yuv420p"
    assert output[output.index("-movflags") + 1] == "+faststart"
    assert output[output.index("-map_metadata") + 1] == "-1"
    assert args[-1] == "file:" + str(tmp_path / "out.mp4")


def test_a_failing_frame_source_stops_ffmpeg_and_is_raised(tmp_path: Path, ff) -> None:
    target = tmp_path / "out.mp4"
    args = build_encode_args((64, 36), Fraction(25), 2.0, target, SETTINGS)

    def frames():
        yield bytes(64 * 36 * 3)
        raise InputError("photo.jpg: cannot read")

    with pytest.raises(InputError, match="cannot read"):
        run(ff, args, chunks=frames(), timeout=60)
