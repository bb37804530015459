"""Story parsing: front matter, media list, placements, and every problem reported at once."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from conftest import make_photo, write_story
from mediapack.errors import Findings
from mediapack.story.read import apply_embedded_metadata, read_story, slugify


def read(folder: Path) -> tuple:
    findings = Findings()
    story = read_story(folder, findings)
    return story, findings


def messages(findings: Findings) -> list[str]:
    return [str(p) for p in findings.errors]


def test_reads_the_tiny_story(tiny_story: Path) -> None:
    story, findings = read(tiny_story)
    assert findings.errors == []
    assert story.headline == "Tiny <story> & test"
    assert story.slug == "tiny-story-test"
    assert story.byline == ("Ann Writer", "Bo Reporter")
    assert story.published == datetime(2026, 6, 20, 9, 30, tzinfo=UTC)
    assert [m.id for m in story.media] == ["one", "two", "clip"]
    assert story.item("clip").subtitles == Path("video/clip.srt")
    assert story.item("one").file == Path("photos/one.jpg")


def test_slugify_handles_accents_and_punctuation() -> None:
    assert slugify("Café crème: the “best” in town!") == "cafe-creme-the-best-in-town"
    assert slugify("Straße") == "strasse"
    assert len(slugify("word " * 40)) <= 64


def test_headlines_in_every_script_get_a_meaningful_slug() -> None:
    slugs = {slugify(headline) for headline in (
        "قایق بندر پس از بازسازی بازگشت", "عودة عبارة الميناء بعد الترميم", "港口渡轮修复后回归",
        "Паром вернулся в гавань")}
    assert slugs == {"qyq-bndr-ps-z-bzszy-bzgsht", "wd-br-lmyn-b-d-ltrmym", "gang-kou-du-lun-xiu-fu-hou-hui-gui",
                     "parom-vernulsia-v-gavan"}


def test_a_headline_without_letters_takes_the_folder_name_or_a_digest(tmp_path: Path) -> None:
    write_story(tmp_path / "Ferry Day", "headline: '🚢 🌊'")
    story, _ = read(tmp_path / "Ferry Day")
    assert story.slug == "ferry-day"
    write_story(tmp_path / "🚢", "headline: '🚢 🌊'")
    write_story(tmp_path / "🌊", "headline: '🌊🌊'")
    slugs = {read(tmp_path / name)[0].slug for name in ("🚢", "🌊")}
    assert len(slugs) == 2 and all(slug.startswith("story-") for slug in slugs)


def test_byline_may_be_a_string_and_dates_may_carry_offsets(tmp_path: Path) -> None:
    write_story(tmp_path, """
        headline: One
        byline: Solo Writer
        published: "2026-06-20T11:30:00+02:00"
        updated: 2026-06-21
        """)
    story, findings = read(tmp_path)
    assert findings.errors == []
    assert story.byline == ("Solo Writer",)
    assert story.published == datetime(2026, 6, 20, 9, 30, tzinfo=UTC)
    assert story.updated == datetime(2026, 6, 21, tzinfo=UTC)


def test_an_update_before_publication_is_refused_and_dates_are_said_in_iso(tmp_path: Path) -> None:
    write_story(tmp_path, """
        headline: One
        published: 2026-06-20T09:30:00+01:00
        updated: 2026-06-19T14:15:00+01:00
        """)
    _, findings = read(tmp_path)
    said = (f"{tmp_path / 'story.md'}: updated: 2026-06-19T13:15:00Z is before published (2026-06-20T08:30:00Z): "
            "a story is updated after it is published")
    assert messages(findings) == [said]
    write_story(tmp_path, """
        headline: One
        published: 9999-12-31T23:59:59-12:00
        """)
    _, findings = read(tmp_path)
    assert messages(findings) == [f"{tmp_path / 'story.md'}: published: out of range: 9999-12-31T23:59:59-12:00"]


def test_a_file_name_windows_cannot_unzip_is_warned_about(tmp_path: Path) -> None:
    make_photo(tmp_path / "p" / 'my "photo"?.jpg', (64, 48))
    write_story(tmp_path, """
        headline: One
        media:
          - {id: a, file: 'p/my "photo"?.jpg', caption: A, credit: B, alt: C}
        """)
    _, findings = read(tmp_path)
    assert findings.errors == []
    (warning,) = [str(w) for w in findings.warnings if "media[a].file" in str(w)]
    assert warning.endswith("""media[a].file: 'my "photo"?.jpg' has characters Windows cannot put in a file name """
                            """(" ?): a partner on Windows cannot unzip it from the full package; rename the file""")


