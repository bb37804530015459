"""probe_av: what PyAV sees in real files, and what it refuses to open."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import av
import pytest

from conftest import make_audio, make_photo, make_video, run_ffmpeg
from mediapack.errors import InputError
from mediapack.model import AUDIO, PHOTO, VIDEO, StreamInfo
from mediapack.probe import describe_file, main_stream_index, probe_av, probe_file


def test_probe_a_normal_clip(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "-clip:1.mp4", seconds=2.0)
    info = probe_av(clip)
    assert (info.kind, info.width, info.height, info.rotation) == (VIDEO, 320, 240, 0)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert (info.video_codec, info.audio_codec, info.frame_rate) == ("h264", "aac", 25.0)
    assert info.audio_channels == 1 and info.bit_depth == 8 and info.has_audio
    assert info.format.split(",")[0] == "mov" and info.size_bytes == clip.stat().st_size
    assert info.streams == (StreamInfo(0, "video", "h264", True), StreamInfo(1, "audio", "aac", True))
    assert main_stream_index(info, "video") == 0 and main_stream_index(info, "audio") == 1


def test_probe_applies_rotation_to_the_displayed_size(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0, audio=False)
    rotated = tmp_path / "rotated.mp4"
    run_ffmpeg("-display_rotation", "90", "-i", str(clip), "-c", "copy", str(rotated))
    info = probe_av(rotated)
    assert (info.width, info.height) == (240, 320)
    assert info.rotation == 270  # stored 90° counter-clockwise: turn 270° clockwise to stand upright


def test_probe_applies_the_pixel_aspect_ratio(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "anamorphic.mp4", seconds=1.0, audio=False, extra=("-vf", "setsar=2"))
    info = probe_av(clip)
    assert (info.width, info.height) == (640, 240) and not info.has_audio


def test_probe_an_audio_only_file(tmp_path: Path) -> None:
    info = probe_av(make_audio(tmp_path / "tone.m4a", seconds=2.0))
    assert (info.kind, info.audio_codec, info.audio_channels) == (AUDIO, "aac", 1)
    assert info.duration == pytest.approx(2.0, abs=0.1) and info.width == 0 and info.video_codec is None


def test_cover_art_does_not_make_an_audio_file_a_video(tmp_path: Path) -> None:
    tone = make_audio(tmp_path / "tone.wav", seconds=1.0)
    cover = make_photo(tmp_path / "cover.jpg", (64, 64))
    song = tmp_path / "song.mp3"
    run_ffmpeg("-i", str(tone), "-i", str(cover), "-map", "0", "-map", "1", "-c:v", "copy",
               "-disposition:v", "attached_pic", str(song))
    info = probe_av(song)
    assert info.kind == AUDIO
    assert [s.type for s in info.streams] == ["audio", "attachment"]


def test_a_text_file_is_not_media(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("These are my notes, not a video.\n" * 20, encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.mp4: not a media file ffmpeg can read"):
        probe_av(fake)


def _trap(path: Path) -> tuple[threading.Thread, list[bool]]:
    """Make ``path`` a FIFO whose writer notes whether anything opened it for reading."""
    os.mkfifo(path)
    opened: list[bool] = []

    def writer() -> None:
        with open(path, "wb"):  # blocks until a reader opens the FIFO
            opened.append(True)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    return thread, opened


def _spring(path: Path, thread: threading.Thread) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # release the writer
    thread.join(timeout=10)
    os.close(fd)


@pytest.mark.parametrize("name,script", [
    ("playlist.mp4", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nsecret.ts\n#EXT-X-ENDLIST\n"),
    ("playlist.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nsecret.ts\n#EXT-X-ENDLIST\n"),
    ("script.mp4", "ffconcat version 1.0\nfile secret.ts\n"),
])
def test_playlists_and_concat_scripts_are_refused_unopened(tmp_path: Path, name: str, script: str) -> None:
    secret = tmp_path / "secret.ts"
    thread, opened = _trap(secret)
    (tmp_path / name).write_text(script, encoding="utf-8")
    try:
        with pytest.raises(InputError) as caught:
            probe_av(tmp_path / name)
        assert not opened, "the referenced file was opened"
    finally:
        _spring(secret, thread)
    assert caught.value.message == (f"{tmp_path / name}: not a media file ffmpeg can read safely "
                                    "(playlist/concat script)")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.mp4: empty file"):
        probe_av(tmp_path / "empty.mp4")


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0)
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) // 2])  # the moov box sits at the end: it is gone
    with pytest.raises(InputError) as caught:
        probe_av(clip)
    assert caught.value.message.startswith(f"{clip}: ") and "\n" not in caught.value.message


def test_a_file_whose_frames_are_garbage_is_refused(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0, audio=False, extra=("-movflags", "+faststart"))
    data = bytearray(clip.read_bytes())
    mdat = data.index(b"mdat") + 4
    data[mdat:] = bytes(len(data) - mdat)  # headers intact, every frame zeroed
    clip.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"clip\.mp4: .*(decode|truncated)"):
        probe_av(clip)


def test_probe_file_routes_photos_to_pillow_and_the_rest_to_pyav(tmp_path: Path) -> None:
    photo = probe_file(make_photo(tmp_path / "p.jpg", (120, 80)))
    assert (photo.kind, photo.width, photo.height) == (PHOTO, 120, 80)
    assert probe_file(make_video(tmp_path / "v.mp4", seconds=1.0, audio=False)).kind == VIDEO
    with pytest.raises(InputError, match=r"nope\.mp4: file not found"):
        probe_file(tmp_path / "nope.mp4")


def test_describe_file_is_json_ready(tmp_path: Path) -> None:
    found = describe_file(make_video(tmp_path / "v.mp4", seconds=1.0, size=(160, 120)))
    assert found["file"] == str(tmp_path / "v.mp4") and found["kind"] == "video"
    assert (found["width"], found["height"]) == (160, 120)
    assert found["streams"][0] == {"index": 0, "type": "video", "codec": "h264", "default": True}


def test_probe_reads_colour_and_bit_depth(tmp_path: Path) -> None:
    sdr = probe_av(make_video(tmp_path / "sdr.mp4", seconds=1.0, audio=False,
                              extra=("-vf", "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709")))
    assert (sdr.color_transfer, sdr.color_primaries, sdr.color_space, sdr.bit_depth, sdr.is_hdr) == (
        "bt709", "bt709", "bt709", 8, False)
    untagged = probe_av(make_video(tmp_path / "plain.mp4", seconds=1.0, audio=False))
    assert (untagged.color_transfer, untagged.color_primaries, untagged.color_space) == (None, None, None)
    hlg = probe_av(make_video(tmp_path / "hlg.mp4", seconds=1.0, audio=False,
                              extra=("-vf", "setparams=colorspace=bt2020nc:color_primaries=bt2020:color_trc=arib-std-b67",
                                     "-pix_fmt", "yuv420p10le", "-profile:v", "high10")))
    assert (hlg.color_transfer, hlg.color_primaries, hlg.color_space, hlg.bit_depth, hlg.is_hdr) == (
        "arib-std-b67", "bt2020", "bt2020nc", 10, True)


def remux_with_empty_stream(source: Path, dest: Path, empty: str) -> Path:
    """Copy ``source`` into Matroska and add a ``empty`` ("audio" or "video") stream with no packets."""
    with av.open(str(source)) as inp, av.open(str(dest), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        if empty == "audio":
            out.add_stream("aac", rate=48000)
        else:
            empty_video = out.add_stream("libx264", rate=25)
            empty_video.width, empty_video.height = 320, 240
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    return dest


def test_an_empty_audio_stream_is_refused(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0, audio=False)
    broken = remux_with_empty_stream(clip, tmp_path / "-silent:track.mkv", "audio")
    with pytest.raises(InputError) as caught:
        probe_av(broken)
    assert caught.value.message == (f"{broken}: audio stream #1 is empty or corrupt: no frame could be decoded")


def test_an_empty_video_stream_is_refused(tmp_path: Path) -> None:
    tone = make_audio(tmp_path / "tone.m4a", seconds=1.0)
    broken = remux_with_empty_stream(tone, tmp_path / "no-picture.mkv", "video")
    with pytest.raises(InputError) as caught:
        probe_av(broken)
    assert caught.value.message == f"{broken}: no frame could be decoded (truncated or corrupt video)"


def test_a_still_in_a_video_container_is_never_published_as_video(tmp_path: Path) -> None:
    from conftest import run_cli, write_story

    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "1", "-c:v", "mjpeg",
               str(tmp_path / "still.mov"))
    assert probe_file(tmp_path / "still.mov").still
    write_story(tmp_path, "headline: Still\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                          "  - {id: s, file: still.mov, caption: c, credit: d}\n")
    for command in ("check", "build"):
        proc = run_cli(command, str(tmp_path), *(("--out", str(tmp_path / "out")) if command == "build" else ()))
        assert proc.returncode == 1
        assert proc.stderr.strip() == (f"error: media[s]: {tmp_path / 'still.mov'}: holds one still picture (mjpeg), "
                                       "not a video; a still is published as a photo: save it as JPEG, PNG, WebP "
                                       "or HEIC")


def test_one_picture_with_a_sound_track_is_audio(tmp_path: Path) -> None:
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "1", "-c:v", "libx264",
               str(tmp_path / "picture.mp4"))
    run_ffmpeg("-f", "lavfi", "-i", "sine=duration=3", "-c:a", "aac", str(tmp_path / "sound.m4a"))
    run_ffmpeg("-i", str(tmp_path / "picture.mp4"), "-i", str(tmp_path / "sound.m4a"), "-c", "copy",
               str(tmp_path / "card.mp4"))
    info = probe_file(tmp_path / "card.mp4")
    assert info.kind == AUDIO and info.duration == pytest.approx(3.0, abs=0.1)
