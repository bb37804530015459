"""Content Credentials read back: per file, valid or not, trusted or not, who signed it and what failed."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from ..errors import VerificationError, single_line
from ..privacy import is_private_field
from .manifest import media_type

if TYPE_CHECKING:
    from ..settings import Settings
    from .signer import SigningSetup

SIGNED_SUFFIXES = frozenset({".jpg", ".jpeg", ".webp", ".avif", ".mp4", ".m4a"})
_UNTRUSTED = "signingCredential.untrusted"  # reported as "not trusted", not as a failure
# Assertions that copy a capture's own metadata (EXIF, IPTC, XMP) into its manifest: one whose fields
# cannot be read is taken to hold private ones.
_METADATA_LABELS = ("stds.exif", "stds.iptc", "stds.xmp", "c2pa.metadata", "cawg.metadata")


@dataclass(frozen=True)
class Credentials:
    """What one file's Content Credentials say: its state, its signer and what failed."""

    name: str  # the file, relative to the output folder or zip
    state: str  # "invalid", "valid" (its signer unknown to the trust anchors) or "trusted"
    signer: str | None
    failures: tuple[str, ...] = ()

    @property
    def invalid(self) -> bool:
        return self.state == "invalid"

    def line(self, anchored: bool) -> str:
        """Describe the file's credentials on one line."""
        by = f", signed by {self.signer}" if self.signer else ""
        if self.invalid:
            return single_line(f"{self.name}: Content Credentials INVALID{by}: {'; '.join(self.failures)}", 1000)
        trust = ("trusted" if self.state == "trusted" else "not trusted by the trust anchors") if anchored else \
            "trust not checked (give --trust-anchors)"
        return single_line(f"{self.name}: Content Credentials valid, {trust}{by}", 1000)


def verify_output(path: Path, settings: Settings, given: Path | None, say: Callable[[str], None]) -> str:
    """Check a folder or zip against its SHA256SUMS and every signed file's credentials, showing each; return
    the line that says all is well, or raise VerificationError naming every problem."""
    from ..publish.checksums import verify
    from .setup import trust_anchors

    anchors = trust_anchors(settings, given)
    problems = verify(path)
    credentials, invalid = check_credentials(path, anchors, say)
    # An entry the zip cannot read back is damaged: c2pa's own words on it ("UntrackedPointer") add nothing.
    damaged = tuple(problem.split(": damaged (", 1)[0] + ": " for problem in problems if ": damaged (" in problem)
    problems += [problem for problem in invalid if not problem.startswith(damaged)]
    if problems:
        raise VerificationError(f"{path}: verification failed ({len(problems)} problem(s))",
                                problems=[single_line(f"{path}: {p}") for p in problems])  # each line says where
    signed = f"; {len(credentials)} file(s) carry valid Content Credentials" if credentials else ""
    return f"ok: {path}: every file matches SHA256SUMS{signed}"


def check_credentials(path: Path, anchors: bytes | None, say: Callable[[str], None]
                      ) -> tuple[list[Credentials], list[str]]:
    """Read and show the credentials of an output folder or zip; return them and the problems found: invalid
    ones, and files its manifest.json lists as signed that hold none."""
    try:
        credentials = read_credentials(path, anchors)
    except (zipfile.BadZipFile, OSError):
        return [], []  # the checksums already say it is damaged
    for found in credentials:
        if not found.invalid:
            say(found.line(anchors is not None))
    problems = [found.line(anchors is not None) for found in credentials if found.invalid]
    if path.is_dir():
        problems += [f"{name}: manifest.json says it was signed, but it holds no Content Credentials"
                     for name in sorted(signed_in_manifest(path) - {c.name for c in credentials})]
    return credentials, problems


def read_credentials(path: Path, anchors: bytes | None) -> list[Credentials]:
    """Read the credentials of every picture and MP4 in an output folder or package zip that has some."""
    return read_streams(_signable(path), anchors)