def test_missing_file_missing_caption_and_bad_date_are_reported_together(tmp_path: Path) -> None:
    make_photo(tmp_path / "photos" / "a.jpg", (64, 48))
    write_story(tmp_path, """
        headline: Three problems
        published: yesterday
        media:
          - id: gone
            file: photos/missing.jpg
            caption: x
            credit: y
          - id: here
            file: photos/a.jpg
            credit: y
            alt: z
        """)
    story, findings = read(tmp_path)
    story = apply_embedded_metadata(story, findings, {"here"})
    errors = messages(findings)
    assert any("missing.jpg" in m and "file not found" in m for m in errors)
    assert any("published" in m and "yesterday" in m for m in errors)
    assert any("media[here].caption" in str(w) and "missing" in str(w) for w in findings.warnings)


def test_paths_must_stay_inside_the_story_folder(tmp_path: Path) -> None:
    outside = make_photo(tmp_path / "outside.jpg", (32, 32))
    folder = tmp_path / "story"
    make_photo(folder / "ok.jpg", (32, 32))
    os.symlink(outside, folder / "link.jpg")
    write_story(folder, f"""
        headline: Escapes
        media:
          - {{id: abs, file: "{outside}"}}
          - {{id: up, file: ../outside.jpg}}
          - {{id: link, file: link.jpg}}
          - {{id: dir, file: "."}}
          - {{id: ok, file: ok.jpg}}
        """)
    story, findings = read(folder)
    errors = " | ".join(messages(findings))
    assert "media[abs].file: must stay inside the story folder" in errors
    assert "media[up].file: must stay inside the story folder" in errors
    assert "media[link].file: links outside the story folder" in errors
    assert "media[dir].file: not a regular file" in errors
    assert [m.id for m in story.media] == ["ok"]


def test_media_entries_are_validated(tmp_path: Path) -> None:
    make_photo(tmp_path / "a.jpg", (32, 32))
    (tmp_path / "subs.txt").write_text("x")
    write_story(tmp_path, """
        headline: Bad media
        media:
          - {id: Bad_Id, file: a.jpg}
          - {id: same, file: a.jpg}
          - {id: same, file: a.jpg}
          - {id: subs, file: a.jpg, subtitles: subs.txt, poster_at: -1}
          - {file: a.jpg}
          - just a string
        """, body="![[nowhere]]\n")
    _, findings = read(tmp_path)
    errors = " | ".join(messages(findings))
    assert "media[0].id: must hold only a-z" in errors
    assert "duplicate id 'same'" in errors
    assert "media[subs].subtitles: must be a .srt or .vtt file" in errors
    assert "media[subs].poster_at: must be a number of seconds" in errors
    assert "media[4].id: required" in errors
    assert "media[5]: must be a mapping" in errors
    assert "![[nowhere]]: placement names no media item" in errors


def test_front_matter_problems(tmp_path: Path) -> None:
    cases = {
        "no-story": None,
        "no-front": "Just text\n",
        "unclosed": "---\nheadline: x\n",
        "bad-yaml": "---\nheadline: [unclosed\n---\n",
        "not-mapping": "---\n- a\n- b\n---\n",
        "no-headline": "---\nsection: x\n---\n",
        "bad-types": "---\nheadline: {a: 1}\nslug: Not OK\nbyline: 5\nlanguage: 'english!'\n---\n",
    }
    expected = {
        "no-story": "story.md not found",
        "no-front": "must start with a '---' line",
        "unclosed": "front matter is not closed",
        "bad-yaml": "front matter is not valid YAML",
        "not-mapping": "front matter must be a mapping",
        "no-headline": "headline: required",
        "bad-types": "headline: must be text",
    }
    for name, text in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        if text is not None:
            (folder / "story.md").write_text(text, encoding="utf-8")
        _, findings = read(folder)
        assert any(expected[name] in m for m in messages(findings)), (name, messages(findings))
    _, findings = read(tmp_path / "bad-types")
    joined = " | ".join(messages(findings))
    assert "slug: must hold only" in joined and "byline: must be a name" in joined and "language:" in joined


