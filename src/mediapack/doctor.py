"""mediapack doctor: what this machine gives the tool (ffmpeg, PyAV, Pillow) and what is missing."""

from __future__ import annotations

from collections.abc import Callable

import av
import PIL
import pillow_heif
from PIL import features

from .errors import ConfigError, EnvironmentProblem
from .ffmpeg import encoders, locate_ffmpeg
from .settings import Settings

REQUIRED_ENCODERS = {
    "libx264": "H.264 video renditions",
    "aac": "AAC audio",
    "mjpeg": "video posters and thumbnail sprites",
}
OPTIONAL_ENCODERS = {"libwebp": "WebP posters"}
PILLOW_FEATURES = {"jpg": "JPEG", "webp": "WebP", "avif": "AVIF", "littlecms2": "ICC colour management",
                   "libtiff": "TIFF", "zlib": "PNG",
                   "raqm": "right-to-left text in compositions (needs libfribidi)"}


def run_doctor(settings: Settings, emit: Callable[[str], None]) -> bool:
    """Print what the tool relies on; return False if a required piece is missing or broken."""
    ok = True
    try:
        ff = locate_ffmpeg(settings.ffmpeg.path)
    except EnvironmentProblem as exc:
        emit(f"ffmpeg:   MISSING - {exc.message}")
        ff = None
        ok = False
    if ff is not None:
        emit(f"ffmpeg:   {ff.path}")
        emit(f"version:  {ff.version}")
        have = encoders(ff)
        for name, purpose in {**REQUIRED_ENCODERS, **OPTIONAL_ENCODERS}.items():
            present = name in have
            required = name in REQUIRED_ENCODERS
            ok = ok and (present or not required)
            status = "ok" if present else ("MISSING" if required else "missing (optional)")
            emit(f"encoder:  {name:<10} {status:<20} {purpose}")
    emit(f"PyAV:     {av.__version__} (libavformat {'.'.join(map(str, av.library_versions['libavformat']))})")
    emit(f"Pillow:   {PIL.__version__}")
    emit(f"HEIF:     pillow-heif {pillow_heif.__version__} (libheif {pillow_heif.libheif_version()})")
    for name, purpose in PILLOW_FEATURES.items():
        present = bool(features.check(name))
        required = name in ("jpg", "zlib", "littlecms2")
        ok = ok and (present or not required)
        emit(f"feature:  {name:<10} {'ok' if present else 'MISSING' if required else 'missing (optional)':<20} {purpose}")
    ok = show_signing(settings, emit) and ok
    emit("status:   ok" if ok else "status:   problems found (exit 3)")
    return ok


def show_signing(settings: Settings, emit: Callable[[str], None]) -> bool:
    """Show who signs Content Credentials: subject, algorithm, expiry, trust; False if the set-up is unusable."""
    from .credentials.setup import ENV_CERT, ENV_KEY, signing_setup, trust_anchors
    from .credentials.verify import is_trusted

    try:
        setup, warnings = signing_setup(settings)
        anchors = trust_anchors(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            emit(f"signing:  PROBLEM - {problem}")
        return False
    if setup is None:
        emit(f"signing:  off (set {ENV_CERT} and {ENV_KEY}, or [signing] cert and key in a parent folder's "
             "mediapack.toml)")
        return True
    emit(f"signing:  {setup.subject} (set in {setup.origin})")
    emit(f"          {setup.alg.upper()}, expires {setup.expires:%Y-%m-%d}, "
         f"timestamps: {setup.timestamp_url or 'none (offline)'}")
    if anchors is None:
        emit("trust:    no trust anchors set ([signing] trust_anchors, MEDIAPACK_C2PA_TRUST_ANCHORS)")
    else:
        emit(f"trust:    {'trusted' if is_trusted(setup, anchors) else 'NOT trusted'} by the trust anchors")
    for warning in warnings:
        emit(f"warning:  {warning}")
    return True
