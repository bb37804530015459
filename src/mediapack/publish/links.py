"""Links and identifiers: a rendition's href, relative or under --base-url, and the story's and items' URIs."""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import quote

from ..model import rendition_dir


def href_for(path: PurePath, slug: str, base_url: str | None) -> str:
    """Return a rendition's link: relative to the story folder, or absolute under ``base_url``."""
    rel = quote(PurePath(path).as_posix())
    if base_url is None:
        return rel
    return f"{base_url.rstrip('/')}/{quote(slug)}/{rel}"


def story_uri(slug: str, base_url: str | None) -> str:
    """Return the story's identifier: its folder URL under ``base_url``, else a mediapack URN."""
    return f"{base_url.rstrip('/')}/{quote(slug)}/" if base_url else f"urn:mediapack:{quote(slug)}"


def item_uri(slug: str, media_id: str, base_url: str | None) -> str:
    """Return a media item's identifier: its folder URL under ``base_url``, else a mediapack URN."""
    if base_url:
        return f"{story_uri(slug, base_url)}{quote(rendition_dir(media_id).as_posix())}/"
    return f"urn:mediapack:{quote(slug)}:{quote(media_id)}"

