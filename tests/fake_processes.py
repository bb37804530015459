"""Stand-in ffmpeg scripts and process checks shared by the ffmpeg and hostile-input tests."""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path


def fake_ffmpeg(folder: Path, body: str, name: str = "fake-ffmpeg") -> Path:
    """Write an executable Python script standing in for ffmpeg: ``-version`` and ``-encoders`` work."""
    script = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, subprocess, sys, time\n"
        "if sys.argv[1:] == ['-version']:\n"
        f"    print('ffmpeg version {name}-1.0 Copyright (c) fake'); sys.exit(0)\n"
        "if '-encoders' in sys.argv:\n"
        "    sys.exit(0)\n" + body, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie awaiting its parent counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_until_gone(pid: int) -> bool:
    """Poll until ``pid`` is gone (a kill is asynchronous); False if it still runs after 10 s."""
    for _ in range(200):
        if gone(pid):
            return True
        time.sleep(0.05)
    return False
