"""Probe media in-process with PyAV: what kind it is, its displayed size, duration, codecs and streams."""

from __future__ import annotations

import errno
import functools
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path

import av

from .errors import InputError, single_line
from .ffmpeg import file_arg
from .model import AUDIO, PHOTO, VIDEO, MediaInfo, StreamInfo
from .photo.decode import probe_photo
from .photo.metadata import read_embedded_metadata
from .settings import PhotoSettings

# Demuxers that read other files or URLs named inside the input (playlists, scripts, session
# descriptions), run code, or grab devices. They are never allowed to open a user's file.
UNSAFE_DEMUXERS = frozenset({
    "hls", "applehttp", "dash", "concat", "sdp", "rtp", "rtsp", "sap", "imf", "avisynth", "vapoursynth",
    "webm_dash_manifest", "dvdvideo", "bluray", "lavfi", "ffmetadata", "alsa", "oss", "pulse", "jack",
    "fbdev", "kmsgrab", "x11grab", "xcbgrab", "video4linux2", "v4l2", "dshow", "gdigrab", "avfoundation",
    "openal", "libcdio", "iec61883", "decklink",
    "vobsub", "mlv",  # these open files beside the input (.sub, .m00)
})
_PLAYLIST_MAGIC = (b"#EXTM3U", b"ffconcat", b"<?xml", b"<MPD", b"v=0")
_NOT_A_STREAM = "attachment"  # StreamInfo.type for cover art and other attached pictures
_PACKET_LIMIT = 2000  # packets read while looking for the first decodable frame
# libavutil's colour enums (pixfmt.h) by number, with ffmpeg's names; 2 ("unspecified") is left out.
_PRIMARIES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film", 9: "bt2020",
              10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
_TRANSFERS = {1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear", 9: "log100",
              10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1", 14: "bt2020-10",
              15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
_MATRICES = {0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco",
             9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc", 13: "chroma-derived-c",
             14: "ictcp"}


def probe_file(path: Path, max_pixels: int = PhotoSettings.max_pixels, *, decode_photos: bool = True) -> MediaInfo:
    """Describe any accepted media file: a photo through Pillow, anything else through PyAV.

    A photo is decoded through to its end, which finds truncation, unless ``decode_photos`` is False.
    """
    _check_file(path)
    info = probe_photo(path, max_pixels, decode=decode_photos)
    return info if info is not None else probe_av(path)


def describe_file(path: Path) -> dict:
    """Return what ``mediapack probe`` shows for one file, as JSON-ready values."""
    info = probe_file(path)
    found = {"file": str(path), **{k: v for k, v in asdict(info).items() if k != "path"}}
    if info.kind == PHOTO:
        found.update(asdict(read_embedded_metadata(path)))
    return found


def described_lines(found: dict) -> list[str]:
    """Write what ``describe_file`` found for a person: one value a line, streams one a line, no Python reprs."""
    def said(value: object) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{k} {said(v)}" for k, v in value.items() if v is not None and v != "" and v is not False)
        return "yes" if value is True else single_line(str(value))

    lines = [single_line(found["file"], 1000)]
    for key, value in found.items():
        if isinstance(value, list | tuple) and value:
            lines += [f"  {key}:", *(f"    {said(v)}" for v in value)]
        elif key not in ("file", "frames", "still") and value not in (None, "", [], (), {}):
            lines.append(f"  {key}: {said(value)}")
    if found.get("frames"):
        lines.append(f"  frames: {found['frames']} (animated)")
    return lines


def probe_av(path: Path) -> MediaInfo:
    """Probe a video or audio file with PyAV; refuse playlists and scripts; prove it decodes."""
    size = _check_file(path)
    options = {"protocol_whitelist": "file", "format_whitelist": _allowed_demuxers(path)}
    try:
        container = av.open(file_arg(path), mode="r", options=options)
    except av.FFmpegError as exc:
        # EINVAL here means the format whitelist refused the demuxer before it read anything else.
        if exc.errno == errno.EINVAL or _looks_like_playlist(path):
            raise _unsafe(path) from None
        raise _fail(path, f"not a media file ffmpeg can read, or truncated ({_reason(exc)})") from None
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror or exc}") from None
    with container:
        return _describe(path, container, size)


