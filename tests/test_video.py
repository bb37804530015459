"""The video stage: argv builders without ffmpeg, then real transcodes of tiny clips, measured with PyAV."""

from __future__ import annotations

import re
import struct
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import av
import pytest
from PIL import Image, ImageStat

from conftest import make_audio, make_video, run_ffmpeg
from mediapack.config import Settings, VideoRung
from mediapack.errors import BuildError, InputError
from mediapack.ffmpeg import FFmpeg, locate_ffmpeg
from mediapack.model import VIDEO, MediaInfo, MediaItem, StreamInfo
from mediapack.probe import probe_av
from mediapack.video import (
    build_audio_args,
    build_ladder_args,
    ladder_for,
    package_audio,
    sprite_layout,
    thumbnails_vtt,
    transcode_video,
    write_webvtt,
)

SMALL_LADDER = (VideoRung("240p", 240, "1M", "2M"), VideoRung("180p", 180, "500k", "1M"))


def quick_settings(**video) -> Settings:
    """Settings for tiny clips: two small rungs, 1 s keyframes, four 80 px thumbnails per 2 s."""
    base = Settings()
    options = {"ladder": SMALL_LADDER, "keyframe_seconds": 1.0, "thumbnail_interval": 0.5,
               "thumbnail_width": 80, **video}
    return replace(base, video=replace(base.video, **options))


def hd_info(width: int = 1920, height: int = 1080, audio: bool = True, name: str = "-odd:name.mp4") -> MediaInfo:
    streams = (StreamInfo(0, "video", "h264", True),) + ((StreamInfo(1, "audio", "aac", True),) if audio else ())
    return MediaInfo(path=Path(name), kind=VIDEO, format="mov,mp4,m4a,3gp,3g2,mj2", width=width, height=height,
                     duration=10.0, video_codec="h264", audio_codec="aac" if audio else None,
                     frame_rate=30000 / 1001, streams=streams)


def option_values(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args) if arg == option]


# --- pure planning and argv ----------------------------------------------------------------------

def test_ladder_never_upscales_and_uses_the_short_side() -> None:
    settings = Settings().video
    assert [(r.name, w, h) for r, w, h in ladder_for(hd_info(1280, 720), settings)] == [
        ("720p", 1280, 720), ("480p", 854, 480), ("360p", 640, 360)]
    portrait = ladder_for(hd_info(1080, 1920), settings)
    assert [(w, h) for _, w, h in portrait] == [(1080, 1920), (720, 1280), (480, 854), (360, 640)]


def test_a_source_below_every_rung_gets_one_rendition_at_its_own_even_size() -> None:
    (rung, width, height), = ladder_for(hd_info(321, 241), Settings().video)
    assert (rung.name, width, height) == ("240p", 320, 240) and rung.maxrate == "800k"
    assert [(r.name, w, h) for r, w, h in ladder_for(hd_info(160, 120), Settings().video)] == [("120p", 160, 120)]


def test_ladder_args_decode_once_and_split_to_every_output(tmp_path: Path) -> None:
    info = hd_info()
    source = tmp_path / "-odd:name.mp4"
    ladder = ladder_for(info, Settings().video)
    targets = {rung.name: tmp_path / f"{rung.name}.mp4" for rung, _, _ in ladder}
    targets.update(poster=tmp_path / "poster.jpg", thumbnails=tmp_path / "thumbnails.jpg")
    args = build_ladder_args(source, info, ladder, targets, Settings())
    assert args[:6] == ["-f", "mov", "-protocol_whitelist", "file", "-i", f"file:{source}"]
    assert args.count("-i") == 1
    graph = args[args.index("-filter_complex") + 1]
    assert "fps=fps=30000/1001" in graph and "split=6" in graph
    for size in ("1920:1080", "1280:720", "854:480", "640:360"):
        assert f"scale={size}:" in graph
    assert option_values(args, "-maxrate") == ["6M", "3M", "1500k", "800k"]
    assert option_values(args, "-bufsize") == ["12M", "6M", "3M", "1600k"]
    assert option_values(args, "-g") == ["60"] * 4 and option_values(args, "-sc_threshold") == ["0"] * 4
    assert option_values(args, "-movflags") == ["+faststart"] * 4
    assert option_values(args, "-map_metadata") == ["-1"] * 6
    assert option_values(args, "-c:a") == ["aac"] * 4 and option_values(args, "-ac") == ["2"] * 4
    assert [a for a in option_values(args, "-map") if not a.startswith("[")] == ["0:1"] * 4
    assert "thumbnail=n=20" in graph and "tile=layout=2x1" in graph  # 10 s: two tiles
    outputs = [a for a in args if a.startswith("file:") and a != f"file:{source}"]
    assert outputs == [f"file:{p}" for p in targets.values()]


