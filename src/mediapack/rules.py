"""Rules for setting values, kept beside each option as field metadata: ranges, names, bitrates, suggestions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import Field, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

Rule = Callable[[Any], "str | None"]  # the problem with a value, or None if it is fine
# A host name (each label letters, digits and inner hyphens) or an IPv4 address; IPv6 in brackets.
_HOSTNAME = re.compile(r"(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?"
                       r"|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]+")
# A scheme, then printable ASCII without spaces or the characters a URI cannot carry unescaped.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]+")
_BITRATE = re.compile(r"(\d+(?:\.\d+)?)([kKMG]?)")
_BITRATE_UNITS = {"": 1, "k": 1000, "K": 1000, "M": 1_000_000, "G": 1_000_000_000}


def setting(default: Any, rule: Rule | None = None) -> Any:
    """Declare a settings field with its default and the rule its values must follow."""
    return field(default=default, metadata={"rule": rule} if rule else {})


def rule_of(spec: Field) -> Rule | None:
    """Return the rule declared for a settings field, if any."""
    return spec.metadata.get("rule")


def between(low: float, high: float, unit: str = "") -> Rule:
    """Allow numbers from ``low`` to ``high``, both included."""
    def check(value: float) -> str | None:
        if low <= value <= high:
            return None
        return f"must be from {low:g} to {high:g}{unit}, not {value:g}"
    return check


def one_of(*names: str) -> Rule:
    """Allow exactly these names; suggest the nearest for a typo."""
    def check(value: str) -> str | None:
        if value in names:
            return None
        return f"must be one of {', '.join(names)}, not {value!r}{did_you_mean(value, names)}"
    return check


def bitrate(low: int, high: int) -> Rule:
    """Allow a bitrate as ffmpeg writes one ("128k", "3M", "1500000") from ``low`` to ``high`` bits/s."""
    def check(value: str) -> str | None:
        bits = bits_per_second(value)
        if bits is None:
            return f'must be a bitrate like "128k" or "3M", not {value!r}'
        if not low <= bits <= high:
            return f"must be from {_rate(low)} to {_rate(high)}, not {value}"
        return None
    return check


def bits_per_second(value: object) -> float | None:
    """Read "128k", "3M" or "800000" as bits per second; None if it is not a bitrate."""
    match = _BITRATE.fullmatch(value) if isinstance(value, str) else None
    return float(match[1]) * _BITRATE_UNITS[match[2]] if match else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean `x`?)' for the choice closest to a misspelt ``word``, or ''."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _rate(bits: int) -> str:
    return f"{bits // 1_000_000}M" if bits % 1_000_000 == 0 else f"{bits // 1000}k"


def url_problem(url: str) -> str | None:
    """Say what makes ``url`` no usable http(s) URL (scheme, host, port, escapes, characters), or None."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "must not hold spaces or control characters"
    if bad := sorted(set(url) & set('"<>\\^`{|}')):
        return f"must not hold {''.join(bad)!r}: characters a URL cannot carry unescaped"
    if re.search(r"%(?![0-9A-Fa-f]{2})", url):
        return "has a '%' that is not an escape like %20"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        return "must start with https:// or http://"
    try:
        port = parts.port
    except ValueError:
        return "has a port that is not a number from 1 to 65535"
    if port == 0:
        return "has a port that is not a number from 1 to 65535"
    if not parts.hostname:
        return "must name a host, like https://media.example.org/stories"
    try:  # a host in another script (médias.example.org) is checked as the DNS writes it
        host = _ascii_host(parts.hostname)
    except UnicodeError:
        host = ""
    if not _HOSTNAME.fullmatch(host):
        return f"names no valid host ({parts.hostname!r})"
    if parts.username or parts.password:
        return "must not hold a user name or password"
    return None


def ascii_url(url: str) -> str:
    """Write a usable http(s) URL as links and sitemaps need it: the host in IDNA (punycode), the path's other
    characters as UTF-8 percent escapes ("https://média.example.org/städte" -> "https://xn--mdia-bpa.example.org/st%C3%A4dte")."""
    parts = urlsplit(url)
    netloc = _ascii_host(parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe="/%:@!$&'()*+,;=-._~"), parts.query, parts.fragment))


def _ascii_host(host: str) -> str:
    """Write a host as the DNS does: IDNA (punycode) for one in another script; UnicodeError if it cannot be."""
    return host if host.isascii() else host.encode("idna").decode("ascii")


def uri_problem(uri: str) -> str | None:
    """Say what makes ``uri`` no absolute URI (a URN like urn:newsroom:ferry, or an http(s) URL), or None."""
    if not _URI.fullmatch(uri):
        return "must be an absolute URI like urn:newsroom:2026:ferry or https://example.org/id/ferry"
    return url_problem(uri) if uri.lower().startswith(("http:", "https:")) else None


def uri_prefix(value: str) -> str | None:
    """Rule: empty, or the start of a URI that a story's slug completes (ending in '/' or ':')."""
    if not value:
        return None
    if problem := uri_problem(value + "slug"):
        return f"{problem}: {value!r}"
    if not value.endswith(("/", ":")):
        return f"must end with '/' or ':', so the slug is a part of its own: {value!r}"
    return None


def http_url(value: str) -> str | None:
    """Rule: an http(s) URL, such as a licence's."""
    problem = url_problem(value)
    return f"{problem}: {value!r}" if problem else None
