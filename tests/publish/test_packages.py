"""Packages: glob selection, reproducible zips, SHA256SUMS and verify."""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_manifest import BASE, manifest_of, sample, schema_errors

from mediapack.errors import InputError, UsageError
from mediapack.publish.checksums import sha256sums_text, verify, write_checksums
from mediapack.publish.manifest import manifest_json
from mediapack.publish.packages import (
    glob_match,
    select_entries,
    write_packages,
    zip_timestamp,
)
from mediapack.settings import PackageProfile, Settings

PUBLISHED = datetime(2026, 6, 20, 9, 30, 7, tzinfo=UTC)
WEB, FULL = Settings().packages
SUM_LINE = re.compile(r"[0-9a-f]{64}  \S.*")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, list[tuple[Path, str]]]:
    """An output folder as a build leaves it, plus one original photo outside it."""
    out = tmp_path / "out" / "camp-raid"
    files = {
        "index.html": b"<!doctype html><title>Camp raid</title>" * 20,
        "embed.html": b"<section>downloads</section>",
        "article.txt": "Camp raid\n\nCaf\u00e9 text.\n".encode(),
        "manifest.json": b'{"type": "composite"}',
        "media/leader/large.jpg": b"\xff\xd8JPEG" + bytes(range(256)) * 40,
        "media/leader/medium.webp": b"RIFFxxxxWEBP" + bytes(500),
        "media/raid/720p.mp4": b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64,
        "media/raid/captions.vtt": b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
        "packages/old-web.zip": b"not part of any package",
        "SHA256SUMS": b"stale\n",
    }
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    original = tmp_path / "story" / "photos" / "leader.jpg"
    original.parent.mkdir(parents=True)
    original.write_bytes(b"\xff\xd8ORIGINAL" + bytes(range(256)) * 10)
    return out, [(original, "originals/photos/leader.jpg")]


# --- glob matching and selection -------------------------------------------------------------


@pytest.mark.parametrize(
    "name, pattern, expected",
    [
        ("media/a/large.jpg", "media/**", True),
        ("media/a/b/c.jpg", "media/**", True),
        ("mediax/a.jpg", "media/**", False),
        ("media/raid/720p.mp4", "media/*/720p.mp4", True),
        ("media/raid/x/720p.mp4", "media/*/720p.mp4", False),
        ("media/raid/480p.mp4", "media/*/720p.mp4", False),
        ("index.html", "*.html", True),
        ("media/x.html", "*.html", False),
        ("media/x.html", "**/*.html", True),
        ("x.html", "**/*.html", True),
        ("a/b/c", "**", True),
        ("media/raid/720p.mp4", "media/**/720p.mp4", True),
        ("media/720p.mp4", "media/**/720p.mp4", True),
        ("media/raid/720p.mp4", "media/*/[0-9]*p.mp4", True),
        ("Index.html", "index.html", False),
    ],
)
def test_glob_star_stays_in_one_folder_and_double_star_spans_folders(name, pattern, expected):
    assert glob_match(name, pattern) is expected


def test_web_profile_selects_page_and_renditions_not_packages_sums_or_originals(built):
    out, originals = built
    names = [name for name, _ in select_entries(out, originals, WEB)]
    assert names == [
        "article.txt",
        "embed.html",
        "index.html",
        "manifest.json",
        "media/leader/large.jpg",
        "media/leader/medium.webp",
        "media/raid/720p.mp4",
        "media/raid/captions.vtt",
    ]


def test_full_profile_adds_originals_with_their_source_paths(built):
    out, originals = built
    entries = dict(select_entries(out, originals, FULL))
    assert entries["originals/photos/leader.jpg"] == originals[0][0]
    assert entries["media/raid/720p.mp4"] == out / "media/raid/720p.mp4"
    assert not any(n.startswith("packages/") or n == "SHA256SUMS" for n in entries)
    assert list(entries) == sorted(entries)


def test_exclude_wins_over_include(built):
    out, originals = built
    profile = PackageProfile("lite", ("**",), ("media/*/720p.mp4", "originals/**"))
    names = [name for name, _ in select_entries(out, originals, profile)]
    assert "media/raid/720p.mp4" not in names and "media/raid/captions.vtt" in names
    assert not any(n.startswith("originals/") for n in names)


@pytest.mark.parametrize(
    "arcname",
    [
        "../evil.jpg",
        "/etc/passwd",
        "originals\\photos\\a.jpg",
        "originals/a\x07.jpg",
        "originals/a\nb.jpg",
        "originals//a.jpg",
        "originals/./a.jpg",
        "",
        "originals/\u202egpj.exe",
    ],
)
def test_unsafe_arcnames_are_refused(built, arcname):
    out, originals = built
    with pytest.raises(InputError) as caught:
        select_entries(out, [(originals[0][0], arcname)], FULL)
    assert "\n" not in str(caught.value)