def test_ladder_args_without_poster_or_audio(tmp_path: Path) -> None:
    info = hd_info(1280, 720, audio=False)
    ladder = ladder_for(info, Settings().video)
    targets = {rung.name: tmp_path / f"{rung.name}.mp4" for rung, _, _ in ladder}
    args = build_ladder_args(tmp_path / "in.mp4", info, ladder, targets, Settings())
    assert "split=3" in args[args.index("-filter_complex") + 1]
    assert args.count("-an") == 3 and "-c:a" not in args
    assert all(m.startswith("[") for m in option_values(args, "-map"))


def test_poster_at_picks_that_moment_instead_of_searching(tmp_path: Path) -> None:
    info = hd_info()
    ladder = ladder_for(info, Settings().video)[:1]
    targets = {"1080p": tmp_path / "a.mp4", "poster": tmp_path / "poster.jpg"}
    graph = build_ladder_args(tmp_path / "in.mp4", info, ladder, targets, Settings(), poster_at=3.5)
    graph = graph[graph.index("-filter_complex") + 1]
    assert "trim=start=3.500" in graph and "thumbnail" not in graph


def test_audio_args_map_the_default_audio_stream(tmp_path: Path) -> None:
    info = replace(hd_info(), streams=(StreamInfo(0, "video", "h264", True), StreamInfo(1, "audio", "aac"),
                                       StreamInfo(2, "audio", "mp3", True)))
    args = build_audio_args(tmp_path / "in.mov", info, tmp_path / "audio.m4a", Settings())
    assert option_values(args, "-map") == ["0:2"] and "+faststart" in args
    with pytest.raises(InputError, match="no audio stream"):
        build_audio_args(tmp_path / "in.mov", hd_info(audio=False), tmp_path / "a.m4a", Settings())


def test_sprite_layout_and_track() -> None:
    settings = Settings().video
    layout = sprite_layout(replace(hd_info(), duration=12.0), settings)
    assert (layout.count, layout.columns, layout.rows, layout.tile_width, layout.tile_height) == (3, 3, 1, 160, 90)
    vtt = thumbnails_vtt(layout, 12.0)
    assert vtt.splitlines()[:3] == ["WEBVTT", "", "00:00:00.000 --> 00:00:05.000"]
    assert "00:00:10.000 --> 00:00:12.000\nthumbnails.jpg#xywh=320,0,160,90" in vtt
    ten_hours = sprite_layout(replace(hd_info(), duration=36000.0), settings)
    assert ten_hours.rows * ten_hours.tile_height <= 65000
    assert ten_hours.count * ten_hours.interval == pytest.approx(36000, rel=0.01)


# --- WebVTT --------------------------------------------------------------------------------------

