"""Plan the video stage's one ffmpeg run: the ladder, the sprite, and the argv with its filter graph."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg as ffgraph  # ffmpeg-python builds the graphs; mediapack.ffmpeg runs them

from ..errors import InputError, single_line
from ..ffmpeg import compile_graph, file_arg, graph_input
from ..model import MediaInfo
from ..probe import main_stream_index
from ..settings import Settings, VideoRung, VideoSettings

_POSTER_WINDOW = 10.0  # seconds searched for a representative poster frame
_POSTER_SAMPLES = 1  # frames per second the thumbnail filter compares (it holds them all in memory)
_SPRITE_MAX_SIDE = 65000  # JPEG allows at most 65535 pixels per side
# No source metadata, chapters, encoder versions or times: the same input gives the same bytes.
_BITEXACT = {"map_metadata": -1, "map_chapters": -1, "fflags": "+bitexact"}
_JPEG_SCALE = {"out_color_matrix": "bt601", "out_range": "pc"}  # JFIF is BT.601, full range
_WEBP_SCALE = {"out_color_matrix": "bt601", "out_range": "tv"}  # lossy WebP is BT.601, limited range
_TRUE_PEAK = -1.5  # dBTP ceiling of loudness normalisation: headroom for the AAC encoder's overshoot
_LOUDNESS_RANGE = 11.0  # LU; wide enough that speech and natural sound keep their dynamics
# Ladder rungs of 1080 lines and more, by preset: x264 options and a CRF offset. The top rung's encode is the
# run's longest single-threaded task; at veryfast, subme 1 (not 2) made it 25-30% cheaper. It costs some
# compression where the rate cap does not bind, which half a CRF step gives back: measured VMAF -0.4 to +0.3,
# files 4% smaller to 0.2% larger (larger only where the cap binds) than with the preset's own settings.
# Lower rungs keep the preset: there quarter-pixel motion matters more (3-8% larger files with subme 1).
# Compositions keep it too. Figures in benchmarks/README.md.
FROM_1080 = {"veryfast": ("subme=1", 0.5)}
# Frame rates players and editors expect; a variable or odd average rate is moved onto one of them.
_COMMON_RATES = tuple(sorted(Fraction(r) for r in (
    10, 12, Fraction(25, 2), 15, 20, Fraction(24000, 1001), 24, 25, Fraction(30000, 1001), 30, 50,
    Fraction(60000, 1001), 60)))


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
        size = _size_for_short_side(info.width, info.height, rung.height)
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


def target_fps(info: MediaInfo, video: VideoSettings) -> Fraction:
    """Return the constant output frame rate: the source's average, moved onto a common rate, capped."""
    rate = Fraction(info.frame_rate if info.frame_rate and info.frame_rate > 0 else 25).limit_denominator(1001)
    nearest = min(_COMMON_RATES, key=lambda common: abs(common - rate))
    if abs(nearest - rate) > rate / 100:
        # Variable frame rate: the average sits below the rate of the smooth parts, so round up, never down.
        nearest = next((common for common in _COMMON_RATES if common >= rate), rate)
    cap = Fraction(video.max_fps).limit_denominator(1001) if video.max_fps > 0 else nearest
    if nearest <= cap:
        return nearest
    # Over the cap: the highest common rate under it, one that divides the rate if one does, so frames are
    # dropped evenly (59.94 capped at 30 becomes 29.97, 1000 at 60 becomes 50).
    under = [common for common in _COMMON_RATES if common <= cap] or [cap]
    even = [common for common in under if (nearest / common).denominator == 1]
    return max(even or under)


