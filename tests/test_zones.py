"""Zones come from the tzdata package first: the same local times on any host, even one without a zone database."""

from __future__ import annotations

import pickle
import shutil
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from mediapack.config import load_settings
from mediapack.errors import ConfigError
from mediapack.zones import load_zone

JUNE = datetime(2026, 6, 20, 6, 0)
TEHRAN = timedelta(hours=3, minutes=30)


@pytest.fixture
def host_zones() -> Iterator[Callable[..., None]]:
    """Give the host the zone databases of a test (none: a slim container); the real ones come back after."""
    def use(*folders: Path) -> None:
        zoneinfo.reset_tzpath([str(folder) for folder in folders])
        zoneinfo.ZoneInfo.clear_cache()
        load_zone.cache_clear()

    yield use
    zoneinfo.reset_tzpath()
    zoneinfo.ZoneInfo.clear_cache()
    load_zone.cache_clear()


def test_a_host_without_a_zone_database_takes_a_newsrooms_zone(tmp_path: Path, host_zones) -> None:
    host_zones()
    (tmp_path / "mediapack.toml").write_text('[page]\ntimezone = "Asia/Tehran"\n', encoding="utf-8")
    assert load_settings(tmp_path).page.timezone == "Asia/Tehran"
    assert load_zone("Asia/Tehran").utcoffset(JUNE) == TEHRAN and str(load_zone("Asia/Tehran")) == "Asia/Tehran"
    (tmp_path / "mediapack.toml").write_text('[page]\ntimezone = "Asia/Teheran"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert "(did you mean `Asia/Tehran`?)" in "\n".join(caught.value.lines())


def test_the_packaged_rules_win_over_the_hosts(tmp_path: Path, host_zones) -> None:
    # A host whose Asia/Tehran says something else (here: UTC's rules), as an outdated system database would.
    (tmp_path / "Asia").mkdir()
    with resources.as_file(resources.files("tzdata.zoneinfo") / "UTC") as utc:
        shutil.copyfile(utc, tmp_path / "Asia" / "Tehran")
    host_zones(tmp_path)
    assert zoneinfo.ZoneInfo("Asia/Tehran").utcoffset(JUNE) == timedelta(0)  # the host's own, as the test wants
    assert load_zone("Asia/Tehran").utcoffset(JUNE) == TEHRAN


def test_a_zone_crosses_to_a_worker_process_by_name() -> None:
    zone = load_zone("Asia/Tehran")
    assert pickle.loads(pickle.dumps(zone)).utcoffset(JUNE) == TEHRAN


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/localtime", "Asia", "tzdata.zi", ""])
def test_a_name_that_is_no_zone_is_refused(name: str) -> None:
    with pytest.raises((LookupError, ValueError)):
        load_zone(name)
