"""The rights travel with every file: read back from a built story by independent readers (exiftool, exiv2)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import make_photo, make_video, run_cli, write_story

EXIFTOOL = shutil.which("exiftool")  # Debian's libimage-exiftool-perl; .ci/run installs it
LICENSE = "https://creativecommons.org/licenses/by-nd/4.0/"
LICENSING = "https://news.example.org/licensing"


def exiftool(path: Path) -> dict:
    if EXIFTOOL is None:
        pytest.fail("exiftool not found: install Debian's libimage-exiftool-perl (.ci/run does)")
    proc = subprocess.run([EXIFTOOL, "-json", "-G1", "-a", "-charset", "iptc=UTF8", str(path)], capture_output=True,
                          text=True, check=True, timeout=60)
    return json.loads(proc.stdout)[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    story = tmp_path_factory.mktemp("rights") / "story"
    make_photo(story / "credit-only.jpg", (800, 600))
    make_photo(story / "by-jane.jpg", (800, 600))
    make_video(story / "clip.mp4", seconds=2.0, size=(320, 240))
    write_story(story, f"""
        headline: Rights travel
        published: 2026-06-20T09:30:00Z
        language: fr
        copyright: "© 2026 Example News"
        license: {LICENSE}
        acquire_license_page: {LICENSING}
        media:
          - {{id: credit-only, file: credit-only.jpg, caption: A ferry at dawn, credit: Ines Carraway/Example News,
              alt: A ferry, copyright: © 2026 Ines Carraway}}
          - {{id: by-jane, file: by-jane.jpg, caption: Cranes, credit: Jane Doe/Agency, creator: Jane Doe,
              alt: Cranes, license: https://example.org/other-licence}}
          - {{id: clip, file: clip.mp4, caption: The first crossing, credit: Example Video, creator: Bo Maker,
              copyright: © 2026 Bo Maker}}
        """)
    proc = run_cli("build", str(story), "--out", str(story.parent / "out"))
    assert proc.returncode == 0, proc.stderr
    return story.parent / "out" / "rights-travel"


def test_a_photo_with_only_a_credit_line_names_no_photographer(built: Path) -> None:
    files = sorted((built / "media" / "credit-only").iterdir())
    # The lead photo: its crops for other platforms carry the credit like every other rendition.
    assert [p.name for p in files] == ["crop-16x9.jpg", "crop-1x1.jpg", "crop-4x3.jpg", "medium.jpg", "medium.webp",
                                       "share.jpg", "small.jpg", "small.webp", "square.jpg", "thumb.jpg", "thumb.webp"]
    for path in files:
        name = path.name
        tags = exiftool(path)
        assert tags["XMP-dc:Description"] == "A ferry at dawn", name
        assert tags["XMP-photoshop:Credit"] == "Ines Carraway/Example News", name
        assert tags["XMP-dc:Rights"] == "© 2026 Ines Carraway", name
        assert tags["XMP-iptcCore:AltTextAccessibility"] == "A ferry", name
        assert tags["XMP-xmpRights:WebStatement"] == LICENSE, name
        assert tags["XMP-plus:LicensorURL"] == LICENSING, name
        assert "XMP-dc:Creator" not in tags and "IFD0:Artist" not in tags, name
        assert tags["IFD0:ImageDescription"] == "A ferry at dawn" and tags["IFD0:Copyright"] == "© 2026 Ines Carraway"
        if name.endswith(".jpg"):
            assert tags["IPTC:Caption-Abstract"] == "A ferry at dawn", name
            assert tags["IPTC:Credit"] == "Ines Carraway/Example News", name
            assert tags["IPTC:CopyrightNotice"] == "© 2026 Ines Carraway", name
            assert tags["IPTC:CodedCharacterSet"] == "UTF8", name
            assert "IPTC:By-line" not in tags, name


def test_a_known_creator_is_the_artist_and_the_by_line(built: Path) -> None:
    tags = exiftool(built / "media" / "by-jane" / "medium.jpg")
    assert tags["IFD0:Artist"] == "Jane Doe" and tags["XMP-dc:Creator"] == "Jane Doe"
    assert tags["IPTC:By-line"] == "Jane Doe" and tags["IPTC:Credit"] == "Jane Doe/Agency"
    assert tags["XMP-xmpRights:WebStatement"] == "https://example.org/other-licence"  # the item's own


def test_the_poster_and_the_sprite_carry_the_credit_too(built: Path) -> None:
    for name in ("poster.jpg", "poster.webp", "thumbnails.jpg"):
        tags = exiftool(built / "media" / "clip" / name)
        assert tags["XMP-dc:Description"] == "The first crossing", name
        assert tags["XMP-photoshop:Credit"] == "Example Video", name
        assert tags["XMP-dc:Creator"] == "Bo Maker", name
        assert tags["XMP-xmpRights:WebStatement"] == LICENSE, name


def test_mp4s_say_what_they_are_who_made_them_and_their_language(built: Path) -> None:
    rungs = sorted((built / "media" / "clip").glob("*.mp4"))
    assert rungs
    for rung in rungs:
        tags = exiftool(rung)
        assert tags["ItemList:Title"] == "Rights travel", rung.name
        assert tags["ItemList:Artist"] == "Bo Maker", rung.name
        assert tags["ItemList:Description"] == "The first crossing", rung.name
        assert tags["ItemList:Copyright"] == "© 2026 Bo Maker", rung.name
        assert tags["ItemList:Comment"] == "Vidéo\u00a0: Example Video", rung.name  # the credit line in French
        languages = {value for key, value in tags.items() if key.endswith(":MediaLanguageCode")}
        assert languages == {"fra"}, rung.name
        with open(rung, "rb") as handle:  # +faststart: the index before the data
            head = handle.read(1 << 16)
        assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head, rung.name
    inits = sorted((built / "media" / "clip" / "hls").glob("*-init.mp4"))  # the HLS video and audio tracks
    assert [p.name for p in inits] == ["240p-init.mp4", "audio-init.mp4"]
    for init in inits:
        tags = exiftool(init)
        assert {value for key, value in tags.items() if key.endswith(":MediaLanguageCode")} == {"fra"}, init.name


def test_json_ld_and_ninjs_carry_the_licence(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    terms = {a["name"]: a.get("usageTerms") for a in manifest["associations"]}
    # In the story's language (French): the prose of ninjs usageTerms comes from the catalogue too.
    assert terms["credit-only"] == f"Licence\u00a0: {LICENSE}; Pour obtenir une licence\u00a0: {LICENSING}"
    assert terms["by-jane"] == (f"Licence\u00a0: https://example.org/other-licence; "
                                f"Pour obtenir une licence\u00a0: {LICENSING}")
    page = (built / "index.html").read_text(encoding="utf-8")
    ld = json.loads(page.split('<script type="application/ld+json">')[1].split("</script>")[0])
    image = next(i for i in ld["image"] if i.get("caption") == "A ferry at dawn")
    assert image["license"] == LICENSE and image["acquireLicensePage"] == LICENSING
    assert image["creditText"] == "Ines Carraway/Example News" and image["copyrightNotice"] == "© 2026 Ines Carraway"
    video = ld["video"][0]
    assert video["license"] == LICENSE and video["creator"] == {"@type": "Person", "name": "Bo Maker"}
