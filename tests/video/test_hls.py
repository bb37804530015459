"""HLS beside the MP4s: a built story's playlists and segments, read back by ffmpeg and by hand."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import FFMPEG, make_video, parse_headers, run_cli, write_story
from mediapack.video.hls import build_hls_args, segment_seconds
from mediapack.video.playlists import (
    MediaPlaylist,
    Segment,
    Variant,
    master_playlist,
    starting_order,
)

SLUG = "streams"
LADDER = '[video.ladder]\n180p = {height = 180, maxrate = "600k", bufsize = "1200k"}\n' \
         '120p = {height = 120, maxrate = "300k", bufsize = "600k"}\n'


def make_story(folder: Path, toml: str = "") -> Path:
    """A 13 s 320x180 clip with sound and subtitles, laddered into 180p and 120p."""
    make_video(folder / "clip.mp4", seconds=13.0, size=(320, 180))
    (folder / "clip.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHallo\n\n", encoding="utf-8")
    (folder / "mediapack.toml").write_text(LADDER + toml, encoding="utf-8")
    return write_story(folder, """
        headline: Streams
        published: 2026-06-20T09:30:00Z
        language: de
        media:
          - {id: clip, file: clip.mp4, caption: A clip, credit: Example, subtitles: clip.srt}
        """)


def build(story: Path, out: Path, *options: str) -> Path:
    proc = run_cli("build", str(story), "--out", str(out), *options)
    assert proc.returncode == 0, proc.stderr
    return out / SLUG


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The story built fresh into a folder whose name holds a '%' (a pattern character to ffmpeg's hls
    muxer), built fresh again elsewhere, and built a third time from the first build's cache."""
    base = tmp_path_factory.mktemp("hls")
    story = make_story(base / "story")
    return {"story": story, "fresh": build(story, base / "100%d out", "--cache", str(base / "cache")),
            "again": build(story, base / "again", "--no-cache"),
            "cached": build(story, base / "cached", "--cache", str(base / "cache"))}


def playlist(path: Path) -> tuple[int, list[tuple[float, str]]]:
    """Read a media playlist: its target duration and (EXTINF, URI) of each segment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    target = int(next(line for line in lines if line.startswith("#EXT-X-TARGETDURATION:")).split(":")[1])
    durations = [float(re.match(r"#EXTINF:([0-9.]+),", line).group(1)) for line in lines if line.startswith("#EXTINF")]
    uris = [line for line in lines if line and not line.startswith("#")]
    return target, list(zip(durations, uris, strict=True))


def stream_inf(master: str) -> list[dict[str, str]]:
    """Parse the attributes of each EXT-X-STREAM-INF (quoted values may hold commas)."""
    return [dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.partition(":")[2]))
            for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]


def avc_codec(init: Path) -> str:
    """Read the RFC 6381 string of an init segment's H.264 track from its avcC box, by hand."""
    data = init.read_bytes()
    at = data.index(b"avcC") + 4
    return "avc1." + data[at + 1:at + 4].hex()


def aac_codec(init: Path) -> str:
    """Read the RFC 6381 string of an init segment's AAC track from its esds box (ISO 14496-1), by hand."""
    data = init.read_bytes()

    def after_tag(at: int, tag: int) -> int:
        assert data[at] == tag
        at += 1
        while data[at] & 0x80:  # the length: 7 bits a byte, the high bit saying more follow
            at += 1
        return at + 1

    at = after_tag(data.index(b"esds") + 8, 0x03) + 3  # ES_Descriptor: ES_ID and flags (none set)
    at = after_tag(at, 0x04)  # DecoderConfigDescriptor: objectTypeIndication first
    object_type = data[at]
    at = after_tag(at + 13, 0x05)  # DecoderSpecificInfo: the AudioSpecificConfig, 5 bits of object type first
    return f"mp4a.{object_type:x}.{data[at] >> 3}"


def test_every_rung_and_the_sound_are_segmented_within_the_target_duration(built: dict[str, Path]) -> None:
    hls = built["fresh"] / "media" / "clip" / "hls"
    for name in ("180p", "120p", "audio"):
        target, segments = playlist(hls / f"{name}.m3u8")
        assert target == 6, name
        assert len(segments) == 3 and all(round(seconds) <= target for seconds, _ in segments), (name, segments)
        assert abs(sum(seconds for seconds, _ in segments) - 13.0) < 0.05, name
        assert all((hls / uri).is_file() and uri.endswith(".m4s") for _, uri in segments), name
        assert (hls / f"{name}-init.mp4").is_file()
    assert [seconds for seconds, _ in playlist(hls / "180p.m3u8")[1]] == [6.0, 6.0, 1.0]  # on the 2 s keyframes