def test_srt_becomes_clean_webvtt(tmp_path: Path) -> None:
    srt = tmp_path / "subs.srt"
    srt.write_bytes(("\ufeff1\r\n00:00:00,000 --> 00:00:01,500\r\nHello <b>world</b> & friends\r\n"
                     "<script>alert(1)</script> {{ x }}\r\n\r\n"
                     "2\r\n00:00:01,500 --> 00:01:02,25 X1:10 Y1:20\r\n{\\an8}<font color=\"red\">Top</font> -->"
                     "\x07\r\n\r\n").encode("utf-8"))
    text = write_webvtt(srt, tmp_path / "captions.vtt").read_text(encoding="utf-8")
    assert text == ("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello <b>world</b> &amp; friends\n"
                    "&lt;script&gt;alert(1)&lt;/script&gt; {{ x }}\n\n"
                    "00:00:01.500 --> 00:01:02.250\nTop --&gt;\n")


def test_vtt_passes_with_its_styling_and_without_notes(tmp_path: Path) -> None:
    vtt = tmp_path / "in.vtt"
    vtt.write_text("WEBVTT - English\nKind: captions\n\nNOTE made by hand\n\nSTYLE\n::cue { color: red }\n\n"
                   "intro\n00:01.000 --> 00:02.000 align:start line:0 bogus:<x>\n<v Ann Lee>Hi &amp; bye</v> "
                   "<c.yellow>look</c> <I>now</I>\n\n", encoding="utf-8")
    text = write_webvtt(vtt, tmp_path / "captions.vtt").read_text(encoding="utf-8")
    assert text == ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000 align:start line:0\n"
                    "<v Ann Lee>Hi &amp; bye</v> <c.yellow>look</c> <i>now</i>\n")


def test_subtitles_in_a_legacy_encoding_are_read(tmp_path: Path) -> None:
    srt = tmp_path / "old.srt"
    srt.write_bytes("1\n00:00:00,000 --> 00:00:01,000\nCaf\u00e9 cr\u00e8me\n".encode("cp1252"))
    assert "Caf\u00e9 cr\u00e8me" in write_webvtt(srt, tmp_path / "c.vtt").read_text(encoding="utf-8")


@pytest.mark.parametrize("content,message", [
    ("1\n00:00:01,000 -> 00:00:02,000\nHi\n", r"bad\.srt: line 1: expected a cue timing"),
    ("1\n00:00:03,000 --> 00:00:02,000\nHi\n", r"bad\.srt: line 2: cue ends before it starts"),
    ("1\n00:00:xx,000 --> 00:00:02,000\nHi\n", r"bad\.srt: line 2: cannot read the cue timing"),
    ("", r"bad\.srt: no subtitle cues found"),
])
def test_broken_subtitles_name_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.srt").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        write_webvtt(tmp_path / "bad.srt", tmp_path / "c.vtt")
    assert not list(tmp_path.glob("c.vtt*"))


# --- real transcodes -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ff() -> FFmpeg:
    return locate_ffmpeg()


def transcode(folder: Path, ff: FFmpeg, name: str = "-clip:1.mp4", settings: Settings | None = None,
              out: str = "out", **item) -> tuple[Path, tuple]:
    source = folder / name
    info = probe_av(source)
    media = MediaItem(id="clip", file=Path(name), **item)
    renditions = transcode_video(media, info, folder, folder / out, settings or quick_settings(), ff)
    return folder / out, renditions


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> tuple[Path, tuple]:
    folder = tmp_path_factory.mktemp("story")
    make_video(folder / "-clip:1.mp4", seconds=2.0,
               extra=("-metadata", "title=Secret location", "-metadata", "location=+48.8566+002.3522/"))
    (folder / "clip.srt").write_text("1\n00:00:00,000 --> 00:00:01,500\nHello <b>world</b>\n", encoding="utf-8")
    return transcode(folder, ff, subtitles=Path("clip.srt"))


def top_level_boxes(path: Path) -> list[str]:
    data, boxes, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        boxes.append(kind.decode("latin-1"))
        at += size if size > 1 else len(data)
    return boxes