def test_an_original_may_not_take_an_existing_name(built):
    out, originals = built
    with pytest.raises(InputError, match="already taken"):
        select_entries(out, [(originals[0][0], "index.html")], FULL)


# --- reproducible zips ----------------------------------------------------------------------


def test_packages_are_byte_identical_across_runs_and_source_mtimes(built):
    out, originals = built
    first = write_packages(out, "camp-raid", (WEB, FULL), originals, PUBLISHED)
    blobs = {r.name: (out / r.path).read_bytes() for r in first}
    later = datetime(2031, 1, 2).timestamp()
    for path in [*out.rglob("*"), originals[0][0]]:
        if path.is_file():
            os.utime(path, (later, later))
    second = write_packages(out, "camp-raid", (WEB, FULL), originals, PUBLISHED)
    assert first == second
    assert {r.name: (out / r.path).read_bytes() for r in second} == blobs
    assert blobs["web"] != blobs["full"]


def test_package_renditions_describe_the_zips(built):
    out, originals = built
    renditions = write_packages(out, "camp-raid", (WEB, FULL), originals, PUBLISHED)
    assert [(r.name, r.path, r.role, r.content_type) for r in renditions] == [
        ("web", Path("packages/camp-raid-web.zip"), "package", "application/zip"),
        ("full", Path("packages/camp-raid-full.zip"), "package", "application/zip"),
    ]
    for r in renditions:
        assert r.size_bytes == (out / r.path).stat().st_size
    leftovers = sorted(p.name for p in (out / "packages").iterdir())
    assert leftovers == ["camp-raid-full.zip", "camp-raid-web.zip", "old-web.zip"]


def test_zip_entries_are_sorted_fixed_and_checksummed(built):
    out, originals = built
    (full,) = write_packages(out, "camp-raid", (FULL,), originals, PUBLISHED)
    with zipfile.ZipFile(out / full.path) as archive:
        assert archive.testzip() is None
        assert archive.comment == b""
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert "SHA256SUMS" in names and "originals/photos/leader.jpg" in names
        assert not any(n.endswith("/") or n.startswith("packages/") for n in names)
        for info in infos:
            assert info.date_time == (2026, 6, 20, 9, 30, 6)  # zip keeps even seconds
            assert info.create_system == 3
            assert info.external_attr == 0o100644 << 16
            assert info.extra == b""
            assert info.comment == b""
            media = info.filename.endswith((".jpg", ".webp", ".mp4"))
            assert info.compress_type == (zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED)
        sums = archive.read("SHA256SUMS").decode()
        lines = sums.splitlines()
        assert all(SUM_LINE.fullmatch(line) for line in lines)
        listed = {line[66:]: line[:64] for line in lines}
        assert sorted(listed) == [n for n in names if n != "SHA256SUMS"]
        for name, digest in listed.items():
            assert sha(archive.read(name)) == digest
        assert archive.read("originals/photos/leader.jpg") == originals[0][0].read_bytes()
        # text entries really are deflated, media copied as they are
        html = archive.getinfo("index.html")
        level9 = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw_html = (out / "index.html").read_bytes()
        assert html.compress_size == len(level9.compress(raw_html) + level9.flush())
        video = archive.getinfo("media/raid/720p.mp4")
        assert video.compress_size == video.file_size
    assert verify(out / full.path) == []


def test_zip_dates_follow_the_timestamp_and_are_clamped(built):
    out, originals = built
    (web,) = write_packages(out, "camp-raid", (WEB,), originals, datetime(1970, 1, 1, tzinfo=UTC))
    with zipfile.ZipFile(out / web.path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    cest = timezone(timedelta(hours=2))
    write_packages(out, "camp-raid", (WEB,), originals, datetime(2026, 6, 20, 11, 30, tzinfo=cest))
    with zipfile.ZipFile(out / web.path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 6, 20, 9, 30, 0)}


def test_a_profile_with_no_matches_still_gets_a_verifiable_zip(built):
    out, originals = built
    (empty,) = write_packages(
        out, "camp-raid", (PackageProfile("none", ("nothing/**",)),), originals, PUBLISHED
    )
    with zipfile.ZipFile(out / empty.path) as archive:
        assert archive.namelist() == ["SHA256SUMS", "manifest.json"]  # a package always says what it is
        assert archive.read("manifest.json") == (out / "manifest.json").read_bytes()
    assert verify(out / empty.path) == []


