"""End to end: build a tiny generated story and decode and check every file it writes."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

import av
import pytest
from PIL import Image

from conftest import make_tiny_story, run_cli

SLUG = "tiny-story-test"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the tiny story once with --json; share the result across this module's tests."""
    base = tmp_path_factory.mktemp("build")
    story = make_tiny_story(base / "tiny-story")
    out = base / "dist"
    proc = run_cli("build", str(story), "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    return {"story": story, "out": out, "root": out / SLUG, "summary": json.loads(proc.stdout)}


def test_json_summary_is_one_object_on_stdout(built: dict) -> None:
    summary = built["summary"]
    assert summary["ok"] is True and summary["exit_code"] == 0
    (story,) = summary["stories"]
    assert story["slug"] == SLUG
    assert Path(story["output"]) == built["root"]
    assert story["built"] > 0 and story["cached"] == 0
    assert sorted(Path(p).name for p in story["packages"]) == [f"{SLUG}-full.zip", f"{SLUG}-web.zip"]


def test_every_listed_output_exists(built: dict) -> None:
    root = built["root"]
    for name in ("index.html", "embed.html", "manifest.json", "article.txt", "SHA256SUMS",
                 f"packages/{SLUG}-web.zip", f"packages/{SLUG}-full.zip"):
        assert (root / name).is_file(), name
    assert not [p for p in built["out"].iterdir() if p.name.startswith(".")], "staging left behind"


def test_photo_renditions_decode_at_the_right_sizes(built: dict) -> None:
    media = built["root"] / "media"
    expected = {
        "one/small.jpg": (640, 480), "one/small.webp": (640, 480), "one/thumb.jpg": (320, 240),
        "one/square.jpg": (300, 300), "two/thumb.jpg": (256, 320), "two/square.jpg": (300, 300),
    }
    for rel, size in expected.items():
        with Image.open(media / rel) as img:
            img.load()
            assert img.size == size, rel
            assert img.mode == "RGB"
    assert not (media / "one" / "large.jpg").exists(), "never upscaled"


def test_video_rendition_poster_thumbnails_and_captions(built: dict) -> None:
    clip = built["root"] / "media" / "clip"
    mp4s = sorted(clip.glob("*.mp4"))
    assert [p.name for p in mp4s] == ["240p.mp4"], "a source below the smallest rung gets its own size"
    with av.open(str(mp4s[0])) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (320, 240)
        assert video.codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        assert abs(float(container.duration / 1_000_000) - 2.0) < 0.25
        frames = sum(1 for _ in container.decode(video=0))
        assert frames >= 45
    with Image.open(clip / "poster.jpg") as poster:
        assert poster.size == (320, 240)
    assert (clip / "thumbnails.jpg").is_file()
    vtt = (clip / "thumbnails.vtt").read_text()
    assert vtt.startswith("WEBVTT") and "#xywh=" in vtt
    captions = (clip / "captions.vtt").read_text()
    assert captions.startswith("WEBVTT") and "00:00:00.000 --> 00:00:01.500" in captions


def test_manifest_hrefs_exist_with_their_sizes(built: dict) -> None:
    root = built["root"]
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["type"] == "composite"
    assert manifest["headlines"][0]["value"] == "Tiny <story> & test"
    hrefs = [r for association in manifest["associations"] for r in association["renditions"]]
    assert hrefs
    for rendition in hrefs:
        path = root / rendition["href"]
        assert path.is_file(), rendition["href"]
        assert path.stat().st_size == rendition["sizeInBytes"]
        assert rendition["title"]


def test_page_has_download_links_and_escapes_captions(built: dict) -> None:
    html = (built["root"] / "index.html").read_text()
    assert "To download the video file click here" in html
    assert re.search(r'<a [^>]*href="media/clip/240p\.mp4"[^>]*download', html)
    assert f'href="packages/{SLUG}-web.zip"' in html
    assert "First &lt;em&gt;photo&lt;/em&gt;" in html and "<em>photo" not in html
    assert 'id="mediapack-manifest"' in html
    embedded = re.search(r'<script type="application/json" id="mediapack-manifest">(.*?)</script>', html, re.DOTALL)
    assert json.loads(embedded.group(1)) == json.loads((built["root"] / "manifest.json").read_text())
    embed = (built["root"] / "embed.html").read_text()
    assert "media/clip/240p.mp4" in embed and "<html" not in html[:0]
    text = (built["root"] / "article.txt").read_text()
    assert "Tiny <story> & test" in text and "First paragraph." in text


def test_packages_hold_their_own_manifest_and_checksums(built: dict) -> None:
    packages = built["root"] / "packages"
    with zipfile.ZipFile(packages / f"{SLUG}-web.zip") as web:
        names = web.namelist()
        assert web.testzip() is None
        assert names == sorted(names)
        assert {"index.html", "manifest.json", "SHA256SUMS", "media/clip/240p.mp4"} <= set(names)
        assert not any(n.startswith("originals/") for n in names)
        sums = dict(reversed(line.split("  ", 1)) for line in web.read("SHA256SUMS").decode().splitlines())
        for name in names:
            if name != "SHA256SUMS":
                assert sums[name] == hashlib.sha256(web.read(name)).hexdigest()
        assert web.getinfo("media/clip/240p.mp4").compress_type == zipfile.ZIP_STORED
    with zipfile.ZipFile(packages / f"{SLUG}-full.zip") as full:
        assert "originals/photos/one.jpg" in full.namelist()
        assert "originals/video/clip.mp4" in full.namelist()


def test_verify_passes_then_catches_tampering(built: dict, tmp_path: Path) -> None:
    root = built["root"]
    assert run_cli("verify", str(root)).returncode == 0
    assert run_cli("verify", str(root / "packages" / f"{SLUG}-web.zip")).returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    (copy / "article.txt").write_text("changed")
    proc = run_cli("verify", str(copy))
    assert proc.returncode == 4 and "article.txt" in proc.stderr


def test_rebuild_uses_the_cache_and_gives_identical_bytes(built: dict) -> None:
    root = built["root"]
    before = {p: p.read_bytes() for p in (root / "manifest.json", root / "packages" / f"{SLUG}-full.zip",
                                          root / "packages" / f"{SLUG}-web.zip", root / "index.html")}
    proc = run_cli("build", str(built["story"]), "--out", str(built["out"]), "--json")
    assert proc.returncode == 0, proc.stderr
    story = json.loads(proc.stdout)["stories"][0]
    assert story["built"] == 0 and story["cached"] > 0
    for path, data in before.items():
        assert path.read_bytes() == data, path.name


def test_a_failed_rebuild_leaves_the_previous_output_intact(built: dict) -> None:
    root = built["root"]
    manifest = (root / "manifest.json").read_bytes()
    story_md = built["story"] / "story.md"
    original = story_md.read_text()
    story_md.write_text(original.replace("published: 2026-06-20T09:30:00Z", "published: soon"))
    try:
        proc = run_cli("build", str(built["story"]), "--out", str(built["out"]))
        assert proc.returncode == 1 and "published" in proc.stderr
    finally:
        story_md.write_text(original)
    assert (root / "manifest.json").read_bytes() == manifest
    assert (root / "packages" / f"{SLUG}-web.zip").is_file()
