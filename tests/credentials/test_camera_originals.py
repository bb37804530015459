"""A photo a camera signed at capture: its manifest (location, serial) never reaches a package by default."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import c2pa
import pytest
from test_sign import one_photo_story, sign_as_camera

from conftest import run_cli


def test_sanitised_originals_lose_the_cameras_manifest_and_its_location(tmp_path: Path) -> None:
    story = one_photo_story(tmp_path / "story")
    sign_as_camera(story / "shot.jpg", tmp_path / "camera", {"label": "stds.exif", "data": {
        "@context": {"exif": "http://ns.adobe.com/exif/1.0/"}, "exif:GPSLatitude": "50,27.0N",
        "exif:BodySerialNumber": "SN-4711"}})
    assert c2pa.Reader("image/jpeg", io.BytesIO((story / "shot.jpg").read_bytes())).json()  # the camera signed it

    proc = run_cli("build", str(story), "--out", str(tmp_path / "dist"), "--no-cache")  # default settings
    assert proc.returncode == 0, proc.stderr
    (full,) = (tmp_path / "dist" / "located" / "packages").glob("*-full.zip")
    with zipfile.ZipFile(full) as archive:
        original = archive.read("originals/shot.jpg")
    assert b"GPSLatitude" not in original and b"SN-4711" not in original and b"jumb" not in original
    with pytest.raises(c2pa.C2paError):
        c2pa.Reader("image/jpeg", io.BytesIO(original))
    assert original.startswith(b"\xff\xd8") and original.endswith(b"\xff\xd9")
