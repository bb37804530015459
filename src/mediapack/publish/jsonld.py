"""schema.org JSON-LD for search engines: the story as a NewsArticle with its ImageObjects and VideoObjects."""

from __future__ import annotations

from collections.abc import Sequence

from ..files import utc_stamp
from ..model import PHOTO, VIDEO, BuiltMedia, Publisher, Rendition, Story, lead_item_id
from .figures import poster_of
from .labels import iso_duration
from .links import href_for, story_uri


def make_jsonld(story: Story, media: Sequence[BuiltMedia], base_url: str | None) -> dict:
    """Describe the story for search engines as schema.org NewsArticle with its images and videos."""
    def href(r: Rendition) -> str:
        return href_for(r.path, story.slug, base_url)

    article: dict = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": story.headline}
    if base_url:
        article["url"] = article["mainEntityOfPage"] = story_uri(story.slug, base_url)
    if story.standfirst:
        article["description"] = story.standfirst
    if story.byline:
        urls = dict(story.byline_urls)
        article["author"] = [{"@type": "Person", "name": name, **({"url": urls[name]} if name in urls else {})}
                             for name in story.byline]
    if story.published:
        article["datePublished"] = utc_stamp(story.published)
    if story.updated or story.published:
        article["dateModified"] = utc_stamp(story.updated or story.published)
    article["inLanguage"] = story.language
    if story.section:
        article["articleSection"] = story.section
    if story.copyright:
        article["copyrightNotice"] = story.copyright
    if story.publisher:  # from [publisher] in mediapack.toml; never guessed from the copyright line
        article["publisher"] = _organization(story.publisher)
    media = [b for b in media if not b.composed]
    lead = lead_item_id({b.item.id: b.info for b in media})
    # The lead picture in the three ratios Google shows articles in, then every photo whole.
    crops = [_crop_object(b, r, href) for b in media if b.item.id == lead for r in _ratio_crops(b)]
    images = [_image_object(b, href) for b in media if b.info.kind == PHOTO]
    videos = [_video_object(story, b, href) for b in media if b.info.kind == VIDEO]
    images = [i for i in images if i]
    if not images:  # Google wants an article image: a video's poster stands in for missing photos
        images = [_poster_object(b, href) for b in media if b.info.kind == VIDEO]
        images = [i for i in images if i]
    if crops or images:
        article["image"] = crops + images
    if videos:
        article["video"] = videos
    return article


def _organization(publisher: Publisher) -> dict:
    """Describe the publisher as a schema.org Organization with its url and logo."""
    org: dict = {"@type": "Organization", "name": publisher.name}
    if publisher.url:
        org["url"] = publisher.url
    if publisher.logo:
        org["logo"] = {"@type": "ImageObject", "url": publisher.logo}
    return org


def _credits(item) -> dict:
    """Return the schema.org credit and licence fields an item has (what Google Images reads for licensable images)."""
    common = {k: v for k, v in (("creditText", item.credit), ("copyrightNotice", item.copyright),
                                ("license", item.license), ("acquireLicensePage", item.acquire_license_page)) if v}
    if item.creator:
        common["creator"] = {"@type": "Person", "name": item.creator}
    return common


def _image_object(built: BuiltMedia, href) -> dict | None:
    """Describe a photo by its largest JPEG, or return None if it has none."""
    jpegs = [r for r in built.renditions if r.role == "rendition" and r.content_type == "image/jpeg"
             and r.name != "square" and r.width]
    if not jpegs:
        return None
    top, item = max(jpegs, key=lambda r: r.width * (r.height or 0)), built.item
    return {"@type": "ImageObject", "contentUrl": href(top), "url": href(top),
            **({"caption": item.caption} if item.caption else {}), **_credits(item),
            "width": top.width, "height": top.height}


def _ratio_crops(built: BuiltMedia) -> list[Rendition]:
    """The 16:9, 4:3 and 1:1 crops of an item's picture (photo/crops.py), in that order."""
    return [r for r in built.renditions if r.role == "crop" and r.name.startswith("crop-")]


def _crop_object(built: BuiltMedia, crop: Rendition, href) -> dict:
    item = built.item
    return {"@type": "ImageObject", "contentUrl": href(crop), "url": href(crop),
            **({"caption": item.caption} if item.caption else {}), **_credits(item),
            "width": crop.width, "height": crop.height}


def _poster_object(built: BuiltMedia, href) -> dict | None:
    poster = poster_of(built)
    if poster is None:
        return None
    obj = {"@type": "ImageObject", "contentUrl": href(poster), "url": href(poster)}
    if poster.width and poster.height:
        obj.update(width=poster.width, height=poster.height)
    return obj


def _video_object(story: Story, built: BuiltMedia, href) -> dict:
    """Describe a video: name, description, thumbnail, upload date, ISO 8601 duration, best MP4."""
    item = built.item
    mp4 = sorted((r for r in built.renditions if r.role == "rendition" and r.content_type == "video/mp4"),
                 key=lambda r: -(r.height or 0))
    poster = poster_of(built)
    video = {"@type": "VideoObject", "name": item.caption or story.headline,
             "description": item.caption or item.alt or story.standfirst or story.headline}
    thumbnails = [href(r) for r in ([poster] if poster else []) + _ratio_crops(built)]
    if thumbnails:  # Google: thumbnails in several ratios let each surface pick its own
        video["thumbnailUrl"] = thumbnails if len(thumbnails) > 1 else thumbnails[0]
    if story.published or story.updated:
        video["uploadDate"] = utc_stamp(story.published or story.updated)
    if built.info.duration:
        video["duration"] = iso_duration(built.info.duration)
    if mp4:
        video["contentUrl"] = href(mp4[0])
    return {**video, **_credits(item)}


