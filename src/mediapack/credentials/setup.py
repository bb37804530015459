"""The signing set-up: the certificate chain and key that sign, from trusted settings or the environment.

A story folder's own mediapack.toml cannot name them (config.py refuses it). Each of MEDIAPACK_C2PA_CERT
and MEDIAPACK_C2PA_KEY holds a file's path or, as CI secrets usually do, the PEM text itself. The key is
read into memory and handed to c2pa only: no message, log line, record or output ever shows it.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, Findings, Problem, single_line
from ..rules import http_url
from ..settings import is_pem_text
from .signer import SigningSetup

if TYPE_CHECKING:
    from ..settings import Settings

ENV_CERT, ENV_KEY = "MEDIAPACK_C2PA_CERT", "MEDIAPACK_C2PA_KEY"
ENV_TIMESTAMP, ENV_ANCHORS = "MEDIAPACK_C2PA_TSA_URL", "MEDIAPACK_C2PA_TRUST_ANCHORS"
_MAX_SHOWN_PATH = 1024
_BASE64_RUN = re.compile(r"[A-Za-z0-9+=]{40,}")  # a key's base64 without its PEM lines; no path has one
_MAX_PEM_BYTES = 1_000_000
_SOON = 30  # days: a certificate expiring sooner is worth a warning
_HELP = ("the signer's certificate needs the digitalSignature key usage, an extended key usage C2PA accepts "
         "(emailProtection, or documentSigning) and an authority key identifier naming its issuer")


@dataclass(frozen=True)
class _Pem:
    """One PEM input: its text, what to call it in messages, and the file it came from (if any)."""

    text: bytes
    where: str
    file: Path | None


def signing_setup(settings: Settings) -> tuple[SigningSetup | None, tuple[Problem, ...]]:
    """Return the signing set-up (None when signing is off) and its warnings; raise ConfigError if unusable."""
    findings = Findings()
    chosen = _chosen(settings, findings)
    if chosen is None and not findings.errors:
        return None, ()
    setup = None
    if chosen is not None:
        cert, key, timestamp, origin = chosen
        setup = _load(cert, key, timestamp, origin, findings)
    if findings.errors:
        raise ConfigError(f"{len(findings.errors)} problem(s) in the signing set-up", findings.errors)
    return setup, tuple(findings.warnings)


def signing_identity(settings: Settings) -> str:
    """Digest who would sign (the certificate as given, the timestamp URL) without parsing anything; the key
    goes into no digest."""
    chosen = _chosen(settings, Findings())
    if chosen is None:
        return ""
    cert, _, timestamp, _ = chosen
    return hashlib.sha256(cert.text + b"\0" + (timestamp or "").encode()).hexdigest()


def trust_anchors(settings: Settings, given: Path | None = None) -> bytes | None:
    """Return the PEM trust anchors from --trust-anchors, else the settings, else the environment; or None."""
    value = str(given) if given is not None else (settings.signing.trust_anchors or os.environ.get(ENV_ANCHORS, ""))
    if not value:
        return None
    where = "--trust-anchors" if given is not None else "signing.trust_anchors"
    findings = Findings()
    pem = _read(value, where, findings)
    if pem is None:
        raise ConfigError(f"{len(findings.errors)} problem(s) in the trust anchors", findings.errors)
    return pem.text


def _chosen(settings: Settings, findings: Findings) -> tuple[_Pem, _Pem, str | None, str] | None:
    """Pick the certificate and key: both from the settings, else both from the environment."""
    signing = settings.signing
    if signing.cert or signing.key:
        origin = _setting_origin(settings)
        values = (signing.cert, "signing.cert"), (signing.key, "signing.key")
        timestamp = signing.timestamp_url or None
    else:
        origin = "the environment"
        values = (os.environ.get(ENV_CERT, ""), ENV_CERT), (os.environ.get(ENV_KEY, ""), ENV_KEY)
        timestamp = os.environ.get(ENV_TIMESTAMP) or None
        if timestamp and (problem := http_url(timestamp)):
            findings.error(None, ENV_TIMESTAMP, problem)
            return None
    if not any(value for value, _ in values):
        return None
    missing = [name for value, name in values if not value]
    for name in missing:
        other = next(n for _, n in values if n != name)
        findings.error(None, name, f"is not set, but {other} is: signing needs both the certificate and its key")
    if missing:
        return None
    cert, key = (_read(value, name, findings) for value, name in values)
    if cert is None or key is None:
        return None
    return cert, key, timestamp, origin


def _setting_origin(settings: Settings) -> str:
    return ", ".join(str(p) for p in settings.sources) or "mediapack.toml"  # [signing] is in one of them


def _read(value: str, where: str, findings: Findings) -> _Pem | None:
    """Read PEM text given inline or as a path; problems name the setting (and a path), never the text."""
    if is_pem_text(value):
        return _Pem(value.encode("utf-8"), where, None)
    path = Path(value).expanduser()
    shown = path if _plausible_path(value) else None  # else it may be key material without its PEM lines
    try:
        if path.stat().st_size > _MAX_PEM_BYTES:
            findings.error(shown, where, "is too large to be a PEM file")
            return None
        return _Pem(path.read_bytes(), f"{where} ({path})" if shown else where, path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in it
        reason = (exc.strerror if isinstance(exc, OSError) else None) or "not a file's path"  # str(exc) names it
        findings.error(shown, where, f"cannot read it: {reason}" if shown else
                       f"is neither PEM text nor the path of a file it can read ({reason})")
        return None


def _plausible_path(value: str) -> bool:
    """Whether a value may be shown as the path it is taken for: short, and no run of base64 like a key's."""
    return len(value) <= _MAX_SHOWN_PATH and not _BASE64_RUN.search(value)