def main_stream_index(info: MediaInfo, kind: str) -> int | None:
    """Return the index of the stream of this type ffmpeg should use: the default one, else the first."""
    return _pick(info.streams, kind)


def codec_strings(path: Path) -> tuple[str | None, str | None]:
    """Return RFC 6381 codec strings (video, audio) of a written MP4, e.g. ("avc1.64001f", "mp4a.40.2")."""
    with av.open(file_arg(path), mode="r", options={"protocol_whitelist": "file"}) as container:
        video = next((s for s in container.streams.video), None)
        audio = next((s for s in container.streams.audio), None)
        return (_avc_string(video) if video is not None else None,
                _aac_string(audio) if audio is not None else None)


def _check_file(path: Path) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise _fail(path, "not a regular file")
    if size == 0:
        raise _fail(path, "empty file (0 bytes)")
    return size


def _describe(path: Path, container, size: int) -> MediaInfo:
    streams = tuple(_stream_info(s) for s in container.streams)
    video_index, audio_index = _pick(streams, "video"), _pick(streams, "audio")
    if video_index is None and audio_index is None:
        raise _fail(path, "has no video or audio stream")
    main = container.streams[video_index if video_index is not None else audio_index]
    audio = container.streams[audio_index] if audio_index is not None else None
    frame, sound, still = _first_frames(path, container, main, audio)
    if still and video_index is not None and audio is not None:
        # A picture with a sound track (a radio piece with its card): the sound is what plays.
        main, video_index, frame = audio, None, sound
    _check_complete(path, container, main, size)
    common = {"path": path, "format": container.format.name, "duration": _duration(container, main),
              "audio_codec": audio.codec_context.name if audio is not None else None,
              "audio_channels": audio.codec_context.channels if audio is not None else 0,
              "streams": streams, "size_bytes": size}
    if video_index is None:
        return MediaInfo(kind=AUDIO, bit_depth=frame.format.bits, **common)
    width, height, rotation = _displayed_size(main, frame)
    return MediaInfo(kind=VIDEO, width=width, height=height, rotation=rotation, still=still,
                     video_codec=main.codec_context.name, frame_rate=_frame_rate(main),
                     bit_depth=max(c.bits for c in frame.format.components), **_colour(frame), **common)


def _pick(streams: tuple[StreamInfo, ...], kind: str) -> int | None:
    candidates = [s for s in streams if s.type == kind]
    chosen = next((s for s in candidates if s.default), candidates[0] if candidates else None)
    return chosen.index if chosen is not None else None


def _stream_info(stream) -> StreamInfo:
    disposition = stream.disposition
    kind = stream.type
    if kind == "video" and disposition & (av.stream.Disposition.attached_pic
                                          | av.stream.Disposition.timed_thumbnails):
        kind = _NOT_A_STREAM
    codec = stream.codec_context.name if stream.codec_context is not None else "unknown"
    return StreamInfo(index=stream.index, type=kind, codec=codec,
                      default=bool(disposition & av.stream.Disposition.default))


def _first_frames(path: Path, container, main, audio):
    """Decode the first frame of ``main`` and of the audio used with it, proving the file is readable.

    Return the main stream's frame, the audio's, and whether the first is its stream's only one (a still);
    InputError if it has none, or if the audio stream holds nothing.
    """
    streams = [main] if audio is None or audio is main else [main, audio]
    frames: dict[int, object] = {}
    problems = {s.index: "no frame could be decoded" for s in streams}
    main_packets = 0
    for count, packet in enumerate(container.demux(*streams)):
        index = packet.stream.index
        main_packets += index == main.index and bool(packet.size)
        if index not in frames:
            try:
                frames.update((index, frame) for frame in packet.decode()[:1])
            except av.FFmpegError as exc:
                problems[index] = f"cannot decode: {_reason(exc)}"
        if (len(frames) == len(streams) and (main.type != "video" or main_packets > 1)) or count > _PACKET_LIMIT:
            break
    else:  # the whole file was read: an audio stream with no frame at all is empty or broken
        if audio is not None and audio.index not in frames:
            raise _fail(path, f"audio stream #{audio.index} is empty or corrupt: {problems[audio.index]}")
    if main.index not in frames:
        raise _fail(path, f"{problems[main.index]} (truncated or corrupt {main.type})")
    return frames[main.index], frames.get(audio.index) if audio is not None else None, main_packets == 1