def build_ladder_args(source: Path, info: MediaInfo, ladder: Sequence[tuple[VideoRung, int, int]],
                      targets: Mapping[str, Path], settings: Settings, *, poster_at: float | None = None
                      ) -> list[str]:
    """Return argv for one ffmpeg run writing every output ``targets`` names: rungs, posters, sprite."""
    video = settings.video
    source_in = graph_input(source, fmt=demuxer(info))
    audio_index = main_stream_index(info, "audio")
    fps = target_fps(info, video)
    wanted = [(rung, w, h) for rung, w, h in ladder if rung.name in targets]
    posters = {name: targets[name] for name in ("poster", "poster-webp") if name in targets}
    branches = len(wanted) + bool(posters) + ("thumbnails" in targets)
    _, top_width, top_height = ladder[0]
    top_pixels = top_width * top_height
    # Decode once; deinterlace, fix the frame rate and bring the colours to SDR BT.709 once; then split.
    picture = (source_in[str(main_stream_index(info, "video"))]
               .filter("bwdif", mode="send_frame", deint="interlaced")  # touches interlaced frames only
               .filter("fps", fps=str(fps)))
    pictures = _split(_to_sdr_bt709(picture, info, top_width, top_height), "split", branches)
    sounds = iter(())
    if audio_index is not None and wanted:
        sounds = _split(_stereo(source_in[str(audio_index)], info.audio_channels, video), "asplit", len(wanted))
    outputs = []
    for rung, width, height in wanted:
        picture = (next(pictures).filter("scale", width, height, out_color_matrix="bt709", out_range="tv")
                   .filter("format", "yuv420p").filter("setsar", "1")
                   # The encoder tags what the frames say: make them say BT.709 throughout.
                   .filter("setparams", color_primaries="bt709", color_trc="bt709"))
        streams = [picture] + ([next(sounds)] if audio_index is not None else [])
        threads = _threads(settings.ffmpeg.threads, width * height, top_pixels)
        options = {**h264_options(rung, fps, video, threads),
                   **(aac_options(video) if audio_index is not None else {"an": None})}
        if min(width, height) >= 1080 and video.preset in FROM_1080:
            options["x264-params"], crf_offset = FROM_1080[video.preset]
            options["crf"] = video.crf + crf_offset
        outputs.append(ffgraph.output(*streams, file_arg(targets[rung.name]), **options))
    if posters:
        outputs += _poster_outputs(next(pictures), info, (top_width, top_height), posters, video, poster_at)
    if "thumbnails" in targets:
        outputs.append(_sprite_output(next(pictures), info, targets["thumbnails"], video))
    return compile_graph(ffgraph.merge_outputs(*outputs))


def build_audio_args(source: Path, info: MediaInfo, target: Path, settings: Settings) -> list[str]:
    """Return argv that writes the default audio stream as AAC stereo in an M4A file."""
    audio_index = main_stream_index(info, "audio")
    if audio_index is None:
        raise InputError(single_line(f"{source}: has no audio stream"))
    source_in = graph_input(source, fmt=demuxer(info))
    options = {**aac_options(settings.video), "f": "mp4", "movflags": "+faststart", **_BITEXACT}
    sound = _stereo(source_in[str(audio_index)], info.audio_channels, settings.video)
    return compile_graph(ffgraph.output(sound, file_arg(target), **options))


def _split(stream, kind: str, count: int):
    """Return an iterator over ``count`` copies of ``stream`` (the stream itself when one is enough)."""
    if count == 1:
        return iter([stream])
    split = stream.filter_multi_output(kind)
    return iter(split.stream(i) for i in range(count))


def _to_sdr_bt709(picture, info: MediaInfo, width: int, height: int):
    """Bring every source to SDR BT.709: tone-map PQ/HLG, convert BT.2020 primaries, tag untagged video."""
    given = {"tin": _known(info.color_transfer, "bt709"), "pin": _known(info.color_primaries, "bt2020"),
             "min": _known(info.color_space, "bt2020nc")}  # what probing saw; if unknown, the usual
    if info.is_hdr:
        # Tone-map at the top rung's size, not a 4K source's: a quarter of the float work. Mobius keeps
        # SDR-range light as it was (closest to the SDR original in tests) and rolls off the highlights.
        picture = picture.filter("zscale", w=width, h=height, filter="spline36", **given, t="linear", npl=100)
        picture = picture.filter("format", "gbrpf32le").filter("zscale", p="bt709")
        picture = picture.filter("tonemap", tonemap="mobius", desat=0)
        return picture.filter("zscale", t="bt709", m="bt709", r="tv").filter("format", "yuv420p")
    if info.color_primaries == "bt2020":  # wide-gamut SDR: convert the gamut, do not just relabel it
        return (picture.filter("zscale", **given, p="bt709", t="bt709", m="bt709", r="tv")
                .filter("format", "yuv420p"))
    if not info.color_space:
        # Untagged: read it the way players do, BT.709 from 720 lines up, BT.601 below.
        matrix = "bt709" if min(info.width, info.height) >= 720 else "smpte170m"
        return picture.filter("setparams", colorspace=matrix)
    return picture


# ffmpeg's colour names that zscale also knows; anything else is read as unknown.
_ZSCALE_NAMES = frozenset({"bt709", "bt470m", "bt470bg", "smpte170m", "smpte240m", "bt2020", "smpte431", "smpte432",
                           "film", "ebu3213", "linear", "log100", "log316", "bt2020-10", "bt2020-12", "smpte2084",
                           "iec61966-2-4", "iec61966-2-1", "arib-std-b67", "fcc", "ycgco", "bt2020nc", "bt2020c",
                           "chroma-derived-nc", "chroma-derived-c", "ictcp"})


def _known(name: str | None, default: str) -> str:
    return name if name in _ZSCALE_NAMES else default


