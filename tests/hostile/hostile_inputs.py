"""Hostile inputs shared by tests/hostile: text, forged files and traps that notice being opened."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import struct
import threading
import zlib
from pathlib import Path

from iptc_files import iim, splice_app13

# Markup, template syntax, Rich markup, an ANSI colour, an OSC title change, a C1 CSI and a bell.
HOSTILE = ("<script>alert(1)</script> {{ 7*7 }} {% raw %} [bold]red[/bold] "
           "\x1b[31mansi\x1b]0;pwned\x07 \x9b2Jcsi & 'q' \"qq\"")
# What a reader may see of it once control characters are dropped (or folded into spaces).
VISIBLE = ("<script>alert(1)</script>", "{{ 7*7 }}", "{% raw %}", "[bold]red[/bold]")
# A raw control character in an output file: C0 (tab and newline apart), DEL and C1.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A terminal escape: ESC, C1 CSI/OSC (as characters or as UTF-8 bytes decoded leniently), or BEL.
TERMINAL_ESCAPE = re.compile(r"[\x1b\x07\x9b\x9d]")


def yaml_text(value: str) -> str:
    """Quote any text as a YAML double-quoted scalar (JSON escapes are YAML escapes)."""
    return json.dumps(value, ensure_ascii=True)


def snapshot(root: Path) -> dict[str, object]:
    """Describe every entry under ``root`` (links by target, files by size, mtime and mode), not following links."""
    found: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                found[rel] = ("file", info.st_size, info.st_mtime_ns, stat.S_IMODE(info.st_mode))
            else:
                found[rel] = ("other", stat.S_IFMT(info.st_mode))
    return found


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def forged_png(path: Path, width: int, height: int, extra: bytes = b"", idat: bytes | None = None) -> Path:
    """Write a PNG whose header claims ``width`` x ``height`` (1-bit grey), with ``extra`` chunks before IDAT.

    Without ``idat`` the pixel data is a few bytes: a decompression bomb by pixel count costs nothing to make.
    """
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(b"\0" * 64)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + extra + png_chunk(b"IDAT", idat)
                     + png_chunk(b"IEND", b""))
    return path


def text_bomb(kind: bytes, megabytes: int = 1024) -> bytes:
    """Return a zTXt or iTXt chunk whose text would inflate to ``megabytes`` MB, from about 1 KB per MB.

    Each megabyte is deflated once and repeated: a full flush makes every copy the same bytes. (The
    stream's checksum is wrong, which only a reader inflating all of it would ever find out.)
    """
    packer = zlib.compressobj(9)
    head = packer.compress(b"A" * (1 << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(b"A" * (1 << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    packed = head + block * (megabytes - 1) + packer.flush()
    body = b"Comment\0\0" + packed if kind == b"zTXt" else b"Comment\0\1\0\0\0" + packed
    return png_chunk(kind, body)


def with_iptc(path: Path, caption: str, credit: str) -> Path:
    """Splice an IPTC IIM block (UTF-8, caption 2:120, credit 2:110) into an existing JPEG."""
    return splice_app13(path, iim((1, 90, b"\x1b%G"), (2, 120, caption.encode()), (2, 110, credit.encode())))


class FifoTrap:
    """A FIFO whose writer notes whether anything opened it for reading (and then gives it EOF at once)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        self.opened: list[bool] = []
        self._thread = threading.Thread(target=self._write, daemon=True)
        self._thread.start()

    def _write(self) -> None:
        with open(self.path, "wb"):  # blocks until a reader opens the FIFO
            self.opened.append(True)

    def close(self) -> bool:
        """Release the writer; return whether anything opened the FIFO before."""
        was_opened = bool(self.opened)
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._thread.join(timeout=10)
        os.close(fd)
        return was_opened


class ListeningSocket:
    """A local TCP port that records whether anything connected to it."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def connected(self) -> bool:
        """Close the port; return whether a connection was waiting."""
        try:
            conn, _ = self.sock.accept()
            conn.close()
            return True
        except BlockingIOError:
            return False
        finally:
            self.sock.close()
