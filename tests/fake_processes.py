"""Stand-in ffmpeg scripts and process checks shared by the ffmpeg and hostile-input tests."""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path

# A stand-in ffmpeg that starts a child, writes both process ids to $PIDS_FILE (atomically, so a
# poller never reads half of it), reports some progress and then hangs.
HANGING_FFMPEG = """
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(os.environ["PIDS_FILE"] + ".tmp", "w") as handle:
    handle.write(f"{os.getpid()} {child.pid}")
os.replace(os.environ["PIDS_FILE"] + ".tmp", os.environ["PIDS_FILE"])
print("out_time_us=100000\\nprogress=continue", flush=True)
time.sleep(600)
"""


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