def test_renditions_are_listed_in_order_with_relative_paths(built: tuple[Path, tuple]) -> None:
    out, renditions = built
    assert [(r.name, r.role, r.content_type) for r in renditions] == [
        ("240p", "rendition", "video/mp4"), ("180p", "rendition", "video/mp4"), ("poster", "poster", "image/jpeg"),
        ("thumbnails", "thumbnails", "image/jpeg"), ("thumbnails-vtt", "thumbnails", "text/vtt"),
        ("captions", "captions", "text/vtt")]
    for rendition in renditions:
        assert rendition.path.parent == Path("media/clip") and not rendition.path.is_absolute()
        assert rendition.size_bytes == (out / rendition.path).stat().st_size > 0
    assert sorted(p.name for p in (out / "media" / "clip").iterdir()) == sorted(r.path.name for r in renditions)


@pytest.mark.parametrize("index,size", [(0, (320, 240)), (1, (240, 180))])
def test_each_rung_decodes_as_h264_aac_with_regular_keyframes(built: tuple[Path, tuple], index: int,
                                                              size: tuple[int, int]) -> None:
    out, renditions = built
    rendition = renditions[index]
    path = out / rendition.path
    assert (rendition.width, rendition.height) == size
    assert rendition.video_codec.startswith("avc1.64") and rendition.audio_codec == "mp4a.40.2"
    assert rendition.frame_rate == 25.0 and rendition.duration == pytest.approx(2.0, abs=0.1)
    assert rendition.bitrate == pytest.approx(rendition.size_bytes * 8 / rendition.duration, rel=0.01)
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt, video.profile) == ("h264", "yuv420p", "High")
        assert (audio.codec_context.name, audio.codec_context.sample_rate, audio.codec_context.channels) == (
            "aac", 48000, 2)
        assert "title" not in container.metadata and "location" not in container.metadata
        keyframes = [float(p.pts * p.time_base) for p in container.demux(video) if p.size and p.is_keyframe]
        assert keyframes == [0.0, 1.0]
        container.seek(0)
        frames = list(container.decode(video=0))
    assert len(frames) == 50 and {(f.width, f.height) for f in frames} == {size}
    assert {f.rotation for f in frames} == {0} and frames[0].colorspace == 1  # 1: BT.709
    steps = {round(float(b.pts - a.pts) * float(frames[0].time_base), 4) for a, b in pairwise(frames)}
    assert steps == {0.04}  # constant frame rate
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart
    assert b"Secret" not in path.read_bytes()


def test_poster_and_sprite_match_the_video(built: tuple[Path, tuple]) -> None:
    out, renditions = built
    poster, sprite, track, captions = renditions[2:]
    with Image.open(out / poster.path) as img:
        assert (img.format, img.size) == ("JPEG", (320, 240)) == ("JPEG", (poster.width, poster.height))
    with Image.open(out / sprite.path) as img:
        assert (img.format, img.size) == ("JPEG", (320, 60))
    cues = re.findall(r"(\S+) --> (\S+)\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)",
                      (out / track.path).read_text(encoding="utf-8"))
    assert [c[:3] for c in cues] == [("00:00:00.000", "00:00:00.500", "thumbnails.jpg"),
                                     ("00:00:00.500", "00:00:01.000", "thumbnails.jpg"),
                                     ("00:00:01.000", "00:00:01.500", "thumbnails.jpg"),
                                     ("00:00:01.500", "00:00:02.000", "thumbnails.jpg")]
    assert [tuple(map(int, c[3:])) for c in cues] == [(x, 0, 80, 60) for x in (0, 80, 160, 240)]
    assert (out / captions.path).read_text(encoding="utf-8").startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500")


def test_the_same_input_gives_the_same_bytes(built: tuple[Path, tuple], ff: FFmpeg) -> None:
    out, renditions = built
    again, renditions_again = transcode(out.parent, ff, out="again", subtitles=Path("clip.srt"))
    assert renditions_again == renditions
    for rendition in renditions:
        assert (again / rendition.path).read_bytes() == (out / rendition.path).read_bytes(), rendition.name


