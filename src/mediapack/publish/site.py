"""The files at the top of OUT that describe every story in it: ``_headers`` for a static host, and
with ``--base-url`` the feed and sitemaps (feeds.py, sitemaps.py).

A page's ``download`` attribute names a saved file ``<slug>-<id>-<file>``, but browsers ignore it
for a link to another origin (the page on the CMS, the files on a CDN) and open a JPEG, an MP4 or a
VTT in the tab instead. ``_headers``, in the format Netlify and Cloudflare Pages read, sends
``Content-Disposition: attachment`` with the same name for every download link's target, and the
right ``Content-Type`` for every file (hosts guess ``.vtt`` and ``.m4a`` wrongly or not at all), and
lets a page on any origin read them: a captions track from another origin loads only over CORS.
It is made anew from every story's manifest after each build, so it always covers the whole site.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from ..files import write_atomic
from ..records import built_stories
from .downloads import downloads
from .feeds import FEED, rss_feed, site_story
from .manifest import story_url
from .sitemaps import NEWS_SITEMAP, VIDEO_SITEMAP, news_sitemap, video_sitemap

HEADERS = "_headers"
# By extension, fixed here rather than read from the machine's mime.types: the same on every machine.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".webp": "image/webp", ".avif": "image/avif", ".gif": "image/gif", ".heic": "image/heic",
    ".tif": "image/tiff", ".tiff": "image/tiff", ".mp4": "video/mp4", ".m4v": "video/mp4",
    ".mov": "video/quicktime", ".webm": "video/webm", ".mkv": "video/x-matroska", ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg",
    ".opus": "audio/ogg", ".srt": "application/x-subrip", ".zip": "application/zip",
    ".xml": "application/xml", ".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment",
}
_NAMED = {"SHA256SUMS": "text/plain; charset=utf-8", FEED: "application/rss+xml; charset=utf-8",
          NEWS_SITEMAP: "application/xml; charset=utf-8", VIDEO_SITEMAP: "application/xml; charset=utf-8"}


def write_site_files(out_dir: Path, base_url: str | None = None) -> None:
    """Rewrite the site-wide files at the top of ``out_dir`` from every story built there.

    ``_headers`` always; with ``base_url`` also feed.xml, sitemap-news.xml and sitemap-video.xml,
    which need absolute URLs. A story removed from ``out_dir`` drops out of all of them.
    """
    with _site_lock(out_dir):
        stories = [(slug, manifest) for slug in built_stories(out_dir)
                   if (manifest := _read_manifest(out_dir / slug)) is not None]
        blocks = [block for slug, manifest in stories for block in _story_blocks(out_dir / slug, slug, manifest)]
        site_files: tuple[tuple[str, bytes], ...] = ()
        if base_url:
            listed = [story for _, manifest in stories if (story := site_story(manifest)) is not None]
            site_files = ((FEED, rss_feed(listed, base_url)), (NEWS_SITEMAP, news_sitemap(listed)),
                          (VIDEO_SITEMAP, video_sitemap(listed)))
            top = urlsplit(base_url).path.rstrip("/") + "/"
            blocks += [f"{quote(top + name, safe='/-._~')}\n  Content-Type: {content_type(PurePosixPath(name))}\n"
                       "  X-Content-Type-Options: nosniff\n" for name, _ in site_files]
        text = ("# Made by mediapack from every story's manifest.json; rewritten after each build.\n"
                "# Netlify and Cloudflare Pages read it; see the README for nginx.\n\n" + "\n".join(blocks))
        _write_if_changed(out_dir / HEADERS, text.encode("utf-8"))
        for name, data in site_files:
            _write_if_changed(out_dir / name, data)


def _write_if_changed(path: Path, data: bytes) -> None:
    """Write atomically, and only new bytes: a host syncing OUT sees no change where there is none."""
    if not path.is_file() or path.read_bytes() != data:
        write_atomic(path, data)


def _read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not a story mediapack finished (or removed since): nothing to describe
    return manifest if isinstance(manifest, dict) else None


def content_type(path: PurePosixPath) -> str:
    """Say a file's Content-Type from its name."""
    return _NAMED.get(path.name) or CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def attachment(filename: str) -> str:
    """Make a Content-Disposition value that saves the file as ``filename`` (RFC 6266, RFC 8187)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    value = f'attachment; filename="{plain}"'
    return value if plain == filename else f"{value}; filename*=UTF-8''{quote(filename, safe='')}"


def _story_blocks(folder: Path, slug: str, manifest: dict) -> Iterator[str]:
    uri = story_url(manifest)
    prefix = _url_path(uri, slug)
    names = {_relative(link["href"], uri): link["filename"]
             for group in downloads(manifest) for link in group["links"]}
    for path in sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()):
        lines = [f"  Content-Type: {content_type(PurePosixPath(path))}", "  X-Content-Type-Options: nosniff",
                 "  Access-Control-Allow-Origin: *"]  # a player on another origin reads captions over CORS
        if path in names:
            lines.append(f"  Content-Disposition: {attachment(names[path])}")
        yield "\n".join([quote(prefix + path, safe="/-._~"), *lines]) + "\n"


def _url_path(uri: str, slug: str) -> str:
    """Say where the story is served: the path of its ``--base-url`` folder, else ``/<slug>/`` at the top."""
    path = urlsplit(uri).path if uri.startswith(("http://", "https://")) else ""
    return unquote(path.rstrip("/")) + "/" if path.strip("/") else f"/{slug}/"


def _relative(href: str, story_uri: str) -> str | None:
    """Turn a download link into the file's path inside the story folder (None if it is elsewhere)."""
    if story_uri.startswith(("http://", "https://")) and href.startswith(story_uri):
        href = href[len(story_uri):]
    parts = urlsplit(href)
    return None if parts.scheme or parts.netloc else unquote(parts.path)


@contextmanager
def _site_lock(out_dir: Path) -> Iterator[None]:
    """Let one build at a time rewrite the site files (stories of a batch, or two builds into one OUT)."""
    path = out_dir / ".mediapack" / "site.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