def story_output(tmp_path: Path, base_url: str | None) -> tuple[Path, bytes]:
    """An output folder holding the sample story's manifest and a small file for each rendition."""
    story, media, packages = sample()
    manifest = manifest_of(story, media, packages, base_url)
    out = tmp_path / "out"
    for built in media:
        for r in built.renditions:
            (out / r.path).parent.mkdir(parents=True, exist_ok=True)
            (out / r.path).write_bytes(r.name.encode())
    data = manifest_json(manifest)
    (out / "manifest.json").write_bytes(data)
    return out, data


@pytest.mark.parametrize("base_url", [None, BASE])
def test_a_package_manifest_lists_only_what_the_package_holds(tmp_path, base_url):
    out, _ = story_output(tmp_path, base_url)
    social = PackageProfile("social", ("media/*/720p.mp4", "media/*/captions.vtt"))
    write_packages(out, "tiny-story", (social,), [], PUBLISHED)
    with zipfile.ZipFile(out / "packages" / "tiny-story-social.zip") as archive:
        assert archive.namelist() == ["SHA256SUMS", "manifest.json", "media/clip/720p.mp4",
                                      "media/clip/captions.vtt"]
        manifest = json.loads(archive.read("manifest.json"))
    assert schema_errors(manifest) == []
    (clip,) = manifest["associations"]  # the photo and the audio are not in this package
    assert [r["name"] for r in clip["renditions"]] == ["720p", "captions"]
    assert clip["descriptions"][0]["value"] == "A test clip" and clip["by"] == "Example Video"
    assert "renditions" not in manifest  # the story's zips are never inside one
    assert verify(out / "packages" / "tiny-story-social.zip") == []


def test_a_package_holding_every_rendition_keeps_the_manifest_bytes(tmp_path):
    out, data = story_output(tmp_path, BASE)
    json_doc = json.loads(data)
    del json_doc["renditions"]  # as the build writes it before the packages exist
    (out / "manifest.json").write_bytes(manifest_json(json_doc))
    write_packages(out, "tiny-story", (WEB,), [], PUBLISHED)
    with zipfile.ZipFile(out / "packages" / "tiny-story-web.zip") as archive:
        assert archive.read("manifest.json") == (out / "manifest.json").read_bytes()


@pytest.mark.parametrize("slug", ["../up", "a/b", "a\x00b"])
def test_unsafe_package_file_names_are_refused(built, slug):
    out, originals = built
    with pytest.raises(InputError, match="package file name"):
        write_packages(out, slug, (WEB,), originals, PUBLISHED)


# --- SHA256SUMS -----------------------------------------------------------------------------


def test_sha256sums_text_matches_hashlib_in_sha256sum_format(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"bee\n")
    (tmp_path / "a.bin").write_bytes(bytes(range(256)))
    text = sha256sums_text([("b.txt", tmp_path / "b.txt"), ("sub/a.bin", tmp_path / "a.bin")])
    assert text == (f"{sha(b'bee' + bytes([10]))}  b.txt\n{sha(bytes(range(256)))}  sub/a.bin\n")
    assert sha256sums_text([]) == ""


def test_write_checksums_covers_every_file_but_itself(built):
    out, originals = built
    write_packages(out, "camp-raid", (WEB, FULL), originals, PUBLISHED)
    target = write_checksums(out)
    assert target == out / "SHA256SUMS"
    lines = target.read_text().splitlines()
    assert all(SUM_LINE.fullmatch(line) for line in lines)
    listed = {line[66:]: line[:64] for line in lines}
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted(listed) == [f for f in files if f != "SHA256SUMS"]
    assert listed["packages/camp-raid-web.zip"] == sha(
        (out / "packages/camp-raid-web.zip").read_bytes()
    )
    assert not list(out.glob(".*"))


# --- verify ---------------------------------------------------------------------------------


@pytest.fixture
def checked(built) -> Path:
    out, originals = built
    write_packages(out, "camp-raid", (WEB, FULL), originals, PUBLISHED)
    write_checksums(out)
    return out


def test_verify_accepts_an_untouched_folder(checked):
    assert verify(checked) == []


def test_verify_reports_a_modified_file(checked):
    (checked / "media/leader/large.jpg").write_bytes(b"retouched")
    assert verify(checked) == ["media/leader/large.jpg: checksum mismatch"]


def test_verify_reports_a_missing_file(checked):
    (checked / "media/raid/captions.vtt").unlink()
    assert verify(checked) == ["media/raid/captions.vtt: missing"]


