"""The slideshow: a title card, then each photo panning towards its focal point, captioned, with cross-fades."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

from moviepy import VideoClip
from PIL import Image

from ..errors import InputError, single_line
from ..ffmpeg import FFmpeg
from ..model import AUDIO, VIDEO, BuiltMedia, ComposeRequest, Rendition, Story, rendition_dir
from ..photo.decode import decode_upright
from ..probe import main_stream_index, probe_file
from ..settings import Settings
from ..story.compose_request import FORMATS, SLIDESHOW
from ..video.frames import AudioTrack
from ..video.outputs import MP4, measure_mp4
from ..video.plan import demuxer
from .clips import Overlays, RecentPhotos, cover_size, crossfade_sequence, pan_and_zoom, still_clip
from .drawn import title_words
from .encode import encode_clip, progress_part
from .text import lower_third, title_card

FPS = 25  # of the slideshow; a social cut keeps its video's rate
TITLE_SECONDS, FADE_SECONDS, BED_FADE_SECONDS = 3.0, 0.75, 2.0


def slideshow_timing(seconds_per_photo: float) -> tuple[int, int, int]:
    """Return the frames of the title card, of each photo and of each cross-fade."""
    return (round(min(TITLE_SECONDS, seconds_per_photo) * FPS), round(seconds_per_photo * FPS),
            round(min(FADE_SECONDS, seconds_per_photo / 4) * FPS))


def make_slideshow(story: Story, photos: Sequence[BuiltMedia], story_folder: Path, out_root: Path,
                   request: ComposeRequest, settings: Settings, ff: FFmpeg,
                   on_progress: Callable[[float], None] | None = None) -> tuple[Rendition, ...]:
    """Write media/slideshow/<format>.mp4: a title card, then each photo moving to its focus, captioned."""
    if not photos:
        raise InputError(single_line(f"{story.source}: compose.slideshow: the story has no photos"))
    bed = _audio_bed(story_folder / request.audio_bed) if request.audio_bed else None
    title, per_photo, fade = slideshow_timing(request.seconds_per_photo)
    frames = title + len(photos) * (per_photo - fade)
    folder = out_root / rendition_dir(SLIDESHOW)
    folder.mkdir(parents=True, exist_ok=True)
    headline, kicker, byline = title_words(story)
    renditions = []
    for index, name in enumerate(request.formats):
        size = FORMATS[name]
        pictures = RecentPhotos()
        clips = [still_clip(title_card(size, headline, [byline], kicker), title / FPS)]
        clips += [_photo_clip(built, story_folder, size, per_photo / FPS, pictures, settings,
                              zoom_in=n % 2 == 0) for n, built in enumerate(photos)]
        target = folder / f"{name}.mp4"
        encode_clip(crossfade_sequence(clips, fade / FPS), frames, Fraction(FPS), size, target, settings, ff,
                    story.source, bed, progress_part(on_progress, index, len(request.formats)))
        renditions.append(measure_mp4(f"slideshow-{name}", target, folder.relative_to(out_root), MP4,
                                      "composition"))
    return tuple(renditions)


def _photo_clip(built: BuiltMedia, story_folder: Path, size: tuple[int, int], seconds: float,
                pictures: RecentPhotos, settings: Settings, *, zoom_in: bool) -> VideoClip:
    """Pan and zoom over a photo towards its focal point, with its caption and credit as a lower third."""
    source = story_folder / built.item.file
    full = (built.info.width, built.info.height)
    focus = ((built.poi[0] + 0.5) / full[0], (built.poi[1] + 0.5) / full[1]) if built.poi else (0.5, 0.5)

    def load() -> Image.Image:  # once per photo and format, when its first frame is wanted
        upright = decode_upright(source, max(cover_size(full, size)), settings.photos.max_pixels)
        return upright.resize(cover_size(upright.size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)

    clip = pan_and_zoom(lambda: pictures.get(source, load), focus, size, seconds, zoom_in=zoom_in)
    caption = lower_third(size, built.item.caption, built.item.credit)
    return clip.with_effects([Overlays(((0.0, math.inf, caption),))]) if caption else clip


def _audio_bed(path: Path) -> AudioTrack:
    """Open the audio bed laid under the slideshow, faded out at its end."""
    info = probe_file(path)
    index = main_stream_index(info, "audio") if info.kind in (AUDIO, VIDEO) else None
    if index is None:
        raise InputError(single_line(f"{path}: compose.audio_bed: has no audio stream"))
    return AudioTrack(path, demuxer(info), index, BED_FADE_SECONDS)


