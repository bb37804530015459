"""HLS playlists: read the media playlists ffmpeg writes, measure their bit rates, write the master playlist.

The master is written here, not by ffmpeg, so that every attribute comes from the streams themselves
(RFC 8216 section 4.3.4.2, and Apple's HLS authoring specification): BANDWIDTH is the peak segment bit
rate of the variant plus its audio, AVERAGE-BANDWIDTH the mean, CODECS the RFC 6381 strings probed
from the rungs, and the text depends on nothing but the files (no version, date or path in it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VERSION = 7  # as ffmpeg writes in the fMP4 media playlists (EXT-X-MAP without I-frames-only needs at least 6)
_EXTINF = re.compile(r"#EXTINF:([0-9.]+)")
_UNSAFE = re.compile(r'["\x00-\x1f\x7f]')  # a quoted-string may not hold a quote or a line break


@dataclass(frozen=True)
class Segment:
    """One media segment: its URI (relative to its playlist), duration in seconds and size in bytes."""

    uri: str
    duration: float
    size_bytes: int


@dataclass(frozen=True)
class MediaPlaylist:
    """A media playlist ffmpeg wrote, with the sizes of its segments."""

    uri: str  # relative to the master
    target_duration: int
    segments: tuple[Segment, ...]

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)

    def average_bps(self) -> int:
        """Return the mean bit rate of the segments (RFC 8216: AVERAGE-BANDWIDTH)."""
        return math.ceil(sum(s.size_bytes for s in self.segments) * 8 / self.duration) if self.duration else 0

    def peak_bps(self) -> int:
        """Return the peak segment bit rate: the highest over any run of segments lasting 0.5 to 1.5 times
        the target duration (RFC 8216 section 4.3.4.2); the whole playlist when it is shorter than that."""
        low, high = 0.5 * self.target_duration, 1.5 * self.target_duration
        peak = 0.0
        for start in range(len(self.segments)):
            size = seconds = 0.0
            for segment in self.segments[start:]:
                size, seconds = size + segment.size_bytes, seconds + segment.duration
                if seconds > high:
                    break
                if seconds >= low:
                    peak = max(peak, size * 8 / seconds)
        return math.ceil(peak) if peak else self.average_bps()


@dataclass(frozen=True)
class Variant:
    """One rung as a variant stream: its video-only media playlist and what its stream is."""

    playlist: MediaPlaylist
    width: int
    height: int
    frame_rate: float | None
    codec: str  # e.g. "avc1.640028"


@dataclass(frozen=True)
class Alternative:
    """An audio or subtitles rendition of the master: its playlist and language."""

    uri: str
    language: str  # BCP 47, as the story says
    name: str  # shown in the player's menu, e.g. "English"
    playlist: MediaPlaylist | None = None  # audio: measured, for the variants' bandwidth
    codec: str = ""  # audio: e.g. "mp4a.40.2"


def read_media_playlist(path: Path, uri: str) -> MediaPlaylist:
    """Read a media playlist and the sizes of the segments beside it."""
    target, segments, duration = 0, [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target = int(line.partition(":")[2])
        elif match := _EXTINF.match(line):
            duration = float(match.group(1))
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(line, duration, (path.parent / line).stat().st_size))
            duration = None
    return MediaPlaylist(uri, target, tuple(segments))


def subtitles_playlist(vtt_uri: str, duration: float) -> str:
    """Return a media playlist holding the whole WebVTT file as its one segment."""
    return (f"#EXTM3U\n#EXT-X-VERSION:{VERSION}\n#EXT-X-TARGETDURATION:{max(1, math.ceil(duration))}\n"
            f"#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:{duration:.3f},\n{vtt_uri}\n#EXT-X-ENDLIST\n")


def master_playlist(variants: Sequence[Variant], audio: Alternative | None, subtitles: Alternative | None) -> str:
    """Return the master playlist: the audio and subtitles groups, then one EXT-X-STREAM-INF per variant."""
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if audio is not None:
        lines.append(f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="{_quoted(audio.name)}",'
                     f'LANGUAGE="{audio.language}",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="{audio.uri}"')
    if subtitles is not None:
        lines.append(f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subtitles",NAME="{_quoted(subtitles.name)}",'
                     f'LANGUAGE="{subtitles.language}",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="{subtitles.uri}"')
    for variant in variants:
        peak, average = variant.playlist.peak_bps(), variant.playlist.average_bps()
        codecs = [variant.codec]
        if audio is not None and audio.playlist is not None:
            peak, average = peak + audio.playlist.peak_bps(), average + audio.playlist.average_bps()
            codecs.append(audio.codec)
        attributes = [f"BANDWIDTH={peak}", f"AVERAGE-BANDWIDTH={average}", f'CODECS="{",".join(codecs)}"',
                      f"RESOLUTION={variant.width}x{variant.height}"]
        if variant.frame_rate:
            attributes.append(f"FRAME-RATE={variant.frame_rate:.3f}")
        if audio is not None:
            attributes.append('AUDIO="audio"')
        if subtitles is not None:
            attributes.append('SUBTITLES="subtitles"')
        attributes.append("CLOSED-CAPTIONS=NONE")  # no CEA-608 in the video: players need not look for it
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attributes), variant.playlist.uri]
    return "\n".join(lines) + "\n"


def starting_order(variants: Sequence[Variant], start_height: int = 720) -> list[Variant]:
    """Order variants highest first, but list first the one a player should start with (players that do
    not measure the network first take the first listed): the highest up to ``start_height`` lines."""
    ranked = sorted(variants, key=lambda v: (-min(v.width, v.height), -v.playlist.average_bps()))
    first = next((v for v in ranked if min(v.width, v.height) <= start_height), ranked[-1] if ranked else None)
    return [first, *(v for v in ranked if v is not first)] if first is not None else []


def _quoted(text: str) -> str:
    return _UNSAFE.sub("", text)