def test_verify_reports_an_unlisted_file(checked):
    (checked / "media/raid/extra.txt").write_text("sneaked in")
    assert verify(checked) == ["media/raid/extra.txt: not listed in SHA256SUMS"]


def test_verify_reports_a_missing_or_mangled_sums_file(checked):
    sums = checked / "SHA256SUMS"
    sums.write_text(sums.read_text() + "not a checksum line\n" + "0" * 64 + "  ../../etc/passwd\n")
    problems = verify(checked)
    assert len(problems) == 2 and all(p.startswith("SHA256SUMS line ") for p in problems)
    sums.unlink()
    assert verify(checked) == ["SHA256SUMS: missing"]


def test_verify_accepts_a_good_zip(checked):
    assert verify(checked / "packages/camp-raid-full.zip") == []
    assert verify(checked / "packages/camp-raid-web.zip") == []


def rewrite_zip(
    source: Path, target: Path, replace: dict[str, bytes], add: dict[str, bytes]
) -> None:
    """Copy a zip entry by entry, swapping the content of some entries and adding others."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, replace.get(info.filename, old.read(info)))
        for name, data in add.items():
            new.writestr(name, data)


def test_verify_reports_a_tampered_zip_entry(checked, tmp_path):
    tampered = tmp_path / "tampered.zip"
    rewrite_zip(
        checked / "packages/camp-raid-web.zip",
        tampered,
        replace={"index.html": b"<p>fake</p>"},
        add={"media/extra.jpg": b"x"},
    )
    with zipfile.ZipFile(tampered) as archive:
        assert archive.testzip() is None  # CRCs are consistent: only the checksums catch it
    assert verify(tampered) == [
        "index.html: checksum mismatch",
        "media/extra.jpg: not listed in SHA256SUMS",
    ]


def test_verify_reports_damaged_zip_data(checked, tmp_path):
    data = (checked / "packages/camp-raid-full.zip").read_bytes()
    original = (checked / "media/raid/720p.mp4").read_bytes()
    at = data.index(original) + 100  # stored entry: its bytes sit in the zip as they are
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    problems = verify(damaged)
    assert len(problems) == 1 and problems[0].startswith("media/raid/720p.mp4: damaged (")


def test_verify_reports_a_zip_without_sums(tmp_path):
    bare = tmp_path / "bare.zip"
    with zipfile.ZipFile(bare, "w") as archive:
        archive.writestr("index.html", "<p>hi</p>")
    assert verify(bare) == ["SHA256SUMS: missing"]


def test_verify_reports_a_file_that_is_not_a_zip(tmp_path):
    fake = tmp_path / "z.zip"
    fake.write_bytes(b"PK\x03\x04 but not really a zip file at all")
    assert verify(fake) == ["z.zip: damaged: it starts as a zip but cannot be read as one (cut short?)"]


def test_verify_refuses_a_path_that_does_not_exist(tmp_path):
    with pytest.raises(InputError, match="nowhere.zip"):
        verify(tmp_path / "nowhere.zip")


# --- timestamps -----------------------------------------------------------------------------


def test_zip_timestamp_prefers_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    assert zip_timestamp(PUBLISHED) == datetime.fromtimestamp(1780000000, UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert zip_timestamp(PUBLISHED) == datetime(1980, 1, 1, tzinfo=UTC)


def test_zip_timestamp_uses_published_then_1980(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert zip_timestamp(PUBLISHED) == PUBLISHED
    assert zip_timestamp(None) == datetime(1980, 1, 1, tzinfo=UTC)
    assert zip_timestamp(datetime(1969, 7, 20, 20, 17, tzinfo=UTC)) == datetime(
        1980, 1, 1, tzinfo=UTC
    )
    cest = timezone(timedelta(hours=2))
    stamp = zip_timestamp(datetime(2026, 6, 20, 11, 30, tzinfo=cest))
    assert stamp.utcoffset() == timedelta(0) and stamp.hour == 9


def test_a_bad_source_date_epoch_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        zip_timestamp(PUBLISHED)


def test_source_date_epoch_reaches_the_zip_entries(built, monkeypatch):
    out, originals = built
    monkeypatch.setenv(
        "SOURCE_DATE_EPOCH", str(int(datetime(2030, 3, 4, 5, 6, 8, tzinfo=UTC).timestamp()))
    )
    (web,) = write_packages(out, "camp-raid", (WEB,), originals, zip_timestamp(PUBLISHED))
    with zipfile.ZipFile(out / web.path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2030, 3, 4, 5, 6, 8)}
