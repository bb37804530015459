"""The video stage on real tiny clips: every kind of source, measured the way a viewer would see it."""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageStat

from conftest import FFMPEG, difference, make_audio, make_photo, make_video, run_ffmpeg
from mediapack.config import load_settings
from mediapack.errors import BuildError, ConfigError, InputError
from mediapack.ffmpeg import FFmpeg
from mediapack.model import MediaItem
from mediapack.probe import probe_av
from mediapack.settings import Settings, VideoRung
from mediapack.video.ladder import package_audio, transcode_video

SMALL_LADDER = (VideoRung("240p", 240, "1M", "2M"), VideoRung("180p", 180, "500k", "1M"))


def quick_settings(**video) -> Settings:
    """Settings for tiny clips: two small rungs, 1 s keyframes, four 80 px thumbnails per 2 s."""
    base = Settings()
    options = {"ladder": SMALL_LADDER, "keyframe_seconds": 1.0, "thumbnail_interval": 0.5,
               "thumbnail_width": 80, **video}
    return replace(base, video=replace(base.video, **options))


def first_picture(path: Path) -> Image.Image:
    """The first frame of a video file as the RGB picture a player would show."""
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_image()


def reference_picture(folder: Path, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """The first frame of the test pattern every generated clip starts from, in square pixels."""
    run_ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate=25", "-frames:v", "1",
               str(folder / "reference.png"))
    return Image.open(folder / "reference.png").convert("RGB")


def sound(path: Path) -> tuple[str, int, np.ndarray]:
    """The layout, sample rate and samples (channels x samples) of a file's first audio stream."""
    with av.open(str(path)) as container:
        assert len(container.streams.audio) == 1
        stream = container.streams.audio[0]
        samples = np.concatenate([f.to_ndarray() for f in container.decode(stream)], axis=1)
        return stream.codec_context.layout.name, stream.codec_context.sample_rate, samples


def rms(samples: np.ndarray) -> list[float]:
    return [float(x) for x in np.sqrt((samples.astype(np.float64) ** 2).mean(axis=1))]


def loudness(path: Path) -> float:
    """Integrated loudness in LUFS, as the EBU R128 meter in ffmpeg reports it."""
    proc = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
                           "-af", "ebur128", "-f", "null", "-"], check=True, capture_output=True, text=True, timeout=120)
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", proc.stderr)[-1])


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
        ("poster-webp", "poster", "image/webp"), ("thumbnails", "thumbnails", "image/jpeg"),
        ("thumbnails-vtt", "thumbnails", "text/vtt"), ("captions", "captions", "text/vtt")]
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
    assert {f.rotation for f in frames} == {0}
    assert (frames[0].colorspace, frames[0].color_primaries, frames[0].color_trc) == (1, 1, 1)  # all BT.709
    steps = {round(float(b.pts - a.pts) * float(frames[0].time_base), 4) for a, b in pairwise(frames)}
    assert steps == {0.04}  # constant frame rate
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart
    assert b"Secret" not in path.read_bytes()


def test_poster_and_sprite_match_the_video(built: tuple[Path, tuple]) -> None:
    out, renditions = built
    poster, webp, sprite, track, captions = renditions[2:]
    with Image.open(out / poster.path) as img, Image.open(out / webp.path) as other:
        assert (img.format, img.size) == ("JPEG", (320, 240)) == ("JPEG", (poster.width, poster.height))
        assert (other.format, other.size) == ("WEBP", (320, 240)) == ("WEBP", (webp.width, webp.height))
        assert difference(img, other) < 6  # the same frame in both formats
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
    script.write_text("#!/bin/sh\nfor a; do last=$a; done\ncase $last in file:*) ;; *) exit 0;; esac\n"
                      ": > \"${last#file:}\"\necho '[error] Invalid data found when processing input' >&2\n"
                      "exit 1\n", encoding="utf-8")
    script.chmod(0o755)
    with pytest.raises(BuildError, match=r"clip\.mp4: ffmpeg failed: Invalid data found"):
        transcode(tmp_path, FFmpeg(script, "fake"), name="clip.mp4")
    assert list((tmp_path / "out" / "media" / "clip").iterdir()) == []


# --- every real-world source ---------------------------------------------------------------------

def tone_clip(path: Path, audio_filter: str, seconds: float = 1.0) -> Path:
    """A test-pattern clip whose audio is a 440 Hz tone passed through ``audio_filter``."""
    run_ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
               "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
               "-filter_complex", f"[1:a]{audio_filter}[a]", "-map", "0:v", "-map", "[a]",
               "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "192k", str(path))
    return path


