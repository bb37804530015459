"""The video stage: one ffmpeg run writes the H.264 ladder, poster and thumbnail sprite; plus audio and WebVTT."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg as ffgraph  # ffmpeg-python builds the graphs; mediapack.ffmpeg runs them
from PIL import Image

from .config import Settings, VideoRung, VideoSettings
from .errors import BuildError, InputError, single_line
from .ffmpeg import FFmpeg, compile_graph, file_arg, graph_input, run
from .model import VIDEO, MediaInfo, MediaItem, Rendition
from .probe import codec_strings, main_stream_index, probe_av

MP4, M4A, JPEG, VTT = "video/mp4", "audio/mp4", "image/jpeg", "text/vtt"
_POSTER_WINDOW = 10.0  # seconds searched for a representative poster frame
_POSTER_SAMPLES = 2  # frames per second the thumbnail filter compares (it holds them all in memory)
_SPRITE_MAX_SIDE = 65000  # JPEG allows at most 65535 pixels per side
# No source metadata, chapters, encoder versions or times: the same input gives the same bytes.
_BITEXACT = {"map_metadata": -1, "map_chapters": -1, "fflags": "+bitexact"}
_JPEG_SCALE = {"out_color_matrix": "bt601", "out_range": "pc"}  # JFIF is BT.601, full range


@dataclass(frozen=True)
class SpriteLayout:
    """How thumbnails sit in the sprite: one tile every ``interval`` seconds, row by row."""

    interval: Fraction
    count: int
    columns: int
    rows: int
    tile_width: int
    tile_height: int


def ladder_for(info: MediaInfo, settings: VideoSettings) -> list[tuple[VideoRung, int, int]]:
    """Return the rungs to encode, high to low, with even output sizes; never upscaled."""
    short = min(info.width, info.height)
    rungs = sorted(settings.ladder, key=lambda r: -r.height)
    chosen = [r for r in rungs if r.height <= short]
    if not chosen:  # smaller than every rung: one rendition at the source's own size
        own = max(2, short - short % 2)
        rates = rungs[-1] if rungs else VideoRung("", 0, "0", "0")
        chosen = [VideoRung(f"{own}p", own, rates.maxrate, rates.bufsize)]
    ladder, seen = [], set()
    for rung in chosen:
        size = _fit(info.width, info.height, rung.height)
        if size not in seen:
            seen.add(size)
            ladder.append((rung, *size))
    return ladder


def sprite_layout(info: MediaInfo, settings: VideoSettings) -> SpriteLayout:
    """Return the thumbnail sprite's tiles for this video's duration and shape."""
    duration = info.duration or 0.0
    width = max(2, min(settings.thumbnail_width, info.width))
    width -= width % 2
    height = _even(width * info.height / info.width, info.height)
    interval = Fraction(max(settings.thumbnail_interval, 0.1)).limit_denominator(1000)
    # A container a little longer than its video track must not add a blank tile.
    count = max(1, math.ceil((duration - 0.1) / interval))
    columns = max(1, min(settings.thumbnail_columns, count, _SPRITE_MAX_SIDE // width))
    max_rows = max(1, _SPRITE_MAX_SIDE // height)
    if math.ceil(count / columns) > max_rows:  # very long video: space the tiles out instead
        count = columns * max_rows
        interval = Fraction(duration / count).limit_denominator(1000)
    return SpriteLayout(interval, count, columns, math.ceil(count / columns), width, height)


def thumbnails_vtt(layout: SpriteLayout, duration: float, image: str = "thumbnails.jpg") -> str:
    """Return a WebVTT thumbnail track pointing into the sprite with ``#xywh`` fragments."""
    cues = ["WEBVTT", ""]
    for i in range(layout.count):
        start, end = float(i * layout.interval), min(float((i + 1) * layout.interval), duration)
        x, y = i % layout.columns * layout.tile_width, i // layout.columns * layout.tile_height
        cues += [f"{_timestamp(start)} --> {_timestamp(max(end, start + 0.001))}",
                 f"{image}#xywh={x},{y},{layout.tile_width},{layout.tile_height}", ""]
    return "\n".join(cues)


