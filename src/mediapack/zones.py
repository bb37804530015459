"""Time zones by IANA name, from the tzdata package first: the same rules whatever the host has installed."""

from __future__ import annotations

import functools
import re
import zoneinfo
from importlib import resources

# An IANA name: "Asia/Tehran", "America/Argentina/Buenos_Aires", "Etc/GMT+5"; never a path out of the database.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")


class PackagedZone(zoneinfo.ZoneInfo):
    """A zone read from the tzdata package; pickled by name (a worker process reads it again)."""

    def __reduce__(self) -> tuple:
        return load_zone, (self.key,)


@functools.cache
def load_zone(name: str) -> zoneinfo.ZoneInfo:
    """Return the zone ``name`` from the tzdata package, else the system's database; ZoneInfoNotFoundError if none."""
    if _ZONE_NAME.fullmatch(name):
        try:
            with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as data:
                return PackagedZone.from_file(data, key=name)
        except (OSError, ValueError, ModuleNotFoundError):  # not in the package (or not a zone file): ask the host
            pass
    try:
        return zoneinfo.ZoneInfo(name)
    except OSError as exc:  # "Asia" is a folder of the host's database, not a zone
        raise zoneinfo.ZoneInfoNotFoundError(f"no time zone named {name!r}") from exc


def zone_names() -> set[str]:
    """Return every zone name known, in the tzdata package or on the host."""
    return zoneinfo.available_timezones()
