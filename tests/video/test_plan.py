"""Planning the video stage's one ffmpeg run, without running it: ladder, frame rate, sprite and argv."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from mediapack.errors import InputError
from mediapack.model import VIDEO, MediaInfo, StreamInfo
from mediapack.settings import Settings
from mediapack.video.ladder import thumbnails_vtt
from mediapack.video.plan import (
    build_audio_args,
    build_ladder_args,
    ladder_for,
    sprite_layout,
    target_fps,
)


def hd_info(width: int = 1920, height: int = 1080, audio: bool = True, name: str = "-odd:name.mp4",
            **fields) -> MediaInfo:
    streams = (StreamInfo(0, "video", "h264", True),) + ((StreamInfo(1, "audio", "aac", True),) if audio else ())
    info = MediaInfo(path=Path(name), kind=VIDEO, format="mov,mp4,m4a,3gp,3g2,mj2", width=width, height=height,
                     duration=10.0, video_codec="h264", audio_codec="aac" if audio else None,
                     frame_rate=30000 / 1001, streams=streams, audio_channels=2 if audio else 0,
                     color_transfer="bt709", color_primaries="bt709", color_space="bt709")
    return replace(info, **fields)


def option_values(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args) if arg == option]


def ladder_graph(info: MediaInfo, settings: Settings | None = None, **targets: Path) -> tuple[list[str], str]:
    """Return the argv for ``info``'s full ladder (plus ``targets``) and its filter graph."""
    settings = settings or Settings()
    ladder = ladder_for(info, settings.video)
    files = {rung.name: Path(f"/out/{rung.name}.mp4") for rung, _, _ in ladder}
    args = build_ladder_args(Path("/in/clip.mp4"), info, ladder, {**files, **targets}, settings)
    return args, args[args.index("-filter_complex") + 1]


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
    targets.update({"poster": tmp_path / "poster.jpg", "poster-webp": tmp_path / "poster.webp",
                    "thumbnails": tmp_path / "thumbnails.jpg"})
    args = build_ladder_args(source, info, ladder, targets, Settings())
    assert args[:6] == ["-f", "mov", "-protocol_whitelist", "file", "-i", f"file:{source}"]
    assert args.count("-i") == 1
    graph = args[args.index("-filter_complex") + 1]
    assert "fps=fps=30000/1001" in graph and "split=6" in graph  # four rungs, the posters, the sprite
    for size in ("1920:1080", "1280:720", "854:480", "640:360"):
        assert f"scale={size}:" in graph
    assert option_values(args, "-maxrate") == ["6M", "3M", "1500k", "800k"]
    assert option_values(args, "-bufsize") == ["12M", "6M", "3M", "1600k"]
    assert option_values(args, "-g") == ["60"] * 4 and option_values(args, "-sc_threshold") == ["0"] * 4
    assert option_values(args, "-threads") == ["1"] * 4  # one x264 thread each: reproducible bytes
    assert option_values(args, "-x264-params") == ["subme=1"]  # only the 1080p rung: the longest encode
    assert option_values(args, "-crf") == ["23.5", "23", "23", "23"]
    assert args.index("-x264-params") < args.index(f"file:{targets['1080p']}")
    assert option_values(args, "-movflags") == ["+faststart"] * 4
    assert option_values(args, "-map_metadata") == ["-1"] * 7
    assert option_values(args, "-c:a") == ["aac"] * 4 and option_values(args, "-ac") == ["2"] * 4
    # The default audio stream is decoded and mixed to stereo once, then shared by every rung.
    assert "[0:1]aformat=channel_layouts=stereo:sample_rates=48000" in graph and "asplit=4" in graph
    assert all(m.startswith("[") for m in option_values(args, "-map"))
    assert "thumbnail=n=10" in graph and "tile=layout=2x1" in graph  # 10 s: two tiles
    assert option_values(args, "-c:v") == ["libx264"] * 4 + ["mjpeg", "libwebp", "mjpeg"]
    outputs = [a for a in args if a.startswith("file:") and a != f"file:{source}"]
    assert outputs == [f"file:{p}" for p in targets.values()]


def test_the_cheaper_subpixel_search_is_for_1080_lines_at_veryfast_only() -> None:
    assert option_values(ladder_graph(hd_info(1280, 720), Settings())[0], "-x264-params") == []
    assert option_values(ladder_graph(hd_info(1080, 1920), Settings())[0], "-x264-params") == ["subme=1"]
    medium = replace(Settings(), video=replace(Settings().video, preset="medium"))
    args = ladder_graph(hd_info(), medium)[0]
    assert option_values(args, "-x264-params") == [] and option_values(args, "-crf") == ["23"] * 4


def test_more_x264_threads_go_to_the_larger_rungs() -> None:
    settings = replace(Settings(), ffmpeg=replace(Settings().ffmpeg, threads=4))
    assert option_values(ladder_graph(hd_info(), settings)[0], "-threads") == ["4", "2", "1", "1"]
    settings = replace(Settings(), ffmpeg=replace(Settings().ffmpeg, threads=0))  # 0: ffmpeg chooses
    assert "-threads" not in ladder_graph(hd_info(), settings)[0]


def test_ladder_args_without_poster_or_audio(tmp_path: Path) -> None:
    info = hd_info(1280, 720, audio=False)
    ladder = ladder_for(info, Settings().video)
    targets = {rung.name: tmp_path / f"{rung.name}.mp4" for rung, _, _ in ladder}
    args = build_ladder_args(tmp_path / "in.mp4", info, ladder, targets, Settings())
    graph = args[args.index("-filter_complex") + 1]
    assert "split=3" in graph and "aformat" not in graph
    assert args.count("-an") == 3 and "-c:a" not in args
    assert all(m.startswith("[") for m in option_values(args, "-map"))


