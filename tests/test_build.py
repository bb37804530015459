"""End to end: build a tiny generated story and decode and check every file it writes."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import av
import pytest
from PIL import Image

from conftest import SLUG, make_photo, make_tiny_story, make_video, run_cli, write_story
from mediapack.photo.metadata import read_embedded_metadata
from mediapack.records import RECORDS


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
    assert not [p for p in built["out"].iterdir() if p.name.startswith(".") and p.name != RECORDS], \
        "staging left behind"


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


def test_uncached_builds_of_a_moved_copy_are_byte_identical(built: dict, tmp_path: Path) -> None:
    import os  # only this test sets file times

    copy = shutil.copytree(built["story"], tmp_path / "elsewhere" / "renamed-story")
    for path in [copy, *copy.rglob("*")]:
        os.utime(path, (946_684_800, 946_684_800))  # 2000-01-01: far from the original's times
    for story, out in ((built["story"], tmp_path / "first"), (copy, tmp_path / "second")):
        proc = run_cli("build", str(story), "--out", str(out), "--no-cache")
        assert proc.returncode == 0, proc.stderr
    first, second = tmp_path / "first" / SLUG, tmp_path / "second" / SLUG
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert {"manifest.json", f"packages/{SLUG}-web.zip", f"packages/{SLUG}-full.zip"} <= set(files)
    for root in (second, built["root"]):  # the cached build of the module fixture too
        assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == files
        for rel in files:
            assert (root / rel).read_bytes() == (first / rel).read_bytes(), rel
    for name in ("manifest.json", "index.html", "article.txt"):
        text = (second / name).read_text(encoding="utf-8")
        assert str(tmp_path) not in text and str(built["story"]) not in text, name


def test_package_profiles_from_mediapack_toml_shape_the_zips_and_the_downloads(tmp_path: Path) -> None:
    story = make_tiny_story(tmp_path / "story")
    (story / "mediapack.toml").write_text(
        '[packages.web]\ninclude = ["**"]\nexclude = ["originals/**", "media/*/*.webp"]\n\n'
        '[packages.social]\ninclude = ["index.html", "media/*/240p.mp4"]\n', encoding="utf-8")
    proc = run_cli("build", str(story), "--out", str(tmp_path / "dist"), "--json", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "dist" / SLUG
    packages = [Path(p).name for p in json.loads(proc.stdout)["stories"][0]["packages"]]
    assert packages == [f"{SLUG}-web.zip", f"{SLUG}-full.zip", f"{SLUG}-social.zip"]

    with zipfile.ZipFile(root / "packages" / f"{SLUG}-social.zip") as social:
        assert social.namelist() == ["SHA256SUMS", "index.html", "manifest.json", "media/clip/240p.mp4"]
        (clip,) = json.loads(social.read("manifest.json"))["associations"]
        assert [r["href"] for r in clip["renditions"]] == ["media/clip/240p.mp4"]
    outputs = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    with zipfile.ZipFile(root / "packages" / f"{SLUG}-web.zip") as web:
        expected = {n for n in outputs if not n.startswith("packages/") and not n.endswith(".webp")}
        assert set(web.namelist()) == expected and "media/one/small.jpg" in expected
    for name in packages:
        assert run_cli("verify", str(root / "packages" / name)).returncode == 0, name

    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    social_entry = manifest["renditions"][2]
    assert social_entry["href"] == f"packages/{SLUG}-social.zip"
    assert social_entry["sizeInBytes"] == (root / social_entry["href"]).stat().st_size
    html = (root / "index.html").read_text(encoding="utf-8")
    link = re.search(rf'<a href="packages/{SLUG}-social\.zip" download[^>]*>(.*?)</a>', html)
    size = social_entry["title"].rpartition(" · ")[2]  # the link names the file, then its size
    assert link and re.sub("<[^>]+>", "", link.group(1)) == f"{SLUG}-social.zip · {size}"
    assert social_entry["title"].startswith("Social package ZIP · ")


# --- CI mode: reproducible bytes, credits, the lock, interrupts -------------------------------------

def tree(root: Path) -> dict[str, bytes]:
    """Return every file under ``root`` by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    """Return hidden entries (staging folders, locks, temporary files) in an output folder."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name != RECORDS)


def test_the_same_story_elsewhere_gives_byte_identical_output(built: dict, tmp_path: Path) -> None:
    moved = tmp_path / "another" / "checkout"
    shutil.copytree(built["story"], moved)
    out = tmp_path / "other-dist"
    # No cache and parallel photo workers: nothing may depend on the cache, the pool or the paths.
    proc = run_cli("build", str(moved), "--out", str(out), "--no-cache", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    files = tree(out / SLUG)
    assert files == tree(built["root"])
    for package in (out / SLUG / "packages").glob("*.zip"):
        with zipfile.ZipFile(package) as archive:
            files.update({f"{package.name}:{name}": archive.read(name) for name in archive.namelist()})
    machine = [str(path).encode() for path in (tmp_path, built["story"].parent, Path.home())]
    for name, data in files.items():
        assert not any(path in data for path in machine), f"{name} holds an absolute path"


def test_published_photos_carry_caption_and_credit(built: dict) -> None:
    for name in ("small.jpg", "small.webp", "thumb.jpg", "square.jpg"):
        found = read_embedded_metadata(built["root"] / "media" / "one" / name)
        assert found.caption == "First <em>photo</em>", name
        assert found.credit == "Ann Writer/Example" and found.alt == "A gradient with shapes", name


def test_a_rebuild_clears_what_a_killed_build_left_behind(built: dict) -> None:
    out = built["out"]
    (out / f".{SLUG}.building-k1ll3d" / "media").mkdir(parents=True)
    (out / f".{SLUG}.old-99999").mkdir()
    proc = run_cli("build", str(built["story"]), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert leftovers(out) == []


def hold_lock(out: Path) -> int:
    """Take the story's build lock the way another build would."""
    fd = os.open(out / f".{SLUG}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_build_fails_clearly_while_another_holds_the_story(built: dict) -> None:
    out, before = built["out"], tree(built["root"])
    fd = hold_lock(out)
    try:
        proc = run_cli("build", str(built["story"]), "--out", str(out), "--lock-timeout", "0", "--json")
    finally:
        os.close(fd)
        (out / f".{SLUG}.lock").unlink()
    assert proc.returncode == 1
    error = json.loads(proc.stdout)["stories"][0]["errors"][0]
    assert f".{SLUG}.lock" in error and "another build" in error and "--lock-timeout" in error
    assert "another build" in proc.stderr
    assert tree(built["root"]) == before


def test_a_second_build_waits_for_the_first_then_builds(built: dict) -> None:
    out = built["out"]
    fd = hold_lock(out)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "mediapack", "build", str(built["story"]), "--out", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        said = []
        while not any("waiting for another build" in line for line in said):
            line = proc.stderr.readline()
            assert line, f"exited without waiting: {said}"
            said.append(line)
        assert proc.poll() is None
    finally:
        os.close(fd)
    _, rest = proc.communicate(timeout=300)
    assert proc.returncode == 0, rest
    assert f"built {SLUG}" in rest
    assert leftovers(out) == []


def test_two_concurrent_builds_of_one_story_both_succeed(built: dict) -> None:
    out = built["out"]
    argv = [sys.executable, "-m", "mediapack", "build", str(built["story"]), "--out", str(out), "--no-cache"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert run_cli("verify", str(built["root"])).returncode == 0
    assert leftovers(out) == []


def ffmpeg_processes(marker: Path) -> list[int]:
    """Return running ffmpeg processes whose command line mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if b"ffmpeg" in cmdline and str(marker).encode() in cmdline:
            found.append(int(entry.name))
    return found


def test_sigterm_mid_encode_stops_ffmpeg_and_keeps_the_previous_output(tmp_path: Path) -> None:
    story = tmp_path / "slow"
    make_video(story / "clip.mp4", seconds=10.0, size=(320, 240))
    write_story(story, "headline: Slow story\nmedia:\n  - {id: clip, file: clip.mp4, caption: c, credit: d}\n")
    out = tmp_path / "out"
    assert run_cli("build", str(story), "--out", str(out)).returncode == 0
    before = tree(out / "slow-story")
    (story / "mediapack.toml").write_text('[video]\npreset = "veryslow"\n')  # a cache miss, encoded slowly
    proc = subprocess.Popen([sys.executable, "-m", "mediapack", "build", str(story), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not ffmpeg_processes(story) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None and ffmpeg_processes(story), "the encode was never seen running"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "interrupted" in err
    assert "Traceback" not in err
    assert ffmpeg_processes(story) == []
    assert tree(out / "slow-story") == before
    assert leftovers(out) == []
    assert not [p for p in (tmp_path / ".mediapack-cache").rglob(".*")], "a half-written cache entry"


def test_the_output_is_the_same_whatever_the_job_count(tmp_path: Path) -> None:
    story = make_tiny_story(tmp_path / "story")
    trees = []
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"out-{jobs}"
        proc = run_cli("build", str(story), "--out", str(out), "--no-cache", "--jobs", jobs)
        assert proc.returncode == 0, proc.stderr
        root = out / SLUG
        trees.append({p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()})
    assert trees[0] == trees[1] == trees[2]


def test_photos_found_bad_while_rendering_are_all_named_and_nothing_is_written(tmp_path: Path) -> None:
    story = tmp_path / "story"
    for name in ("a.jpg", "b.png", "c.jpg"):
        make_photo(story / name, (400, 300))
    for name in ("a.jpg", "b.png"):  # cut short: the headers say nothing, the data ends early
        data = (story / name).read_bytes()
        (story / name).write_bytes(data[: len(data) // 2])
    write_story(story, "headline: Cut\npublished: 2026-06-20T09:30:00Z\nmedia:\n"
                       "  - {id: a, file: a.jpg, caption: c, credit: d, alt: e}\n"
                       "  - {id: b, file: b.png, caption: c, credit: d, alt: e}\n"
                       "  - {id: c, file: c.jpg, caption: c, credit: d, alt: e}\n")
    for jobs in ("1", "2"):
        proc = run_cli("build", str(story), "--out", str(tmp_path / "out"), "--jobs", jobs)
        assert proc.returncode == 1
        lines = proc.stderr.splitlines()
        assert lines[0] == f"error: {story / 'story.md'}: 2 problem(s) found", lines
        assert "a.jpg: corrupt or truncated JPEG image" in lines[1] and "b.png: corrupt or truncated PNG" in lines[2]
        assert not (tmp_path / "out" / "cut").exists()