def build_ladder_args(source: Path, info: MediaInfo, ladder: Sequence[tuple[VideoRung, int, int]],
                      targets: Mapping[str, Path], settings: Settings, *, poster_at: float | None = None
                      ) -> list[str]:
    """Return argv for one ffmpeg run writing each rung in ``targets`` (and "poster", "thumbnails")."""
    video = settings.video
    source_in = graph_input(source, fmt=_demuxer(info))
    audio_index = main_stream_index(info, "audio")
    fps = _target_fps(info, video)
    wanted = [(rung, w, h) for rung, w, h in ladder if rung.name in targets]
    branches = len(wanted) + ("poster" in targets) + ("thumbnails" in targets)
    # Decode once, deinterlace and fix the frame rate once, then split: every output shares the frames.
    split = (source_in[str(main_stream_index(info, "video"))]
             .filter("bwdif", mode="send_frame", deint="interlaced")  # touches interlaced frames only
             .filter("fps", fps=str(fps)).filter_multi_output("split"))
    pictures = iter(split.stream(i) for i in range(branches))
    outputs = []
    for rung, width, height in wanted:
        picture = (next(pictures).filter("scale", width, height, out_color_matrix="bt709", out_range="tv")
                   .filter("format", "yuv420p").filter("setsar", "1"))
        streams = [picture] + ([source_in[str(audio_index)]] if audio_index is not None else [])
        options = {**_h264_options(rung, fps, video, settings.ffmpeg.threads),
                   **(_aac_options(video) if audio_index is not None else {"an": None})}
        outputs.append(ffgraph.output(*streams, file_arg(targets[rung.name]), **options))
    if "poster" in targets:
        _, width, height = ladder[0]
        picture = _poster_picture(next(pictures), info, width, height, poster_at)
        outputs.append(ffgraph.output(picture, file_arg(targets["poster"]), **_jpeg_options(video)))
    if "thumbnails" in targets:
        layout = sprite_layout(info, video)
        picture = next(pictures).filter("fps", fps=str(1 / layout.interval), eof_action="pass")
        picture = _jpeg_picture(picture, layout.tile_width, layout.tile_height)
        picture = picture.filter("tile", layout=f"{layout.columns}x{layout.rows}")
        outputs.append(ffgraph.output(picture, file_arg(targets["thumbnails"]), **_jpeg_options(video)))
    return compile_graph(ffgraph.merge_outputs(*outputs))


def _poster_picture(picture, info: MediaInfo, width: int, height: int, poster_at: float | None):
    """Take the frame at ``poster_at``, or the most representative of the first seconds (not a black lead-in)."""
    if poster_at is not None:
        return _jpeg_picture(picture.filter("trim", start=f"{poster_at:.3f}"), width, height)
    window = min(info.duration or _POSTER_WINDOW, _POSTER_WINDOW)
    # thumbnail keeps every frame of its batch in memory: sample a few per second, at poster size.
    picture = picture.filter("trim", end=f"{window:.3f}").filter("fps", fps=_POSTER_SAMPLES)
    return _jpeg_picture(picture, width, height).filter("thumbnail", n=max(2, math.ceil(window * _POSTER_SAMPLES)))


def build_audio_args(source: Path, info: MediaInfo, target: Path, settings: Settings) -> list[str]:
    """Return argv that writes the default audio stream as AAC stereo in an M4A file."""
    audio_index = main_stream_index(info, "audio")
    if audio_index is None:
        raise InputError(single_line(f"{source}: has no audio stream"))
    source_in = graph_input(source, fmt=_demuxer(info))
    options = {**_aac_options(settings.video), "f": "mp4", "movflags": "+faststart", **_BITEXACT}
    return compile_graph(ffgraph.output(source_in[str(audio_index)], file_arg(target), **options))