def _load(cert: _Pem, key: _Pem, timestamp: str | None, origin: str, findings: Findings) -> SigningSetup | None:
    """Parse the chain and key, hold them to what C2PA signs with, and try them on a tiny picture."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    if key.file is not None and (mode := stat.S_IMODE(key.file.stat().st_mode)) & 0o077:
        findings.warn(key.file, None, f"the private key can be read by other users of this machine (mode "
                                      f"{mode:o}): run chmod 600 on it")
    try:
        chain = x509.load_pem_x509_certificates(cert.text)
    except ValueError:
        findings.error(None, cert.where, "is not a PEM certificate chain")
        return None
    try:
        private = serialization.load_pem_private_key(key.text, password=None)
    except TypeError:
        findings.error(None, key.where, "is encrypted: give the key unencrypted (keep it in a CI secret or a "
                                        "file only you can read)")
        return None
    except (ValueError, UnsupportedAlgorithm):
        findings.error(None, key.where, "is not a PEM private key")
        return None
    leaf = chain[0]
    alg = _algorithm(private)
    if alg is None:
        findings.error(None, key.where, f"is a {type(private).__name__.lstrip('_')}: C2PA signs with ES256, "
                                        "ES384, ES512 (EC keys), PS256 (RSA) or Ed25519")
        return None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        findings.error(None, key.where, f"is not the key of the first certificate in {cert.where}")
        return None
    now = datetime.now(UTC)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        findings.error(None, cert.where, f"is not valid now (from {leaf.not_valid_before_utc:%Y-%m-%d} to "
                                         f"{leaf.not_valid_after_utc:%Y-%m-%d})")
        return None
    if (leaf.not_valid_after_utc - now).days < _SOON:
        findings.warn(None, cert.where, f"expires on {leaf.not_valid_after_utc:%Y-%m-%d}")

    def name(oid) -> str:
        values = leaf.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    setup = SigningSetup(
        chain=cert.text, key=key.text, alg=alg, timestamp_url=timestamp,
        fingerprint=leaf.fingerprint(hashes.SHA256()).hex(), subject=leaf.subject.rfc4514_string(),
        signer=single_line(name(NameOID.ORGANIZATION_NAME) or name(NameOID.COMMON_NAME) or leaf.subject
                           .rfc4514_string(), 200),
        expires=leaf.not_valid_after_utc, origin=origin)
    if (problem := _refused(setup)) is not None:
        findings.error(None, cert.where, f"C2PA refuses to sign with it ({problem}): {_HELP}")
        return None
    return setup


def _algorithm(private) -> str | None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(private, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}.get(private.curve.name)
    if isinstance(private, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return "ed25519"
    return None


def _refused(setup: SigningSetup) -> str | None:
    """Sign an 8x8 picture offline, as the build will sign; return c2pa's reason if it refuses."""
    from c2pa import C2paError

    from .signer import Signing

    try:
        with Signing(setup, timestamp=False) as signing:
            signing.try_out()
    except C2paError as exc:
        return single_line(str(exc), 200)
    return None
