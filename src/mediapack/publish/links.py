"""Links and identifiers: a rendition's href, relative or under --base-url, and the story's and items' URIs."""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import quote

from ..model import Story, rendition_dir


def href_for(path: PurePath, slug: str, base_url: str | None) -> str:
    """Return a rendition's link: relative to the story folder, or absolute under ``base_url``."""
    rel = quote(PurePath(path).as_posix())
    if base_url is None:
        return rel
    return f"{base_url.rstrip('/')}/{quote(slug)}/{rel}"


def story_uri(slug: str, base_url: str | None) -> str:
    """Return the story's identifier: its folder URL under ``base_url``, else a mediapack URN."""
    return f"{base_url.rstrip('/')}/{quote(slug)}/" if base_url else f"urn:mediapack:{quote(slug)}"


def ninjs_uri(story: Story) -> str:
    """Return the story's stable identifier for partners: its ``uri``, else ``urn:mediapack:<slug>``.

    It never depends on --base-url, so a partner sees one story wherever it is hosted.
    """
    return story.uri or f"urn:mediapack:{quote(story.slug)}"


def item_uri(story_id: str, media_id: str) -> str:
    """Return a media item's identifier under its story's: ``<urn>:<id>``, or ``<url>/media/<id>``."""
    if story_id.startswith(("urn:", "URN:")):
        return f"{story_id}:{quote(media_id)}"
    return f"{story_id.rstrip('/')}/{quote(rendition_dir(media_id).as_posix())}"