def _check_complete(path: Path, container, main, size: int) -> None:
    """Refuse a file cut short whose index still promises the whole (an MP4 with its index first).

    Reads the packets of the last second or so: a cut file has none there, or they run past its end.
    """
    duration = _duration(container, main)
    if not duration or duration < 2 or main.time_base is None:
        return
    target = int((duration - 1) / main.time_base) + (main.start_time or 0)
    try:
        container.seek(target, stream=main)
    except av.FFmpegError:  # not seekable: the first frames are all that can be checked
        return
    try:  # a packet cut by the end of the file comes back short and marked corrupt
        tail = [p for p in container.demux() if p.size]
    except av.FFmpegError:
        tail = []
    if not tail or any(p.is_corrupt or (p.pos is not None and p.pos + p.size > size) for p in tail):
        raise _fail(path, f"truncated: it promises {duration:.1f} s but its data ends before that")


def _displayed_size(stream, frame) -> tuple[int, int, int]:
    """Return width, height after pixel aspect and rotation, and the clockwise turn to stand upright."""
    width, height = frame.width, frame.height
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    if sar and sar > 0 and sar != 1:
        width = max(1, round(width * Fraction(sar)))
    # frame.rotation is the display matrix's counter-clockwise angle; a legacy 'rotate' tag is clockwise.
    counter = frame.rotation or -int(float(stream.metadata.get("rotate", 0) or 0))
    rotation = round(-counter / 90) * 90 % 360
    if rotation in (90, 270):
        width, height = height, width
    return width, height, rotation


def _colour(frame) -> dict[str, str | None]:
    """Name the decoded frame's transfer, primaries and matrix as ffmpeg does; None where untagged."""
    return {"color_transfer": _TRANSFERS.get(frame.color_trc),
            "color_primaries": _PRIMARIES.get(frame.color_primaries),
            "color_space": _MATRICES.get(frame.colorspace)}


def _duration(container, stream) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def _frame_rate(stream) -> float | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < rate <= 1000:
            return float(rate)
    return None


@functools.cache
def _all_demuxers() -> frozenset[str]:
    names = set()
    for name in av.formats_available:
        if av.ContainerFormat(name).is_input:
            names.update(name.split(","))
    return frozenset(names)


def _allowed_demuxers(path: Path) -> str:
    unsafe = set(UNSAFE_DEMUXERS)
    if "%" in path.name:  # image2 would read the name as a numbered sequence pattern
        unsafe.add("image2")
    return ",".join(sorted(_all_demuxers() - unsafe))


def _looks_like_playlist(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head.startswith(_PLAYLIST_MAGIC)


def _avc_string(stream) -> str:
    extradata = stream.codec_context.extradata or b""
    if stream.codec_context.name == "h264" and len(extradata) >= 4 and extradata[0] == 1:
        return "avc1." + extradata[1:4].hex()  # avcC: profile, constraint flags, level
    return stream.codec_context.name


def _aac_string(stream) -> str:
    if stream.codec_context.name != "aac":
        return stream.codec_context.name
    object_type = {"HE-AAC": 5, "HE-AACv2": 29}.get(stream.profile or "", 2)
    return f"mp4a.40.{object_type}"


def _reason(exc: av.FFmpegError) -> str:
    return exc.strerror or type(exc).__name__


def _unsafe(path: Path) -> InputError:
    return _fail(path, "not a media file ffmpeg can read safely (playlist/concat script)")


def _fail(path: Path, reason: str) -> InputError:
    return InputError(single_line(f"{path}: {reason}"))