def test_a_rotated_source_comes_out_upright(tmp_path: Path, ff: FFmpeg) -> None:
    make_video(tmp_path / "flat.mp4", seconds=1.0, audio=False)
    run_ffmpeg("-display_rotation", "90", "-i", str(tmp_path / "flat.mp4"), "-c", "copy", str(tmp_path / "r.mp4"))
    out, renditions = transcode(tmp_path, ff, name="r.mp4")
    assert [(r.name, r.width, r.height) for r in renditions[:3]] == [
        ("240p", 240, 320), ("180p", 180, 240), ("poster", 240, 320)]
    with av.open(str(out / renditions[0].path)) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height, frame.rotation) == (240, 320, 0)


def test_a_small_source_gets_one_rendition_at_its_own_size(tmp_path: Path, ff: FFmpeg) -> None:
    make_video(tmp_path / "small.mp4", seconds=1.0, size=(160, 120), audio=False)
    out, renditions = transcode(tmp_path, ff, name="small.mp4")
    assert [(r.name, r.width, r.height) for r in renditions if r.role == "rendition"] == [("120p", 160, 120)]
    assert renditions[0].path == Path("media/clip/120p.mp4") and renditions[0].audio_codec is None
    with av.open(str(out / renditions[0].path)) as container:
        assert not container.streams.audio
    assert (renditions[1].name, renditions[1].width, renditions[1].height) == ("poster", 160, 120)


def test_the_poster_avoids_a_black_lead_in_unless_told_otherwise(tmp_path: Path, ff: FFmpeg) -> None:
    run_ffmpeg("-f", "lavfi", "-i", "color=black:size=320x240:rate=25:duration=1",
               "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
               "-filter_complex", "[0][1]concat=n=2:v=1:a=0", "-c:v", "libx264", "-preset", "ultrafast",
               "-pix_fmt", "yuv420p", str(tmp_path / "dark.mp4"))
    settings = quick_settings(ladder=SMALL_LADDER[1:])

    def brightness(out: Path, renditions: tuple) -> float:
        poster = next(r for r in renditions if r.name == "poster")
        with Image.open(out / poster.path) as img:
            return ImageStat.Stat(img.convert("L")).mean[0]

    assert brightness(*transcode(tmp_path, ff, name="dark.mp4", settings=settings, out="a")) > 60
    assert brightness(*transcode(tmp_path, ff, name="dark.mp4", settings=settings, out="b", poster_at=0.2)) < 20


def test_package_audio_writes_aac_stereo_m4a(tmp_path: Path, ff: FFmpeg) -> None:
    make_audio(tmp_path / "tone.wav", seconds=2.0)
    info = probe_av(tmp_path / "tone.wav")
    item = MediaItem(id="tone", file=Path("tone.wav"))
    (audio,) = package_audio(item, info, tmp_path, tmp_path / "out", quick_settings(), ff)
    assert (audio.name, audio.path, audio.content_type) == ("audio", Path("media/tone/audio.m4a"), "audio/mp4")
    assert audio.audio_codec == "mp4a.40.2" and audio.video_codec is None
    assert audio.duration == pytest.approx(2.0, abs=0.1)
    with av.open(str(tmp_path / "out" / audio.path)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.codec_context.sample_rate, stream.codec_context.channels) == (
            "aac", 48000, 2)
        assert not container.streams.video


def test_a_failed_run_leaves_no_partial_files(tmp_path: Path) -> None:
    make_video(tmp_path / "clip.mp4", seconds=1.0, audio=False)
    script = tmp_path / "bad-ffmpeg"
    script.write_text("#!/bin/sh\nfor a; do last=$a; done\n: > \"${last#file:}\"\n"
                      "echo '[error] Invalid data found when processing input' >&2\nexit 1\n", encoding="utf-8")
    script.chmod(0o755)
    with pytest.raises(BuildError, match=r"clip\.mp4: ffmpeg failed: Invalid data found"):
        transcode(tmp_path, FFmpeg(script, "fake"), name="clip.mp4")
    assert list((tmp_path / "out" / "media" / "clip").iterdir()) == []