def test_the_master_describes_the_real_streams(built: dict[str, Path]) -> None:
    hls = built["fresh"] / "media" / "clip" / "hls"
    master = (hls / "master.m3u8").read_text(encoding="utf-8")
    assert master.startswith("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
    assert ('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Deutsch",LANGUAGE="de",DEFAULT=YES,AUTOSELECT=YES,'
            'CHANNELS="2",URI="audio.m3u8"') in master
    assert 'TYPE=SUBTITLES,GROUP-ID="subtitles",NAME="Deutsch",LANGUAGE="de"' in master
    assert (hls / "captions.m3u8").read_text(encoding="utf-8").splitlines()[-2] == "../captions.vtt"
    variants = stream_inf(master)
    assert [v["RESOLUTION"] for v in variants] == ["320x180", "214x120"]
    assert aac_codec(hls / "audio-init.mp4") == "mp4a.40.2"
    for variant, rung in zip(variants, ("180p", "120p"), strict=True):
        assert variant["CODECS"] == f'"{avc_codec(hls / f"{rung}-init.mp4")},mp4a.40.2"'
        assert variant["FRAME-RATE"] == "25.000" and variant["AUDIO"] == '"audio"'
        assert variant["SUBTITLES"] == '"subtitles"' and variant["CLOSED-CAPTIONS"] == "NONE"
        # Peak over segments of the video plus the sound; never below the average.
        sizes = [(hls / uri).stat().st_size * 8 / seconds for name in (rung, "audio")
                 for seconds, uri in playlist(hls / f"{name}.m3u8")[1][:2]]
        assert int(variant["BANDWIDTH"]) >= int(variant["AVERAGE-BANDWIDTH"]) > max(sizes) / 2
    assert master.splitlines()[-1] == "120p.m3u8"


def test_ffmpeg_reads_the_master_back_with_only_the_file_protocol(built: dict[str, Path]) -> None:
    master = built["fresh"] / "media" / "clip" / "hls" / "master.m3u8"
    proc = subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-protocol_whitelist", "file", "-i", f"file:{master}",
                           "-map", "0", "-c", "copy", "-f", "null", "-"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", proc.stderr).groups()
    assert abs(int(hours) * 3600 + int(minutes) * 60 + float(seconds) - 13.0) < 0.05
    assert "Video: h264 (High)" in proc.stderr and "Audio: aac (LC)" in proc.stderr and "Subtitle: webvtt" in proc.stderr


def test_hls_is_reproducible_and_cached(built: dict[str, Path]) -> None:
    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    fresh = files(built["fresh"] / "media" / "clip" / "hls")
    assert len(fresh) == 3 * 5 + 2  # 180p, 120p, audio: playlist, init, 3 segments; captions, master
    assert files(built["again"] / "media" / "clip" / "hls") == fresh  # made again, elsewhere: the same bytes
    assert files(built["cached"] / "media" / "clip" / "hls") == fresh
    summary = run_cli("build", str(built["story"]), "--out", str(built["cached"].parent), "--force", "--json",
                      "--cache", str(built["fresh"].parent.parent / "cache"))
    assert json.loads(summary.stdout)["stories"][0]["built"] == 0  # nothing made, HLS included


def test_the_master_is_in_the_manifest_the_page_the_web_package_and_headers_not_the_downloads(
        built: dict[str, Path]) -> None:
    out = built["fresh"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    master = next(r for r in manifest["associations"][0]["renditions"] if r["name"] == "master")
    assert master["href"] == "media/clip/hls/master.m3u8" and master["contentType"] == "application/vnd.apple.mpegurl"
    assert (master["width"], master["height"]) == (320, 180)
    page = (out / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<source src="([^"]+)" type="([^"]+)"', page)  # the master first, for every screen
    assert sources[0] == ("media/clip/hls/master.m3u8", "application/vnd.apple.mpegurl")
    assert '<source src="media/clip/hls/master.m3u8" type="application/vnd.apple.mpegurl">' in page
    assert sources[1:] == [("media/clip/180p.mp4", "video/mp4"), ("media/clip/120p.mp4", "video/mp4")]
    downloads = re.search(r'<section class="mediapack-downloads".*?</section>', page, re.DOTALL).group(0)
    assert "180p.mp4" in downloads
    assert "m3u8" not in downloads and ".m4s" not in downloads
    assert "m3u8" not in (out / "embed.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(out / "packages" / f"{SLUG}-web.zip") as web:
        names = set(web.namelist())
    assert {"media/clip/hls/master.m3u8", "media/clip/hls/180p-init.mp4", "media/clip/hls/audio-00002.m4s"} <= names
    rules = parse_headers((out.parent / "_headers").read_text(encoding="utf-8"))
    assert rules[f"/{SLUG}/media/clip/hls/master.m3u8"]["Content-Type"] == "application/vnd.apple.mpegurl"
    assert rules[f"/{SLUG}/media/clip/hls/180p-00000.m4s"]["Content-Type"] == "video/iso.segment"
    assert rules[f"/{SLUG}/media/clip/hls/180p-init.mp4"]["Content-Type"] == "video/mp4"
    assert "Content-Disposition" not in rules[f"/{SLUG}/media/clip/hls/master.m3u8"]  # not a download


def test_hls_false_makes_none_and_changes_nothing_else(built: dict[str, Path], tmp_path: Path) -> None:
    story = make_story(tmp_path / "story", "[video]\nhls = false\n")
    # With the cache the story was built into with HLS on: switching it off re-encodes nothing.
    proc = run_cli("build", str(story), "--out", str(tmp_path / "out"), "--json", "--cache",
                   str(built["fresh"].parent.parent / "cache"))
    assert proc.returncode == 0 and json.loads(proc.stdout)["stories"][0]["built"] == 0, proc.stderr
    off, on = tmp_path / "out" / SLUG, built["again"]
    files = sorted(p.relative_to(off).as_posix() for p in off.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(on).as_posix() for p in on.rglob("*") if p.is_file() and "/hls/" not in
                           p.as_posix())
    for name in files:
        data = (off / name).read_bytes()
        if name.startswith("media/"):
            assert data == (on / name).read_bytes(), name  # the same ladder, posters, captions, byte for byte
        if name.endswith(".zip"):
            with zipfile.ZipFile(off / name) as package:
                assert not any("hls" in entry for entry in package.namelist())
        else:
            assert b"m3u8" not in data and b"mpegurl" not in data, name
    assert b"m3u8" not in (off.parent / "_headers").read_bytes()


def test_a_silent_video_gets_hls_without_an_audio_group(tmp_path: Path) -> None:
    story = tmp_path / "story"
    make_video(story / "clip.mp4", seconds=3.0, size=(160, 90), audio=False)
    write_story(story, """
        headline: Streams
        media:
          - {id: clip, file: clip.mp4, caption: Silent, credit: Example}
        """)
    hls = build(story, tmp_path / "out", "--no-cache") / "media" / "clip" / "hls"
    assert sorted(p.name for p in hls.iterdir()) == ["90p-00000.m4s", "90p-init.mp4", "90p.m3u8", "master.m3u8"]
    master = (hls / "master.m3u8").read_text(encoding="utf-8")
    assert "#EXT-X-MEDIA" not in master and "AUDIO=" not in master
    assert stream_inf(master)[0]["CODECS"] == f'"{avc_codec(hls / "90p-init.mp4")}"'


def test_the_subtitles_group_names_the_subtitles_language_as_the_page_track_does(tmp_path: Path) -> None:
    story = tmp_path / "story"
    make_video(story / "clip.mp4", seconds=3.0, size=(160, 90))
    (story / "clip.en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n\n", encoding="utf-8")
    write_story(story, """
        headline: Streams
        language: fa
        media:
          - {id: clip, file: clip.mp4, caption: A clip, credit: Example, subtitles: clip.en.srt}
        """)
    cache = str(tmp_path / "cache")

    def master_and_track(out: Path) -> tuple[str, str]:
        master = (out / "media" / "clip" / "hls" / "master.m3u8").read_text(encoding="utf-8")
        track = re.search(r"<track [^>]*>", (out / "index.html").read_text(encoding="utf-8")).group(0)
        return master, track

    master, track = master_and_track(build(story, tmp_path / "en", "--cache", cache))
    assert 'TYPE=SUBTITLES,GROUP-ID="subtitles",NAME="English",LANGUAGE="en"' in master
    assert 'srclang="en" label="English"' in track
    assert 'TYPE=AUDIO,GROUP-ID="audio",NAME="فارسی",LANGUAGE="fa"' in master  # the sound is the story's
    # The same video with the subtitles in the story's language: the cached HLS is not taken for it.
    (story / "clip.en.srt").rename(story / "clip.srt")
    (story / "story.md").write_text((story / "story.md").read_text(encoding="utf-8").replace("clip.en.srt", "clip.srt"),
                                    encoding="utf-8")
    master, track = master_and_track(build(story, tmp_path / "fa", "--cache", cache))
    assert 'TYPE=SUBTITLES,GROUP-ID="subtitles",NAME="فارسی",LANGUAGE="fa"' in master
    assert 'srclang="fa" label="فارسی"' in track


def test_an_hls_setting_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    story = make_story(tmp_path / "story", '[video]\nhls = "yes"\n')
    proc = run_cli("check", str(story))
    assert proc.returncode == 2 and "video.hls: must be true or false, not 'yes'" in proc.stderr


def test_a_rung_name_that_is_not_a_plain_file_name_is_refused(tmp_path: Path) -> None:
    story = make_story(tmp_path / "story")
    (story / "mediapack.toml").write_text('[video.ladder]\n"50%d" = {height = 180}\n"../up" = {height = 120}\n',
                                          encoding="utf-8")
    proc = run_cli("check", str(story))
    assert proc.returncode == 2, proc.stderr
    for name in ("50%d", "../up"):
        assert f"video.ladder.{name}: a rung's name may hold only letters, digits" in proc.stderr


@pytest.mark.parametrize(("keyframes", "segment"), [(2.0, 6.0), (1.5, 6.0), (2.5, 5.0), (4.0, 4.0), (8.0, 8.0),
                                                    (0.5, 6.0)])
def test_segments_are_whole_keyframe_intervals_up_to_six_seconds(keyframes: float, segment: float) -> None:
    assert segment_seconds(keyframes) == segment


def test_ffmpeg_copies_streams_and_reads_files_only() -> None:
    args = build_hls_args([("720p", Path("/o/-x.mp4"))], 6.0, "eng", audio=True)
    assert args[:6] == ["-protocol_whitelist", "file", "-f", "mov", "-i", "file:/o/-x.mp4"]
    assert args.count("-c") == 2 and all(args[i + 1] == "copy" for i, a in enumerate(args) if a == "-c")
    assert "720p-%05d.m4s" in args and args[-1] == "file:audio.m3u8"  # in the HLS folder, whatever its path


def _variant(name: str, height: int, sizes: list[int], seconds: list[float]) -> Variant:
    segments = tuple(Segment(f"{name}-{i}.m4s", s, size) for i, (size, s) in enumerate(zip(sizes, seconds,
                                                                                           strict=True)))
    return Variant(MediaPlaylist(f"{name}.m3u8", 6, segments), height * 16 // 9, height, 29.97, "avc1.64001f")


def test_peak_bandwidth_is_over_runs_of_half_to_one_and_a_half_target_durations() -> None:
    variant = _variant("720p", 720, [600_000, 900_000, 100_000], [6.0, 6.0, 1.0])
    assert variant.playlist.peak_bps() == 1_200_000  # the second segment; the 1 s tail alone is too short
    assert variant.playlist.average_bps() == 984_616  # ceil(1.6 MB * 8 / 13 s)
    short = _variant("360p", 360, [50_000], [2.0])
    assert short.playlist.peak_bps() == short.playlist.average_bps() == 200_000


def test_the_master_starts_with_the_rung_up_to_720_lines_then_the_others_highest_first() -> None:
    variants = [_variant(name, h, [100_000 * h // 360], [6.0]) for name, h in (("360p", 360), ("1080p", 1080),
                                                                            ("720p", 720))]
    order = [v.playlist.uri for v in starting_order(variants)]
    assert order == ["720p.m3u8", "1080p.m3u8", "360p.m3u8"]
    text = master_playlist(starting_order(variants), None, None)
    assert text.splitlines()[3] == ("#EXT-X-STREAM-INF:BANDWIDTH=266667,AVERAGE-BANDWIDTH=266667,"
                                    'CODECS="avc1.64001f",RESOLUTION=1280x720,FRAME-RATE=29.970,CLOSED-CAPTIONS=NONE')
    assert "AUDIO=" not in text and "SUBTITLES=" not in text  # a silent video without captions
