"""Share cards and search hints in the page's <head>: canonical link, Open Graph, Twitter card, robots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..files import utc_stamp
from ..i18n import og_locale
from ..model import PHOTO, VIDEO, BuiltMedia, Rendition, Story, lead_item_id
from ..photo.crops import SHARE
from .figures import poster_of
from .links import href_for, story_uri

OG_VIDEO_LINES = 720  # og:video is the 720p MP4, or the nearest rung below (platforms play it inline)


@dataclass(frozen=True)
class MetaTag:
    """One <meta>: its attribute ("property" for Open Graph, "name" otherwise), key and content."""

    attribute: str
    key: str
    content: str


def share_tags(story: Story, media: Sequence[BuiltMedia], base_url: str | None) -> tuple[str | None, list[MetaTag]]:
    """Return the canonical URL (None without ``base_url``) and the <meta> tags of the page's share cards.

    Without ``base_url`` every tag that needs an absolute URL is left out; the rest still help search.
    """
    def og(key: str, content: object) -> MetaTag:
        return MetaTag("property", key, str(content))

    def absolute(r: Rendition) -> str:
        return href_for(r.path, story.slug, base_url)

    canonical = story_uri(story.slug, base_url) if base_url else None
    tags = [MetaTag("name", "robots", "max-image-preview:large"), og("og:type", "article"),
            og("og:title", story.headline)]
    if story.standfirst:
        tags.append(og("og:description", story.standfirst))
    if canonical:
        tags.append(og("og:url", canonical))
    if story.publisher:
        tags.append(og("og:site_name", story.publisher.name))
    tags.append(og("og:locale", og_locale(story.language)))
    lead = _lead(media)
    image = _share_image(lead) if lead and base_url else None
    if image is not None:
        alt = lead.item.alt or lead.item.caption or story.headline
        tags += [og("og:image", absolute(image)), og("og:image:type", image.content_type)]
        tags += [og("og:image:width", image.width), og("og:image:height", image.height)] if image.width else []
        tags.append(og("og:image:alt", alt))
    video = _og_video(media) if base_url else None
    if video is not None:
        tags += [og("og:video", absolute(video)), og("og:video:type", video.content_type.split(";")[0]),
                 og("og:video:width", video.width), og("og:video:height", video.height)]
    if story.published:
        tags.append(og("article:published_time", utc_stamp(story.published)))
    if story.updated or story.published:
        tags.append(og("article:modified_time", utc_stamp(story.updated or story.published)))
    if story.section:
        tags.append(og("article:section", story.section))
    urls = dict(story.byline_urls)
    tags += [og("article:author", urls.get(name, name)) for name in story.byline]
    tags += [MetaTag("name", "twitter:card", "summary_large_image"), MetaTag("name", "twitter:title", story.headline)]
    if story.standfirst:
        tags.append(MetaTag("name", "twitter:description", story.standfirst))
    if image is not None:
        tags += [MetaTag("name", "twitter:image", absolute(image)),
                 MetaTag("name", "twitter:image:alt", lead.item.alt or lead.item.caption or story.headline)]
    return canonical, tags


def _lead(media: Sequence[BuiltMedia]) -> BuiltMedia | None:
    own = {b.item.id: b for b in media if not b.composed}
    lead = lead_item_id({media_id: b.info for media_id, b in own.items()})
    return own.get(lead) if lead else None


def _share_image(lead: BuiltMedia) -> Rendition | None:
    """The lead's share image; else its largest JPEG (a photo) or its poster (a video)."""
    share = next((r for r in lead.renditions if r.name == SHARE), None)
    if share is not None:
        return share
    if lead.info.kind == VIDEO:
        return poster_of(lead)
    jpegs = [r for r in lead.renditions if r.role == "rendition" and r.content_type == "image/jpeg" and r.width]
    return max(jpegs, key=lambda r: r.width * (r.height or 0), default=None) if lead.info.kind == PHOTO else None


def _og_video(media: Sequence[BuiltMedia]) -> Rendition | None:
    """The first video's 720p MP4, else its largest MP4 below 720 lines, else its smallest."""
    video = next((b for b in media if b.info.kind == VIDEO and not b.composed), None)
    if video is None:
        return None
    mp4 = sorted((r for r in video.renditions if r.role == "rendition" and r.content_type.startswith("video/mp4")
                  and r.width and r.height), key=lambda r: min(r.width, r.height))
    below = [r for r in mp4 if min(r.width, r.height) <= OG_VIDEO_LINES]
    return (below or mp4)[-1 if below else 0] if mp4 else None