def test_unknown_keys_are_warnings_not_errors(tmp_path: Path) -> None:
    write_story(tmp_path, "headline: x\nkicker: extra\n")
    story, findings = read(tmp_path)
    assert story is not None and findings.errors == []
    assert any("kicker" in str(w) for w in findings.warnings)


def test_bylines_may_link_authors_and_stories_name_their_uri_and_media_topics(tmp_path: Path) -> None:
    make_photo(tmp_path / "a.jpg", (32, 32))
    write_story(tmp_path, """
        headline: Linked
        byline: [Ann Writer, {name: Bo Reporter, url: "https://news.example.org/staff/bo"}]
        uri: urn:newsroom:2026:linked
        subjects: [medtop:20000763, medtop:04000000]
        media:
          - {id: a, file: a.jpg, focus: [0.25, 1]}
        """)
    story, findings = read(tmp_path)
    assert findings.errors == []
    assert story.byline == ("Ann Writer", "Bo Reporter")
    assert story.byline_urls == (("Bo Reporter", "https://news.example.org/staff/bo"),)
    assert story.uri == "urn:newsroom:2026:linked"
    assert story.subjects == ("medtop:20000763", "medtop:04000000")
    assert story.item("a").focus == (0.25, 1.0)


def test_bad_bylines_uris_subjects_and_focus_are_refused_with_their_keys(tmp_path: Path) -> None:
    make_photo(tmp_path / "a.jpg", (32, 32))
    write_story(tmp_path, """
        headline: Bad
        byline: [Ann, {url: "https://x.org/a"}, {name: Bo, url: "javascript:alert(1)"}, {name: Cy, mail: c@x}, [1]]
        uri: "not a uri"
        subjects: [medtop:123, sport, 5]
        media:
          - {id: a, file: a.jpg, focus: [0.5, 1.5]}
          - {id: b, file: a.jpg, focus: [true, 0]}
          - {id: c, file: a.jpg, focus: 0.5}
          - {id: d, file: a.jpg, focus: [0.1, 0.2, 0.3]}
        """)
    _, findings = read(tmp_path)
    errors = " | ".join(messages(findings))
    assert "byline[1].name: required" in errors
    assert "byline[2].url: must start with https:// or http://" in errors
    assert "byline[3].mail: unknown author key" in errors
    assert "byline[4]: must be a name, or a mapping" in errors
    assert "uri: must be an absolute URI" in errors
    for index in range(3):
        assert f"subjects[{index}]: must be an IPTC Media Topic code like medtop:20000763" in errors
    for media_id in "abcd":
        assert f"media[{media_id}].focus: must be [x, y], two numbers from 0 to 1" in errors


def test_dir_and_the_published_offset_are_kept(tmp_path: Path) -> None:
    folder = write_story(tmp_path / "s", """
        headline: خبر
        language: fa
        dir: ltr
        published: 2026-06-20T09:30:00+03:30
    """)
    story, findings = read(folder)
    assert findings.errors == []
    assert story.direction == "ltr" and story.published == datetime(2026, 6, 20, 6, 0, tzinfo=UTC)
    assert story.zone is not None and story.zone.utcoffset(None).total_seconds() == 3.5 * 3600


def test_a_utc_date_has_no_zone_of_its_own_and_a_wrong_dir_is_refused(tmp_path: Path) -> None:
    folder = write_story(tmp_path / "s", """
        headline: Story
        dir: rlt
        published: "2026-06-20T09:30:00Z"
    """)
    story, findings = read(folder)
    assert story.zone is None
    assert messages(findings) == [f"{folder / 'story.md'}: dir: must be one of rtl, ltr, not 'rlt' (did you mean `rtl`?)"]