def _stereo(sound, channels: int, video: VideoSettings):
    """Mix any layout (mono, 5.1, ...) to stereo at the output rate; normalise loudness if asked to."""
    if channels == 1:  # both ears at the mono level, as a browser plays a mono file (not 3 dB down)
        sound = sound.filter("channelmap", map="0-0|0-1", channel_layout="stereo")
    # 5.1 and others: ffmpeg's standard downmix (centre and surrounds at -3 dB, LFE left out).
    sound = sound.filter("aformat", sample_rates=video.audio_rate, channel_layouts="stereo")
    if not video.loudness:
        return sound
    # One pass: loudnorm's dynamic mode with a 3 s look-ahead; it works at 192 kHz, so resample after.
    sound = sound.filter("loudnorm", I=video.loudness_target, TP=_TRUE_PEAK, LRA=_LOUDNESS_RANGE)
    return sound.filter("aformat", sample_rates=video.audio_rate, channel_layouts="stereo")


def _poster_outputs(picture, info: MediaInfo, size: tuple[int, int], targets: Mapping[str, Path],
                    video: VideoSettings, poster_at: float | None) -> list:
    """Write the poster frame as JPEG ("poster") and WebP ("poster-webp"), whichever ``targets`` name."""
    copies = _split(_poster_picture(picture, info, *size, poster_at), "split", len(targets))
    outputs = []
    if "poster" in targets:
        outputs.append(ffgraph.output(next(copies), file_arg(targets["poster"]), **_jpeg_options(video)))
    if "poster-webp" in targets:
        picture = next(copies).filter("scale", **_WEBP_SCALE).filter("format", "yuv420p")
        outputs.append(ffgraph.output(picture, file_arg(targets["poster-webp"]), **_webp_options(video)))
    return outputs


def _sprite_output(picture, info: MediaInfo, target: Path, video: VideoSettings):
    """Write the thumbnail sprite: one small tile every few seconds, in a grid."""
    layout = sprite_layout(info, video)
    picture = picture.filter("fps", fps=str(1 / layout.interval), eof_action="pass")
    picture = _jpeg_picture(picture, layout.tile_width, layout.tile_height)
    picture = picture.filter("tile", layout=f"{layout.columns}x{layout.rows}")
    return ffgraph.output(picture, file_arg(target), **_jpeg_options(video))


def _poster_picture(picture, info: MediaInfo, width: int, height: int, poster_at: float | None):
    """Take the frame at ``poster_at``, or the most representative of the first seconds (not a black lead-in)."""
    if poster_at is not None:
        return _jpeg_picture(picture.filter("trim", start=f"{poster_at:.3f}"), width, height)
    window = Fraction(min(info.duration or _POSTER_WINDOW, _POSTER_WINDOW)).limit_denominator(1000)
    # thumbnail keeps every frame of its batch in memory: compare one a second, at poster size (at least
    # two, so a clip shorter than a second still gives its frame).
    rate = max(Fraction(_POSTER_SAMPLES), 2 / window)
    picture = picture.filter("trim", end=f"{float(window):.3f}").filter("fps", fps=str(rate))
    return _jpeg_picture(picture, width, height).filter("thumbnail", n=max(2, math.ceil(window * rate)))


def h264_options(rung: VideoRung, fps: Fraction, video: VideoSettings, threads: int) -> dict:
    """Return the x264 and MP4 output options of one rung: CRF with its caps, fixed GOP, BT.709 tags."""
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


def _threads(top: int, pixels: int, top_pixels: int) -> int:
    """Give a rung x264 threads in proportion to its pixels: the top rung gets the setting, 360p one.

    The encoders run side by side, so the small ones need no frame threads of their own (each holds
    frames in flight: memory). The default setting, 1, gives every rung one thread: reproducible bytes.
    """
    return max(1, round(top * pixels / top_pixels)) if top else 0


def aac_options(video: VideoSettings) -> dict:
    """Return the AAC stereo output options every video and audio rendition uses."""
    return {"c:a": "aac", "b:a": video.audio_bitrate, "ac": 2, "ar": video.audio_rate, "flags:a": "+bitexact"}


def _jpeg_options(video: VideoSettings) -> dict:
    return {"frames:v": 1, "c:v": "mjpeg", "q:v": video.poster_quality, "f": "image2", "update": 1,
            "flags:v": "+bitexact", **_BITEXACT}


def _webp_options(video: VideoSettings) -> dict:
    return {"frames:v": 1, "c:v": "libwebp", "quality": video.poster_webp_quality, "f": "webp",
            "flags:v": "+bitexact", **_BITEXACT}


def _jpeg_picture(picture, width: int, height: int):
    return picture.filter("scale", width, height, **_JPEG_SCALE).filter("format", "yuv420p").filter("setsar", "1")


def demuxer(info: MediaInfo) -> str:
    """Force the demuxer probing chose, so ffmpeg cannot pick a different, unsafe one."""
    return info.format.split(",")[0]


def _size_for_short_side(width: int, height: int, short: int) -> tuple[int, int]:
    short -= short % 2
    if width >= height:
        return _even(width * short / height, width), short
    return short, _even(height * short / width, height)


def _even(value: float, limit: int) -> int:
    return max(2, min(2 * round(value / 2), limit - limit % 2))
