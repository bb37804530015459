"""IPTC IIM test data shared by the metadata and hostile-input tests: datasets and a JPEG APP13 splice."""

from __future__ import annotations

from pathlib import Path


def iim(*datasets: tuple[int, int, bytes]) -> bytes:
    """Encode IPTC IIM datasets (record, number, value)."""
    return b"".join(bytes([0x1C, rec, num]) + len(value).to_bytes(2, "big") + value
                    for rec, num, value in datasets)


def splice_app13(path: Path, iim_data: bytes) -> Path:
    """Splice a Photoshop APP13 segment (8BIM 0x0404 holding ``iim_data``) into a JPEG, after SOI."""
    resource = b"8BIM" + (0x0404).to_bytes(2, "big") + b"\x00\x00"  # empty, padded name
    resource += len(iim_data).to_bytes(4, "big") + iim_data + b"\x00" * (len(iim_data) % 2)
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + (len(payload) + 2).to_bytes(2, "big") + payload
    data = path.read_bytes()
    path.write_bytes(data[:2] + segment + data[2:])
    return path