def transcode_video(item: MediaItem, info: MediaInfo, story_folder: Path, out_root: Path, settings: Settings,
                    ff: FFmpeg, on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write the ladder, poster, thumbnail sprite and tracks of one video into media/<id>/."""
    source = story_folder / item.file
    if info.kind != VIDEO or not info.width or not info.height:
        raise InputError(single_line(f"{source}: not a video"))
    folder, rel = out_root / "media" / item.id, Path("media") / item.id
    folder.mkdir(parents=True, exist_ok=True)
    ladder = ladder_for(info, settings.video)
    files = {rung.name: f"{rung.name}.mp4" for rung, _, _ in ladder}
    files.update(poster="poster.jpg", thumbnails="thumbnails.jpg")
    partials = {name: folder / f"{file}.partial" for name, file in files.items()}
    captions = _captions(item, story_folder, folder, rel)  # bad subtitles fail before the long encode
    args = build_ladder_args(source, info, ladder, partials, settings, poster_at=_poster_time(item, info))
    _produce(ff, args, source, info, settings, on_progress, {partials[n]: folder / f for n, f in files.items()})
    layout = sprite_layout(info, settings.video)
    _write_text(folder / "thumbnails.vtt", thumbnails_vtt(layout, info.duration or 0.0))
    renditions = [_measure_mp4(rung.name, folder / files[rung.name], rel, MP4) for rung, _, _ in ladder]
    renditions += [_image("poster", folder / "poster.jpg", rel, "poster"),
                   _image("thumbnails", folder / "thumbnails.jpg", rel, "thumbnails"),
                   _text_rendition("thumbnails-vtt", folder / "thumbnails.vtt", rel, "thumbnails")]
    return tuple(renditions + captions)


def package_audio(item: MediaItem, info: MediaInfo, story_folder: Path, out_root: Path, settings: Settings,
                  ff: FFmpeg, on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write an audio item as AAC stereo ``audio.m4a`` (and its captions) into media/<id>/."""
    source = story_folder / item.file
    folder, rel = out_root / "media" / item.id, Path("media") / item.id
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / "audio.m4a"
    partial = folder / "audio.m4a.partial"
    captions = _captions(item, story_folder, folder, rel)
    args = build_audio_args(source, info, partial, settings)
    _produce(ff, args, source, info, settings, on_progress, {partial: final})
    return (_measure_mp4("audio", final, rel, M4A), *captions)


def _produce(ff: FFmpeg, args: list[str], source: Path, info: MediaInfo, settings: Settings,
             on_progress: Callable[[float], None] | None, moves: dict[Path, Path]) -> None:
    """Run ffmpeg into partial files and move them into place; leave no partial file behind."""
    timeout = settings.ffmpeg.timeout + settings.ffmpeg.timeout_per_second * (info.duration or 0.0)
    try:
        run(ff, args, timeout=timeout, source=source, duration=info.duration, on_progress=on_progress)
        for partial, final in moves.items():
            if not partial.is_file() or partial.stat().st_size == 0:
                raise BuildError(single_line(f"{source}: ffmpeg wrote no {final.name}"))
        for partial, final in moves.items():
            os.replace(partial, final)
    finally:
        for partial in moves:
            partial.unlink(missing_ok=True)


def _measure_mp4(name: str, path: Path, rel: Path, content_type: str) -> Rendition:
    """Describe a written MP4/M4A from the file itself."""
    found = probe_av(path)
    video_codec, audio_codec = codec_strings(path)
    bitrate = round(found.size_bytes * 8 / found.duration) if found.duration else None
    return Rendition(name=name, path=rel / path.name, content_type=content_type, size_bytes=found.size_bytes,
                     width=found.width or None, height=found.height or None, duration=found.duration,
                     video_codec=video_codec, audio_codec=audio_codec, frame_rate=found.frame_rate,
                     bitrate=bitrate)


def _image(name: str, path: Path, rel: Path, role: str) -> Rendition:
    with Image.open(path) as img:
        width, height = img.size
    return Rendition(name=name, path=rel / path.name, content_type=JPEG, size_bytes=path.stat().st_size,
                     role=role, width=width, height=height)


def _text_rendition(name: str, path: Path, rel: Path, role: str) -> Rendition:
    return Rendition(name=name, path=rel / path.name, content_type=VTT, size_bytes=path.stat().st_size,
                     role=role)


def _captions(item: MediaItem, story_folder: Path, folder: Path, rel: Path) -> list[Rendition]:
    if not item.subtitles:
        return []
    dest = write_webvtt(story_folder / item.subtitles, folder / "captions.vtt")
    return [_text_rendition("captions", dest, rel, "captions")]


def _h264_options(rung: VideoRung, fps: Fraction, video: VideoSettings, threads: int) -> dict:
    gop = max(1, round(fps * Fraction(video.keyframe_seconds).limit_denominator(1000)))
    options = {"c:v": "libx264", "profile:v": video.profile, "preset": video.preset, "crf": video.crf,
               "g": gop, "keyint_min": gop, "sc_threshold": 0, "pix_fmt": "yuv420p",
               "colorspace": "bt709", "color_primaries": "bt709", "color_trc": "bt709", "color_range": "tv",
               "fps_mode": "cfr", "f": "mp4", "movflags": "+faststart", "flags:v": "+bitexact", **_BITEXACT}
    if rung.maxrate not in ("", "0"):
        options.update(maxrate=rung.maxrate, bufsize=rung.bufsize)
    if threads:
        options["threads"] = threads
    return options


def _aac_options(video: VideoSettings) -> dict:
    return {"c:a": "aac", "b:a": video.audio_bitrate, "ac": 2, "ar": video.audio_rate, "flags:a": "+bitexact"}


def _jpeg_options(video: VideoSettings) -> dict:
    return {"frames:v": 1, "c:v": "mjpeg", "q:v": video.poster_quality, "f": "image2", "update": 1,
            "flags:v": "+bitexact", **_BITEXACT}


def _jpeg_picture(picture, width: int, height: int):
    return picture.filter("scale", width, height, **_JPEG_SCALE).filter("format", "yuv420p").filter("setsar", "1")


def _target_fps(info: MediaInfo, video: VideoSettings) -> Fraction:
    rate = info.frame_rate if info.frame_rate and info.frame_rate > 0 else 25.0
    return Fraction(min(rate, video.max_fps or rate)).limit_denominator(1001)


def _poster_time(item: MediaItem, info: MediaInfo) -> float | None:
    if item.poster_at is None:
        return None
    last = max(0.0, (info.duration or 0.0) - 2 / (info.frame_rate or 25.0))
    return min(max(0.0, item.poster_at), last)


def _demuxer(info: MediaInfo) -> str:
    """Force the demuxer probing chose, so ffmpeg cannot pick a different, unsafe one."""
    return info.format.split(",")[0]


def _fit(width: int, height: int, short: int) -> tuple[int, int]:
    short -= short % 2
    if width >= height:
        return _even(width * short / height, width), short
    return short, _even(height * short / width, height)


def _even(value: float, limit: int) -> int:
    return max(2, min(2 * round(value / 2), limit - limit % 2))


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def _write_text(path: Path, text: str) -> Path:
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8", newline="\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


# --- subtitles -> WebVTT -------------------------------------------------------------------------

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(.*)$")
_SETTING = re.compile(r"(?:vertical|line|position|size|align):[\w.%,-]+$")
_TAG = re.compile(r"<[^<>]*>")
_SAFE_TAG = re.compile(r"</?(?:b|i|u|ruby|rt)>|</(?:c|v|lang)>|<c(?:\.[\w-]+)*>|<v(?:\.[\w-]+)*(?: [^<>&]+)?>"
                       r"|<lang [\w-]+>|<\d{2,}:\d{2}:\d{2}\.\d{3}>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|lrm|rlm|nbsp|#\d+|#x[0-9a-fA-F]+);)")
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")  # {\an8} and friends that SRT files borrow from ASS


def write_webvtt(subtitles: Path, dest: Path) -> Path:
    """Convert an .srt or .vtt file to clean WebVTT at ``dest``: dotted times, no ids, safe tags only."""
    try:
        raw = subtitles.read_bytes()
    except OSError as exc:
        raise InputError(single_line(f"{subtitles}: cannot read subtitles: {exc.strerror or exc}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")  # the usual encoding of SRT files that are not UTF-8
    cues = _parse_cues(subtitles, text.replace("\r\n", "\n").replace("\r", "\n"))
    if not cues:
        raise InputError(single_line(f"{subtitles}: no subtitle cues found"))
    lines = ["WEBVTT", ""]
    for start, end, settings, body in cues:
        lines += [f"{_timestamp(start)} --> {_timestamp(end)}{settings}", *body, ""]
    return _write_text(dest, "\n".join(lines))


def _parse_cues(path: Path, text: str) -> list[tuple[float, float, str, list[str]]]:
    cues: list[tuple[float, float, str, list[str]]] = []
    line_no, block = 0, []
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        if line.strip():
            line_no, block = line_no or number, [*block, line]
            continue
        if block:
            _add_cue(path, line_no, block, cues)
        line_no, block = 0, []
    return cues


def _add_cue(path: Path, line_no: int, block: list[str], cues: list) -> None:
    first = block[0].strip()
    if (not cues and first.startswith("WEBVTT")) or first.split(" ")[0] in ("NOTE", "STYLE", "REGION"):
        return
    at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
    if at is None:
        if cues:  # a blank line inside a cue's text: keep the text with its cue
            cues[-1][3].extend(_clean_text(block))
            return
        raise InputError(single_line(f"{path}: line {line_no}: expected a cue timing like "
                                     "00:00:01,000 --> 00:00:02,000"))
    match = _TIMING.match(block[at])
    if not match:
        raise InputError(single_line(f"{path}: line {line_no + at}: cannot read the cue timing"))
    start, end = _seconds(match.groups()[0:4]), _seconds(match.groups()[4:8])
    if end <= start:
        raise InputError(single_line(f"{path}: line {line_no + at}: cue ends before it starts"))
    settings = " ".join(s for s in match.group(9).split() if _SETTING.match(s))
    body = _clean_text(block[at + 1:])
    if body:
        cues.append((start, end, f" {settings}" if settings else "", body))


def _seconds(parts: Sequence[str | None]) -> float:
    hours, minutes, seconds, fraction = parts
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _clean_text(lines: list[str]) -> list[str]:
    """Keep basic styling tags; escape every other '<', '>' and stray '&'; drop control characters."""
    cleaned = []
    for line in lines:
        line = "".join(ch if ch.isprintable() else " " for ch in _ASS_OVERRIDE.sub("", line)).strip()
        parts, last = [], 0
        for tag in _TAG.finditer(line):
            parts += [_escape(line[last:tag.start()]), _tag(tag.group())]
            last = tag.end()
        line = "".join([*parts, _escape(line[last:])]).strip()
        if line:
            cleaned.append(line)
    return cleaned


def _tag(tag: str) -> str:
    """Keep a safe styling tag (its name lower-cased), drop SRT's <font>, escape anything else."""
    if _SAFE_TAG.fullmatch(tag):
        name, space, annotation = tag.partition(" ")
        return name.lower() + space + annotation
    if re.fullmatch(r"</?font\b[^<>]*>", tag, re.IGNORECASE):
        return ""
    return _escape(tag)


def _escape(text: str) -> str:
    return _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