@pytest.mark.parametrize("layout", ["mono", "5.1"])
def test_mono_and_5_1_are_heard_in_both_ears(tmp_path: Path, ff: FFmpeg, layout: str) -> None:
    # Mono: the tone is the only channel. 5.1: the tone is on the centre channel only, as dialogue is.
    tone_clip(tmp_path / "in.mp4", "aformat=channel_layouts=mono" if layout == "mono" else "pan=5.1|FC=c0")
    source_level = max(rms(sound(tmp_path / "in.mp4")[2]))
    out, renditions = transcode(tmp_path, ff, name="in.mp4")
    for rendition in renditions[:2]:
        channels, rate, samples = sound(out / rendition.path)
        left, right = rms(samples)
        assert (channels, rate) == ("stereo", 48000) and left == pytest.approx(right, rel=0.01)
        # Mono plays at its own level in each ear; the centre channel is mixed in at -3 dB, as players do.
        expected = source_level if layout == "mono" else source_level / 2 ** 0.5
        assert left == pytest.approx(expected, rel=0.1)


def test_of_several_audio_tracks_the_default_one_is_kept(tmp_path: Path, ff: FFmpeg) -> None:
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1",
               "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo",
               "-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000:duration=1",
               "-map", "0:v", "-map", "1:a", "-map", "2:a", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast",
               "-c:a", "aac", "-disposition:a:0", "0", "-disposition:a:1", "default", str(tmp_path / "two.mp4"))
    out, renditions = transcode(tmp_path, ff, name="two.mp4")
    _, _, samples = sound(out / renditions[0].path)  # one audio stream, and it is the tone, not the silence
    assert min(rms(samples)) > 0.05


def test_variable_frame_rate_becomes_constant(tmp_path: Path, ff: FFmpeg) -> None:
    # 1.5 s at 30 fps, then 0.5 s at 15 fps: an average of 26.25 fps, like a phone in falling light.
    run_ffmpeg("-filter_complex", "testsrc2=size=320x240:rate=30:duration=1.5[a];"
               "testsrc2=size=320x240:rate=15:duration=0.5[b];[a][b]concat=n=2:v=1:a=0[v]",
               "-map", "[v]", "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", str(tmp_path / "vfr.mp4"))
    out, renditions = transcode(tmp_path, ff, name="vfr.mp4")
    assert renditions[0].frame_rate == pytest.approx(30000 / 1001)
    assert renditions[0].duration == pytest.approx(2.03, abs=0.05)
    with av.open(str(out / renditions[0].path)) as container:
        frames = list(container.decode(video=0))
    steps = {round(float(b.pts - a.pts) * float(frames[0].time_base), 4) for a, b in pairwise(frames)}
    assert steps == {0.0334} and len(frames) == pytest.approx(61, abs=1)  # no 30 fps frame was dropped


def test_non_square_pixels_are_shown_at_their_displayed_shape(tmp_path: Path, ff: FFmpeg) -> None:
    # The 320x240 pattern stored squeezed into 160x240 pixels that are twice as wide as tall.
    make_video(tmp_path / "wide.mp4", seconds=1.0, audio=False, extra=("-vf", "scale=160:240,setsar=2"))
    out, renditions = transcode(tmp_path, ff, name="wide.mp4", poster_at=0.0)  # the poster is frame 0 too
    assert [(r.name, r.width, r.height) for r in renditions[:3]] == [
        ("240p", 320, 240), ("180p", 240, 180), ("poster", 320, 240)]
    with av.open(str(out / renditions[0].path)) as container:
        assert container.streams.video[0].sample_aspect_ratio in (None, 1)
    reference = reference_picture(tmp_path)
    assert difference(first_picture(out / renditions[0].path), reference) < 12
    assert difference(Image.open(out / renditions[2].path), reference) < 12


