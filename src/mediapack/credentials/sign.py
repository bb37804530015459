"""Signing: every photo, poster, sprite, MP4 and composition gets its C2PA manifest as its last write.

Signing is randomised (new manifest ids, ECDSA), so a signed file is cached like a rendition, under a key
of the unsigned file's digest, the certificate's fingerprint and the manifest's content: a rebuild of an
unchanged story fetches the very same signed bytes, and its zips and SHA256SUMS stay byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import CacheEntry
from ..errors import BuildError, single_line
from ..files import file_digest
from ..model import PHOTO, PICTURE_ROLES, BuiltMedia, Rendition
from .manifest import Ingredient, definition, ingredients
from .signer import Signing, SigningSetup
from .verify import private_credentials

if TYPE_CHECKING:
    from ..context import BuildContext

SIGNED_TYPES = frozenset({"image/jpeg", "image/webp", "image/avif", "video/mp4", "audio/mp4"})
SIGNED_ROLES = PICTURE_ROLES | {"animation", "composition"}  # crops, share image, social cuts, slideshows too
SIGNATURE_VERSION = 2  # bump when what a signature holds changes: old cached signatures then miss


def is_signed_kind(rendition: Rendition) -> bool:
    """Whether a rendition is one the build signs: a picture or MP4 shown or downloaded, not a caption file."""
    return rendition.content_type.split(";")[0] in SIGNED_TYPES and rendition.role in SIGNED_ROLES


def sign_media(ctx: BuildContext, media: list[BuiltMedia]) -> list[BuiltMedia]:
    """Sign every photo rendition, poster, sprite, MP4 and composition, from the cache when unchanged."""
    setup = ctx.signing
    if setup is None:
        return media
    photos = tuple(m.item for m in media if m.info.kind == PHOTO and not m.composed)  # what a slideshow shows
    scratch = ctx.staging / ".signing"  # inside the staging folder: removed with it if the build dies
    scratch.mkdir()
    progress = ctx.reporter.task(f"{ctx.story.slug}: Content Credentials")
    try:
        with Signing(setup) as signing:
            result = []
            for built in media:
                ctx.workers.check()
                parts = tuple(replace(p, read=private_credentials(p.path) is None)
                              for p in ingredients(ctx.story, built, photos))
                signed = tuple(_signed(ctx, signing, built, r, parts, scratch) if is_signed_kind(r) else r
                               for r in built.renditions)
                result.append(replace(built, renditions=signed))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    progress(1.0)
    return result


def _signed(ctx: BuildContext, signing: Signing, built: BuiltMedia, rendition: Rendition,
            parts: tuple[Ingredient, ...], scratch: Path) -> Rendition:
    """Replace a rendition's file by its signed copy, fetched from the cache or signed now; return it."""
    path, setup = ctx.staging / rendition.path, ctx.signing
    manifest = definition(built, rendition, parts)
    sources = [(p.definition(), file_digest(p.path), p.read) for p in parts]  # a renamed media id: a new title
    key = signature_key(file_digest(path), setup, manifest, sources)
    copy = scratch / path.name
    if ctx.cache.fetch(key, scratch, rendition.path.parent) is None:
        try:
            signing.sign(path, copy, manifest, parts)
        except signing.c2pa.C2paError as exc:
            raise BuildError(single_line(f"{rendition.path}: cannot sign it: {exc}")) from None
        entry = replace(rendition, size_bytes=copy.stat().st_size)
        ctx.cache.store(key, scratch, CacheEntry((entry,), None))
    os.replace(copy, path)
    return replace(rendition, size_bytes=path.stat().st_size, signed_by=setup.signer)


def signature_key(unsigned_digest: str, setup: SigningSetup, manifest: dict, sources: list[tuple[dict, str, bool]]
                  ) -> str:
    """Return the cache key of a signed file: the bytes signed, by whom, saying what, about which sources."""
    payload = {"kind": "signature", "version": SIGNATURE_VERSION, "unsigned": unsigned_digest,
               "certificate": setup.fingerprint, "chain": hashlib.sha256(setup.chain).hexdigest(),
               "alg": setup.alg, "timestamp": setup.timestamp_url, "manifest": manifest, "sources": sources,
               "c2pa": _c2pa_version()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@cache
def _c2pa_version() -> str:
    from importlib.metadata import version

    return version("c2pa-python")  # another c2pa may write other bytes: its signatures are other entries
