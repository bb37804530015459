"""Who signs and the c2pa signer made from it: the one place c2pa-python signs anything."""

from __future__ import annotations

import io
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Self

from ..errors import BuildError
from .manifest import READABLE_TYPES, Ingredient, media_type


@dataclass(frozen=True)
class SigningSetup:
    """Who signs: the certificate chain and key, the algorithm, and what to show of the signer."""

    chain: bytes  # PEM certificates, the signer's first
    key: bytes = field(repr=False)  # PEM private key: handed to c2pa, never shown, logged or written
    alg: str  # c2pa's name for it: "es256", "es384", "es512", "ps256" or "ed25519"
    timestamp_url: str | None  # RFC 3161 authority; None: offline
    fingerprint: str  # sha256 of the signer's certificate (DER), hex: part of every signature's cache key
    subject: str  # the signer's certificate subject, RFC 4514
    signer: str  # the organisation, else the common name: what the page and manifest.json say
    expires: datetime
    origin: str  # where it was set: a mediapack.toml, or "the environment"


# Manifest thumbnails off: c2pa's default one made an 8.7 KB JPEG rendition about 90 KB.
_C2PA_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}}


class Signing:
    """A c2pa signer and context, open for one build; offline unless a timestamp URL is set."""

    def __init__(self, setup: SigningSetup, *, timestamp: bool = True):
        self.setup = setup
        self.timestamp = timestamp
        self._stack = ExitStack()

    def __enter__(self) -> Self:
        import c2pa  # only when signing: 50 ms to import

        self.c2pa = c2pa
        url = self.setup.timestamp_url if self.timestamp else None
        self.context = self._stack.enter_context(c2pa.Context.from_dict(_C2PA_SETTINGS))
        self.signer = self._stack.enter_context(c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(self.setup.alg, self.setup.chain, self.setup.key, url)))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def sign(self, unsigned: Path, target: Path, manifest: dict, parts: tuple[Ingredient, ...]) -> None:
        """Write ``unsigned`` with its manifest embedded to ``target``; a source c2pa cannot read is named only."""
        mime = manifest["format"]
        try:
            self._sign(unsigned, target, manifest, parts, read=True)
        except self.c2pa.C2paError:
            self._sign(unsigned, target, manifest, parts, read=False)  # a source c2pa cannot parse: named only
        if target.stat().st_size <= unsigned.stat().st_size:
            raise BuildError(f"{unsigned.name}: signing it as {mime} wrote no manifest")

    def _sign(self, unsigned: Path, target: Path, manifest: dict, parts: tuple[Ingredient, ...], *,
              read: bool) -> None:
        streamed = [p for p in parts if read and p.read and media_type(p.path) in READABLE_TYPES]
        named = [p.definition() for p in parts if p not in streamed]
        with ExitStack() as files:
            builder = files.enter_context(self.c2pa.Builder({**manifest, "ingredients": named}, self.context))
            for part in streamed:  # read, so a source signed at capture keeps its manifest in the chain
                builder.add_ingredient(part.definition(), media_type(part.path), files.enter_context(part.path.open("rb")))
            source = files.enter_context(unsigned.open("rb"))
            with target.open("wb") as out:
                builder.sign(self.signer, manifest["format"], source, out)

    def try_out(self) -> bytes:
        """Sign an 8x8 JPEG in memory and return it: c2pa checks the certificate as for every rendition."""
        from PIL import Image

        picture = io.BytesIO()
        Image.new("RGB", (8, 8)).save(picture, "JPEG")
        manifest = {"claim_generator_info": [{"name": "mediapack"}], "title": "test.jpg", "format": "image/jpeg",
                    "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                        {"action": "c2pa.created",
                         "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"}]}}]}
        signed = io.BytesIO()
        with self.c2pa.Builder(manifest, self.context) as builder:
            picture.seek(0)
            builder.sign(self.signer, "image/jpeg", picture, signed)
        return signed.getvalue()
