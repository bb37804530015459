"""The story's own files in the packages: sanitised of location and device data by default, pixels untouched.

A photographer's original carries where it was taken (EXIF GPS, XMP exif:GPS*, an MP4's location
atoms), the serial numbers of the camera and lens, the owner's name, maker notes and a thumbnail. In
a conflict zone that is a danger to them. So by default (``[packages] originals = "sanitised"``) the
packages hold copies without those: photos through exiv2 (pyexiv2), which edits the metadata and leaves
the compressed pixels as they are; video and audio by a stream copy that keeps only the editorial tags.
A file whose format cannot be sanitised that way (HEIC, AVIF and MPO for exiv2) is left out, with a
warning. "untouched" ships the originals as they came; "none" ships none.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..config import Settings
from ..errors import BuildError, InputError, single_line
from ..ffmpeg import FFmpeg, file_arg, input_args
from ..model import AUDIO, PHOTO, MediaInfo
from ..privacy import is_private_field
from ..video.outputs import encode_to_files
from .chunks import (
    MANIFEST_CONTAINERS,
    has_manifest,
    without_hidden_metadata,
    without_metadata,
    without_webp_xmp,
)

SANITISER_VERSION = 5  # in the cache key of a sanitised original: bump when what is removed changes
ED_NOTE = {"sanitised": "The originals in the packages have had their location, serial numbers, owner names, "
                        "maker notes and thumbnails removed; their pixels and streams are as they came.",
           "untouched": "The originals in the packages are the files as they came, with all their metadata.",
           "none": "The packages hold no originals."}
# Photo formats whose metadata blocks can go whole, by segment or chunk surgery, when exiv2 cannot parse them.
_STRIPPABLE_PHOTOS = {"JPEG", "PNG", "WEBP"}
# Photo formats exiv2 writes in place. HEIF and AVIF it reads only; an MPO's second picture has an EXIF
# block of its own that exiv2 does not reach.
_SANITISABLE_PHOTOS = {"JPEG", "PNG", "WEBP", "TIFF"}
# EXIF groups a camera's own tags live in (maker notes, decoded): anything but these standard ones.
_STANDARD_EXIF = {"Image", "Photo", "Iop"}
# Container tags a sanitised video or audio file keeps: the editorial ones. Everything else goes: the
# location (©xyz, com.apple.quicktime.location.ISO6709), the make, model and software of the device.
_KEPT_TAGS = {"title", "artist", "album_artist", "composer", "album", "comment", "description", "synopsis",
              "copyright", "genre", "date", "creation_time", "language", "track", "disc"}
_EXIV2_ERRORS = (RuntimeError, ValueError, OSError)  # pyexiv2 raises RuntimeError for what exiv2 refuses
_MUXERS = {"mov": "mov", "mp4": "mp4", "m4a": "ipod", "m4v": "mp4", "mkv": "matroska", "webm": "webm",
           "mka": "matroska", "mp3": "mp3", "wav": "wav", "flac": "flac", "ogg": "ogg", "opus": "ogg"}


def _dropped(key: str) -> bool:
    """Whether a sanitised photo loses this exiv2 key: a private field, a thumbnail (the uncropped picture), or
    the pointer to the extended XMP cut out of a JPEG."""
    return is_private_field(key) or "thumbnail" in key.lower() or key == "Xmp.xmpNote.HasExtendedXMP"


def unsanitisable(info: MediaInfo, path: Path) -> str | None:
    """Say why a file cannot be sanitised without re-encoding it, or None if it can be."""
    if info.kind == PHOTO:
        if info.format == "GIF":
            return _gif_problem(path.read_bytes())
        if info.format not in _SANITISABLE_PHOTOS:
            return f"{info.format} files cannot have their location removed without re-encoding them"
        if info.format not in MANIFEST_CONTAINERS and has_manifest(path.read_bytes()):
            return f"the Content Credentials inside a {info.format} file cannot be removed (they may hold its location)"
        if info.format not in _STRIPPABLE_PHOTOS and (error := _exiv2_complaint(path)):
            return f"its metadata cannot be read ({error}), so its location cannot be removed"
        return None
    if path.suffix.lower().lstrip(".") not in _MUXERS:
        return f"{path.suffix or 'these'} files cannot have their location removed without re-encoding them"
    return None


def unreadable_metadata(info: MediaInfo, path: Path) -> str | None:
    """Return exiv2's reason for not parsing the EXIF, XMP or IPTC of a photo whose metadata sanitising then drops
    whole (JPEG, PNG, WebP), or None. (A TIFF it cannot parse is left out: ``unsanitisable`` says so.)"""
    if info.kind != PHOTO or info.format not in _STRIPPABLE_PHOTOS:
        return None
    return _exiv2_complaint(path)


def _exiv2_complaint(path: Path) -> str | None:
    """Return exiv2's first complaint reading a photo's EXIF, XMP and IPTC, or None when it reads them."""
    pyexiv2 = _exiv2()
    try:  # from the file: exiv2 reads the metadata only, not the pixels
        with pyexiv2.Image(str(path)) as img:
            img.read_exif(), img.read_xmp(), img.read_iptc(encoding="iso-8859-1")
    except _EXIV2_ERRORS as exc:
        return single_line(str(exc).strip().split("\n")[0], 120)  # the first of its complaints
    return None


def _gif_problem(data: bytes) -> str | None:
    """GIF carries no EXIF; an XMP block would have to be cut out of its stream of blocks."""
    if b"XMP DataXMP" in data:  # the application extension holding a GIF's XMP
        return "its XMP cannot be removed from a GIF without rewriting it"
    return None


def sanitise(source: Path, info: MediaInfo, target: Path, settings: Settings, ff: FFmpeg | None) -> None:
    """Write ``source`` to ``target`` without location or device data; pixels and streams copied as they are."""
    if info.kind == PHOTO:
        sanitise_photo(source, info, target)
    else:
        if ff is None:
            raise BuildError(f"{source}: ffmpeg is needed to sanitise it")
        _sanitise_stream(source, info, target, settings, ff)


def sanitise_photo(source: Path, info: MediaInfo, target: Path) -> str:
    """Write a photo without location or device data, in memory (one read, one write); return its sha256."""
    data = source.read_bytes()
    if info.format == "GIF":
        if reason := _gif_problem(data):
            raise InputError(f"{source}: {reason}")
        target.write_bytes(data)
        return hashlib.sha256(data).hexdigest()
    if info.format == "JPEG":  # phones append a motion photo's video (with its location) after the end
        end = _jpeg_end(data)
        data = data[:end] if end is not None else data
    data = without_hidden_metadata(data, info.format)  # Content Credentials, extended XMP, PNG text…
    try:
        try:
            data = _through_exiv2(data, info.format)
        except _EXIV2_ERRORS:
            if info.format not in _STRIPPABLE_PHOTOS:
                raise
            # Metadata exiv2 cannot parse goes whole (check warned): nothing private can survive that.
            data = _through_exiv2(without_metadata(data, info.format), info.format)
        left = _left_behind(data)  # the promise, verified: exiv2 has failed to write a removal before
    except _EXIV2_ERRORS as exc:
        raise BuildError(single_line(f"{source}: cannot remove its location and device data: {exc}")) from None
    if left:
        raise BuildError(f"{source}: {left} is still in it after sanitising: it is not shipped (set [packages] "
                         'originals = "none" in mediapack.toml to build without originals)')
    target.write_bytes(data)
    # Hashed here, in the worker: the cache and the zips' SHA256SUMS would otherwise read it again, serially.
    return hashlib.sha256(data).hexdigest()


def _through_exiv2(data: bytes, fmt: str) -> bytes:
    """Return the photo without the EXIF, XMP and IPTC keys that are dropped, and without its thumbnail."""
    with _exiv2().ImageData(data) as img:
        exif, xmp, iptc = _private_keys(img)
        if exif:
            img.modify_exif(dict.fromkeys(exif))
        if xmp:
            img.modify_xmp(dict.fromkeys(xmp))
        if iptc:
            img.modify_iptc(dict.fromkeys(iptc))
        img.clear_thumbnail()
        emptied = fmt == "WEBP" and xmp and not img.read_xmp()
        data = img.get_bytes()
    # exiv2 writes a WebP's XMP packet back as it was read when none of its keys is left (WebPImage re-encodes
    # the packet only from non-empty XmpData): the chunk is cut out here instead.
    return without_webp_xmp(data) if emptied else data


def _private_keys(img) -> tuple[list[str], list[str], list[str]]:
    """Return the EXIF, XMP and IPTC keys of an open photo that a sanitised copy must not hold."""
    exif = [key for key in img.read_exif() if _dropped(key) or key.split(".")[1] not in _STANDARD_EXIF]
    xmp = [key for key in img.read_xmp() if _dropped(key)]
    # IIM City, Sub-location…: only the keys matter, and Latin-1 decodes any bytes (an IIM in Latin-1
    # or another charset would fail exiv2's UTF-8 decoding).
    iptc = [key for key in img.read_iptc(encoding="iso-8859-1") if _dropped(key)]
    return exif, xmp, iptc


def _left_behind(data: bytes) -> str | None:
    """Name an EXIF, XMP or IPTC key the sanitised bytes still hold that they must not, or None."""
    with _exiv2().ImageData(data) as img:
        return next((key for keys in _private_keys(img) for key in keys), None)


def _exiv2():  # pyexiv2, imported only when an original is sanitised or checked
    import pyexiv2

    pyexiv2.set_log_level(3)  # exiv2's warnings went to stderr as "[warn] …"; its errors still raise
    return pyexiv2


# A marker ending an entropy-coded scan: 0xFF followed by neither stuffing (00), a restart (D0-D7) nor fill (FF).
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_end(data: bytes) -> int | None:
    """Return the offset just past the main image's EOI (segments, then entropy-coded scans), or None."""
    at = 2
    while at + 2 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xD9:  # EOI
            return at + 2
        if marker in (0x01, *range(0xD0, 0xD8)) or marker == 0xFF:
            at += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        at += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data until a marker that is not stuffing or RST
            # One regex search in C: a loop over bytes took 1.4 s, bytes.find per 0xFF 11 ms, this 5 ms.
            if (found := _SCAN_END.search(data, at)) is None:
                return None
            at = found.start()
    return None


def _sanitise_stream(source: Path, info: MediaInfo, target: Path, settings: Settings, ff: FFmpeg) -> None:
    """Copy the video, audio and subtitle streams into a new container that keeps only editorial tags."""
    import av  # PyAV, to read the tags there are (already loaded by a build that probed this file)

    with av.open(file_arg(source), options={"protocol_whitelist": "file"}) as container:
        tags = {key: value for key, value in container.metadata.items() if key.lower() in _KEPT_TAGS}
    partial = target.with_name(target.name + ".partial")
    maps = ["-map", "0:a?"] if info.kind == AUDIO else ["-map", "0:v?", "-map", "0:a?", "-map", "0:s?"]
    args = [*input_args(source, fmt=info.format.split(",")[0]), *maps, "-c", "copy", "-map_metadata", "-1",
            "-map_metadata:s", "-1", "-map_chapters", "-1", "-fflags", "+bitexact"]
    for key, value in sorted(tags.items()):
        args += ["-metadata", f"{key}={value}"]
    args += ["-f", _MUXERS[source.suffix.lower().lstrip(".")], file_arg(partial)]
    encode_to_files(ff, args, source, info.duration, settings, None, {partial: target})