def test_poster_at_picks_that_moment_instead_of_searching(tmp_path: Path) -> None:
    info = hd_info()
    ladder = ladder_for(info, Settings().video)[:1]
    targets = {"1080p": tmp_path / "a.mp4", "poster": tmp_path / "poster.jpg"}
    graph = build_ladder_args(tmp_path / "in.mp4", info, ladder, targets, Settings(), poster_at=3.5)
    graph = graph[graph.index("-filter_complex") + 1]
    assert "trim=start=3.500" in graph and "thumbnail" not in graph


def test_audio_args_mix_the_default_audio_stream_to_stereo(tmp_path: Path) -> None:
    info = replace(hd_info(), streams=(StreamInfo(0, "video", "h264", True), StreamInfo(1, "audio", "aac"),
                                       StreamInfo(2, "audio", "mp3", True)))
    args = build_audio_args(tmp_path / "in.mov", info, tmp_path / "audio.m4a", Settings())
    graph = args[args.index("-filter_complex") + 1]
    assert graph.startswith("[0:2]aformat=channel_layouts=stereo:sample_rates=48000")
    assert "+faststart" in args and "loudnorm" not in graph
    with pytest.raises(InputError, match="no audio stream"):
        build_audio_args(tmp_path / "in.mov", hd_info(audio=False), tmp_path / "a.m4a", Settings())


def test_mono_goes_to_both_ears_and_loudness_is_normalised_when_asked(tmp_path: Path) -> None:
    loud = replace(Settings(), video=replace(Settings().video, loudness=True, loudness_target=-14.0))
    args = build_audio_args(tmp_path / "in.wav", replace(hd_info(), audio_channels=1), tmp_path / "a.m4a", loud)
    graph = args[args.index("-filter_complex") + 1]
    assert graph.startswith("[0:1]channelmap=channel_layout=stereo:map=0-0|0-1[")
    assert "loudnorm=I=-14.0:LRA=11.0:TP=-1.5" in graph
    # loudnorm works at 192 kHz: the audio goes back to the output rate before the encoder.
    assert graph.rindex("aformat=channel_layouts=stereo:sample_rates=48000") > graph.index("loudnorm")
    _, ladder = ladder_graph(hd_info(), loud)
    assert ladder.count("loudnorm") == 1 and "asplit=4" in ladder  # normalised once for every rung


@pytest.mark.parametrize("average,expected", [
    (30000 / 1001, Fraction(30000, 1001)), (25.0, Fraction(25)), (24.0, Fraction(24)), (59.94, Fraction(60000, 1001)),
    (29.9, Fraction(30000, 1001)),  # a phone's variable rate just under 30: the common rate next to it
    (26.3, Fraction(30000, 1001)),  # frames dropped in low light: round up, so the smooth parts keep theirs
    (15.0, Fraction(15)), (7.5, Fraction(10)), (120.0, Fraction(60)),  # capped at max_fps by halving
    (None, Fraction(25)),
])
def test_output_frame_rate_is_constant_and_common(average: float | None, expected: Fraction) -> None:
    assert target_fps(hd_info(frame_rate=average), Settings().video) == expected


def test_max_fps_halves_a_high_rate_onto_a_common_one() -> None:
    video = replace(Settings().video, max_fps=30.0)
    assert target_fps(hd_info(frame_rate=59.94), video) == Fraction(30000, 1001)
    assert target_fps(hd_info(frame_rate=50.0), video) == Fraction(25)
    # Far over the cap: the highest common rate under it that drops frames evenly.
    assert target_fps(hd_info(frame_rate=1000.0), Settings().video) == Fraction(50)
    assert target_fps(hd_info(frame_rate=240.0), Settings().video) == Fraction(60)


def test_hdr_is_tone_mapped_once_at_the_top_rung_size() -> None:
    info = hd_info(3840, 2160, color_transfer="smpte2084", color_primaries="bt2020", color_space="bt2020nc")
    _, graph = ladder_graph(info, poster=Path("/out/poster.jpg"))
    head = graph[:graph.index("split=")]
    assert "zscale=filter=spline36:h=1080:min=bt2020nc:npl=100:pin=bt2020:t=linear:tin=smpte2084:w=1920" in head
    assert "tonemap=desat=0:tonemap=mobius" in head
    assert head.index("tonemap") < head.index("zscale=m=bt709:r=tv:t=bt709") < head.rindex("format=yuv420p")
    hlg = hd_info(color_transfer="arib-std-b67", color_primaries=None, color_space=None)
    _, graph = ladder_graph(hlg)
    assert "pin=bt2020" in graph and "min=bt2020nc" in graph and "tin=arib-std-b67" in graph  # untagged: BT.2020


def test_wide_gamut_sdr_is_converted_and_untagged_video_read_by_its_size() -> None:
    _, graph = ladder_graph(hd_info(color_transfer="bt2020-10", color_primaries="bt2020", color_space="bt2020nc"))
    assert "zscale=m=bt709:min=bt2020nc:p=bt709:pin=bt2020:r=tv:t=bt709:tin=bt2020-10" in graph
    assert "tonemap" not in graph
    untagged = {"color_transfer": None, "color_primaries": None, "color_space": None}
    assert "setparams=colorspace=bt709" in ladder_graph(hd_info(**untagged))[1]
    assert "setparams=colorspace=smpte170m" in ladder_graph(hd_info(720, 576, **untagged))[1]
    tagged = ladder_graph(hd_info())[1]
    assert "setparams=colorspace" not in tagged and "zscale" not in tagged
    # Every rung's frames say BT.709, so the encoder tags the file so.
    assert tagged.count("setparams=color_primaries=bt709:color_trc=bt709") == 4


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