def test_odd_dimensions_become_even(tmp_path: Path, ff: FFmpeg) -> None:
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=size=321x241:rate=25:duration=1", "-c:v", "libx264",
               "-preset", "ultrafast", "-pix_fmt", "yuv444p", str(tmp_path / "odd.mp4"))
    out, renditions = transcode(tmp_path, ff, name="odd.mp4")
    assert [(r.width, r.height) for r in renditions[:2]] == [(320, 240), (240, 180)]
    with av.open(str(out / renditions[0].path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 25


def test_a_clip_under_one_second_gets_everything(tmp_path: Path, ff: FFmpeg) -> None:
    make_video(tmp_path / "blink.mp4", seconds=0.3)
    out, renditions = transcode(tmp_path, ff, name="blink.mp4")
    assert [r.name for r in renditions] == ["240p", "180p", "poster", "poster-webp", "thumbnails", "thumbnails-vtt"]
    assert renditions[0].duration == pytest.approx(0.3, abs=0.05) and renditions[0].audio_codec == "mp4a.40.2"
    with av.open(str(out / renditions[0].path)) as container:
        assert sum(1 for _ in container.decode(video=0)) in (7, 8)
    with Image.open(out / renditions[4].path) as sprite:
        assert sprite.size == (80, 60)  # one tile
    track = (out / renditions[5].path).read_text(encoding="utf-8")
    assert track.count("#xywh=") == 1 and "00:00:00.000 --> 00:00:00.300" in track


def hdr_clip(path: Path, transfer: str) -> Path:
    """The test pattern as HDR video: 10-bit HEVC in BT.2020, SDR white at 203 nits (BT.2408)."""
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1",
               "-vf", f"zscale=tin=bt709:min=bt709:pin=bt709:t={transfer}:m=bt2020nc:p=bt2020:npl=203,"
               "format=yuv420p10le", "-c:v", "libx265", "-x265-params", "log-level=error", "-preset", "ultrafast",
               "-color_primaries", "bt2020", "-color_trc", transfer, "-colorspace", "bt2020nc", str(path))
    return path


@pytest.mark.parametrize("transfer", ["smpte2084", "arib-std-b67"])
def test_hdr_is_tone_mapped_to_8_bit_sdr(tmp_path: Path, ff: FFmpeg, transfer: str) -> None:
    source = hdr_clip(tmp_path / "hdr.mp4", transfer)
    assert probe_av(source).is_hdr
    out, renditions = transcode(tmp_path, ff, name="hdr.mp4", poster_at=0.0)
    with av.open(str(out / renditions[0].path)) as container:
        stream = container.streams.video[0]
        frame = next(container.decode(stream))
        assert (stream.profile, frame.format.name) == ("High", "yuv420p")
        assert (frame.color_trc, frame.color_primaries, frame.colorspace) == (1, 1, 1)  # BT.709 throughout
    reference = reference_picture(tmp_path)
    # Shown as SDR the picture looks like the original pattern, not the grey wash of HDR read as SDR.
    assert difference(first_picture(source), reference) > 60
    assert difference(frame.to_image(), reference) < 35
    with Image.open(out / renditions[2].path) as poster:
        assert difference(poster, reference) < 35


def test_10_bit_sdr_comes_out_8_bit(tmp_path: Path, ff: FFmpeg) -> None:
    make_video(tmp_path / "deep.mp4", seconds=1.0, audio=False,
               extra=("-pix_fmt", "yuv420p10le", "-profile:v", "high10"))
    assert probe_av(tmp_path / "deep.mp4").bit_depth == 10
    out, renditions = transcode(tmp_path, ff, name="deep.mp4")
    with av.open(str(out / renditions[0].path)) as container:
        assert (container.streams.video[0].profile, container.streams.video[0].codec_context.pix_fmt) == (
            "High", "yuv420p")
    assert difference(first_picture(out / renditions[0].path), reference_picture(tmp_path)) < 12


def test_audio_only_files_are_packaged_as_m4a_without_a_ladder(tmp_path: Path, ff: FFmpeg) -> None:
    run_ffmpeg("-i", str(make_audio(tmp_path / "tone.wav", seconds=1.0)),
               "-i", str(make_photo(tmp_path / "cover.jpg", (64, 64))), "-map", "0", "-map", "1",
               "-c:v", "copy", "-disposition:v", "attached_pic", str(tmp_path / "song.mp3"))
    info = probe_av(tmp_path / "song.mp3")
    with pytest.raises(InputError, match=r"song\.mp3: not a video"):
        transcode_video(MediaItem(id="song", file=Path("song.mp3")), info, tmp_path, tmp_path / "out",
                        quick_settings(), ff)
    (audio,) = package_audio(MediaItem(id="song", file=Path("song.mp3")), info, tmp_path, tmp_path / "out",
                             quick_settings(), ff)
    assert [p.name for p in (tmp_path / "out" / "media" / "song").iterdir()] == ["audio.m4a"]
    assert (audio.content_type, audio.video_codec, audio.audio_codec) == ("audio/mp4", None, "mp4a.40.2")
    with av.open(str(tmp_path / "out" / audio.path)) as container:
        assert not container.streams.video  # the cover art is not a video
    channels, rate, samples = sound(tmp_path / "out" / audio.path)
    assert (channels, rate) == ("stereo", 48000) and min(rms(samples)) > 0.05


# --- loudness ------------------------------------------------------------------------------------

def test_loudness_is_normalised_to_the_configured_target(tmp_path: Path, ff: FFmpeg) -> None:
    tone_clip(tmp_path / "quiet.mp4", "aformat=channel_layouts=stereo,volume=-20dB", seconds=4.0)
    before = loudness(tmp_path / "quiet.mp4")
    (tmp_path / "mediapack.toml").write_text("[video]\nloudness = true\nloudness_target = -14\n", encoding="utf-8")
    settings = load_settings(tmp_path)
    settings = replace(settings, video=replace(settings.video, ladder=SMALL_LADDER[1:]))
    out, renditions = transcode(tmp_path, ff, name="quiet.mp4", settings=settings)
    assert before < -30 and loudness(out / renditions[0].path) == pytest.approx(-14.0, abs=1.0)
    # Off by default: the source's own level comes through.
    out, renditions = transcode(tmp_path, ff, name="quiet.mp4", settings=quick_settings(ladder=SMALL_LADDER[1:]),
                                out="plain")
    assert loudness(out / renditions[0].path) == pytest.approx(before, abs=1.0)


def test_a_loudness_target_out_of_range_is_a_config_problem(tmp_path: Path) -> None:
    (tmp_path / "mediapack.toml").write_text("[video]\nloudness_target = -80\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert [(p.key, p.message) for p in caught.value.problems] == [
        ("video.loudness_target", "must be from -70 to -5 LUFS, not -80")]


# --- progress and cancelling ---------------------------------------------------------------------

def test_progress_is_reported_until_done(tmp_path: Path, ff: FFmpeg) -> None:
    make_video(tmp_path / "clip.mp4", seconds=2.0)
    seen: list[float] = []
    transcode_video(MediaItem(id="clip", file=Path("clip.mp4")), probe_av(tmp_path / "clip.mp4"), tmp_path,
                    tmp_path / "out", quick_settings(), ff, on_progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)


def test_a_cancelled_encode_leaves_no_partial_file(tmp_path: Path, ff: FFmpeg) -> None:
    make_video(tmp_path / "clip.mp4", seconds=2.0)

    def cancel(_fraction: float) -> None:
        raise KeyboardInterrupt  # what Ctrl-C does while the progress bar updates

    with pytest.raises(KeyboardInterrupt):
        transcode_video(MediaItem(id="clip", file=Path("clip.mp4")), probe_av(tmp_path / "clip.mp4"), tmp_path,
                        tmp_path / "out", quick_settings(), ff, on_progress=cancel)
    assert list((tmp_path / "out" / "media" / "clip").iterdir()) == []


def x264_options(path: Path) -> dict[str, str]:
    """Return the encoder options x264 records in the stream's SEI (``subme=1 crf=23.5 ...``)."""
    text = path.read_bytes().split(b"x264 - core", 1)[1].split(b"\x00", 1)[0].decode("ascii", "replace")
    return dict(part.split("=", 1) for part in text.split() if "=" in part)


def test_a_1080p_top_rung_uses_the_cheaper_subpixel_search_and_decodes(tmp_path: Path, ff: FFmpeg) -> None:
    make_video(tmp_path / "hd.mp4", seconds=0.4, size=(1920, 1080), audio=False)
    settings = replace(Settings(), video=replace(Settings().video, ladder=Settings().video.ladder[:2]))
    out, renditions = transcode(tmp_path, ff, name="hd.mp4", settings=settings)
    assert [(r.name, r.width, r.height) for r in renditions[:2]] == [("1080p", 1920, 1080), ("720p", 1280, 720)]
    with av.open(str(out / renditions[0].path)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 10 and (frames[0].width, frames[0].height) == (1920, 1080)
    top, lower = (x264_options(out / r.path) for r in renditions[:2])
    assert (top["subme"], float(top["crf"])) == ("1", 23.5)
    assert (lower["subme"], float(lower["crf"])) == ("2", 23.0)
