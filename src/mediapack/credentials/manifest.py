"""What each rendition's C2PA manifest says: the tool, what was done to the source, who made it, from what.

Pure functions of the story and the rendition: the same inputs give the same definition, which is part of
a signed file's cache key (signing itself is randomised).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..model import BuiltMedia, MediaItem, Rendition, Story

GENERATOR = "mediapack"
PARENT = "parent"  # the ingredient label of the source file, which c2pa.opened refers to
# IPTC's digital source type of a composite of captured media, such as the photo slideshow.
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/composite"
# What c2pa reads as an ingredient with its own manifest (a camera's); any other source is named, not read.
READABLE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/avif", "image/heic", "image/heif",
                            "image/tiff", "image/gif", "video/mp4", "video/quicktime", "audio/mp4", "audio/mpeg",
                            "audio/wav"})


@dataclass(frozen=True)
class Ingredient:
    """A file a rendition was made from: its label in the manifest, the file, how it was used, its title."""

    label: str
    path: Path
    relationship: str  # "parentOf" (the one source) or "componentOf" (a photo placed in a composition)
    # What the manifest calls it: the media id and the file's suffix, never the file's own name (a camera's
    # numbering, or a name that says where or whom), which stays in the newsroom like the original itself.
    title: str
    # Read by c2pa, so a manifest of its own (a camera's) stays in the chain; False: named only, as for a
    # source whose own manifest holds location or device data, which never leaves by default.
    read: bool = True

    def definition(self) -> dict:
        """Describe the ingredient as c2pa's Builder takes it."""
        # An instance id of our own: c2pa would otherwise copy the source's XMP xmpMM:InstanceID, which
        # identifies the original file (and can be looked up in the newsroom's or the photographer's archive).
        return {"title": self.title, "format": media_type(self.path), "relationship": self.relationship,
                "label": self.label, "instance_id": f"mediapack:{self.title}"}


def media_type(path: Path) -> str:
    """Return the MIME type of a file by its name ("application/octet-stream" when unknown)."""
    return {".heic": "image/heic", ".heif": "image/heif", ".avif": "image/avif", ".m4a": "audio/mp4",
            ".webp": "image/webp"}.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] \
        or "application/octet-stream"


def ingredients(story: Story, built: BuiltMedia, photos: tuple[MediaItem, ...]) -> tuple[Ingredient, ...]:
    """Return what a rendition of ``built`` was made from: its source, or the photos of a composition."""
    if built.composed:
        bed = story.compose.audio_bed if story.compose else None
        return (*(Ingredient(f"photo-{n}", story.folder / p.file, "componentOf", p.id + p.file.suffix.lower())
                  for n, p in enumerate(photos)),
                *((Ingredient("audio-bed", story.folder / bed, "componentOf", "audio-bed" + bed.suffix.lower()),)
                  if bed else ()))
    item = built.item
    return (Ingredient(PARENT, story.folder / item.file, "parentOf", item.id + item.file.suffix.lower()),)


def definition(built: BuiltMedia, rendition: Rendition, parts: tuple[Ingredient, ...]) -> dict:
    """Return the manifest definition of one rendition: generator, actions, CreativeWork, ingredients."""
    assertions = [{"label": "c2pa.actions", "data": {"actions": actions(built, rendition, parts)}}]
    if work := creative_work(built.item):
        assertions.append({"label": "stds.schema-org.CreativeWork", "data": work})
    return {"claim_generator_info": [{"name": GENERATOR, "version": __version__}],
            "title": rendition.path.name, "format": rendition.content_type.split(";")[0],
            "assertions": assertions}


def actions(built: BuiltMedia, rendition: Rendition, parts: tuple[Ingredient, ...]) -> list[dict]:
    """Say what was done to make the rendition, in C2PA's action names, first how it began."""
    if built.composed:
        return [{"action": "c2pa.created", "digitalSourceType": COMPOSITE},
                *({"action": "c2pa.placed", "parameters": {"ingredientIds": [p.label]}} for p in parts),
                {"action": "c2pa.edited.metadata"}]
    done = [{"action": "c2pa.opened", "parameters": {"ingredientIds": [PARENT]}}]
    width, height = built.info.width, built.info.height
    if rendition.width and rendition.height and width and height:
        if abs(rendition.width * height - rendition.height * width) > max(width, height):
            done.append({"action": "c2pa.cropped"})  # another shape: the square, a crop, a social cut
        if (rendition.width, rendition.height) != (width, height):
            done.append({"action": "c2pa.resized"})
    if rendition.name.startswith("social-"):
        done.append({"action": "c2pa.edited", "description": "credit and subtitles drawn on the picture"})
    done.append({"action": "c2pa.transcoded"})  # every rendition is encoded again
    done.append({"action": "c2pa.edited.metadata"})  # caption, credit and rights in; location, serials out
    return done


def creative_work(item: MediaItem) -> dict | None:
    """Return the schema.org CreativeWork of an item's creator, credit line, copyright and licence, if any."""
    work: dict = {}
    if item.creator:
        work["author"] = [{"@type": "Person", "name": item.creator}]
    if item.credit:
        work["creditText"] = item.credit
    if item.copyright:
        work["copyrightNotice"] = item.copyright
    if item.license:
        work["license"] = item.license
    return {"@context": "https://schema.org", "@type": "CreativeWork", **work} if work else None