def read_streams(files: Iterable[tuple[str, BinaryIO]], anchors: bytes | None) -> list[Credentials]:
    """Read the credentials of each (name, stream) that has some; trusted means by these anchors."""
    import c2pa  # only when verifying

    settings = {"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors.decode("utf-8")}} \
        if anchors else {"verify": {"verify_trust": False}}
    found = []
    with c2pa.Context.from_dict(settings) as context:
        for name, stream in files:
            try:
                reader = c2pa.Reader.try_create(media_type(PurePosixPath(name)), stream, None, context)
            except c2pa.C2paError as exc:  # a manifest that cannot even be parsed
                found.append(Credentials(name, "invalid", None, (single_line(str(exc), 300),)))
                continue
            if reader is not None:
                with reader:
                    found.append(_described(name, reader))
    return found


def is_trusted(setup: SigningSetup, anchors: bytes) -> bool:
    """Whether the trust anchors trust the signer: sign a tiny picture offline and verify it with them."""
    from .signer import Signing

    with Signing(setup, timestamp=False) as signing:
        picture = signing.try_out()
    return read_streams([("test.jpg", io.BytesIO(picture))], anchors)[0].state == "trusted"


def _described(name: str, reader) -> Credentials:
    active = reader.get_active_manifest() or {}
    info = active.get("signature_info") or {}
    signer = info.get("issuer") or info.get("common_name")
    if info.get("common_name") and info.get("issuer") and info["common_name"] != info["issuer"]:
        signer = f"{info['issuer']} ({info['common_name']})"
    state = (reader.get_validation_state() or "Invalid").lower()
    results = (reader.get_validation_results() or {}).get("activeManifest") or {}
    failures = tuple(f"{f.get('code')}: {f.get('explanation', '')}".rstrip(": ")
                     for f in results.get("failure", []) if f.get("code") != _UNTRUSTED)
    if state not in ("valid", "trusted"):
        state = "invalid"
    return Credentials(name, state, single_line(signer, 200) if signer else None,
                       failures if state == "invalid" else ())


def _signable(path: Path) -> Iterator[tuple[str, BinaryIO]]:
    """Yield (name, open stream) for every file of the folder or zip that may carry credentials."""
    with ExitStack() as stack:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SIGNED_SUFFIXES):
                with file.open("rb") as stream:
                    yield file.relative_to(path).as_posix(), stream
            return
        archive = stack.enter_context(zipfile.ZipFile(path))
        for info in archive.infolist():
            if not info.is_dir() and PurePosixPath(info.filename).suffix.lower() in SIGNED_SUFFIXES:
                with archive.open(info) as stream:
                    yield info.filename, stream


def signed_in_manifest(folder: Path) -> set[str]:
    """Name the files an output folder's manifest.json says were signed (paths relative to the folder)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    hrefs = [t.get("href", "") for a in manifest.get("associations", []) if isinstance(a, dict)
             for t in a.get("trustIndicators", []) if isinstance(t, dict)]
    return {"media/" + h.split("/media/", 1)[1] if "/media/" in h else h for h in hrefs if isinstance(h, str)}


def private_credentials(path: Path) -> str | None:
    """Name the location or device fields a source's own Content Credentials hold (a camera's), or None."""
    import c2pa  # only when signing

    try:
        with path.open("rb") as stream:
            reader = c2pa.Reader.try_create(media_type(path), stream)
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except (OSError, ValueError, c2pa.C2paError):
        return None  # no manifest c2pa can read: nothing of it would travel
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            found.update(str(k) for k in value if is_private_field(str(k)))
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for manifest in store.get("manifests", {}).values():
        for assertion in manifest.get("assertions", []):
            label, data = str(assertion.get("label", "")), assertion.get("data")
            if is_private_field(label) or (label.startswith(_METADATA_LABELS) and not isinstance(data, dict)):
                found.add(label)
            walk(data)
    return ", ".join(sorted(found)[:5]) or None
