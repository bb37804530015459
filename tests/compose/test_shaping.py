"""Text in the compositions: Persian and Hebrew shaped and right to left, in a font that has their letters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from conftest import make_photo, make_video, write_story
from mediapack.check import check_story
from mediapack.compose import text as compose_text
from mediapack.compose.drawn import title_words
from mediapack.compose.fonts import (
    ARABIC_BOLD,
    ARABIC_REGULAR,
    RAQM_MISSING,
    REGULAR,
    URDU_BOLD,
    URDU_REGULAR,
    font_file,
)
from mediapack.compose.text import clean_text, draw_line, font, lower_third, title_card
from mediapack.errors import EnvironmentProblem, Findings, InputError
from mediapack.settings import Settings
from mediapack.story.read import read_story

WORD = "بهمن"  # Persian: beh, heh, meem, noon, joined
# The same word as a reader sees it, shaped by hand: its letters' joined forms (Arabic Presentation Forms-B),
# in visual order, left to right: noon final, meem medial, heh medial, beh initial.
SHAPED = "\ufee6\ufee4\ufeec\ufe91"
SIZE = 64


def ink(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")).astype(int)


def columns_with_ink(image: Image.Image) -> tuple[int, int]:
    cols = np.flatnonzero(ink(image).max(axis=0) > 128)
    return int(cols[0]), int(cols[-1])


def drawn(line: str, face: ImageFont.FreeTypeFont, box: tuple[int, int] = (20, 380)) -> Image.Image:
    image = Image.new("L", (400, 110), 0)
    draw_line(ImageDraw.Draw(image), box, 10, line, face, 255)
    return image


def reference(text: str, layout: ImageFont.Layout, right: int = 380) -> Image.Image:
    """Draw ``text`` letter by letter as given (no shaping, no reordering), its advance ending at ``right``."""
    face = ImageFont.truetype(str(font_file(ARABIC_REGULAR)), SIZE, layout_engine=layout)
    image = Image.new("L", (400, 110), 0)
    ImageDraw.Draw(image).text((round(right - face.getlength(text)), 10), text, font=face, fill=255)
    return image


def test_persian_is_drawn_shaped_and_right_to_left_as_the_shaped_string():
    face = font(SIZE, sample=WORD)
    assert Path(face.path).name == ARABIC_REGULAR  # DejaVu has no joined Persian forms
    ours = drawn(WORD, face)
    shaped = reference(SHAPED, ImageFont.Layout.BASIC)
    unshaped = reference(WORD, ImageFont.Layout.BASIC)  # what a Pillow without raqm draws: apart, backwards
    assert np.abs(ink(ours) - ink(shaped)).mean() < 2.0
    assert np.abs(ink(ours) - ink(unshaped)).mean() > 6.0
    assert columns_with_ink(ours)[1] > 370  # it starts, on the right, at the right margin


def ink_rows(image: Image.Image) -> int:
    rows = np.flatnonzero(ink(image).max(axis=1) > 128)
    return int(rows[-1] - rows[0] + 1)


def test_urdu_is_drawn_in_nastaliq_and_persian_stays_in_naskh():
    urdu = "بارش کے بعد"  # "after the rain": yeh barree marks it Urdu
    assert Path(font(SIZE, sample=urdu).path).name == URDU_REGULAR
    assert Path(font(SIZE, bold=True, sample="سڑک").path).name == URDU_BOLD  # rreh
    assert Path(font(SIZE, bold=True, sample=WORD).path).name == ARABIC_BOLD  # Persian
    assert Path(font(SIZE, sample="مطر غزير").path).name == ARABIC_REGULAR  # Arabic
    tall = Image.new("L", (400, 200), 0)
    draw_line(ImageDraw.Draw(tall), (20, 380), 20, urdu, font(SIZE, sample=urdu), 255)
    naskh = Image.new("L", (400, 200), 0)
    draw_line(ImageDraw.Draw(naskh), (20, 380), 20, urdu, font(SIZE, sample=WORD), 255)
    # Nastaliq's words hang down to the right along a sloping baseline: the same line stands far taller.
    assert ink_rows(tall) > 1.5 * ink_rows(naskh)
    assert columns_with_ink(tall)[1] > 370  # and starts at the right margin


def test_latin_text_still_starts_at_the_left_margin_in_dejavu():
    face = font(SIZE, sample="Ferry")
    assert Path(face.path).name == REGULAR
    assert columns_with_ink(drawn("Ferry", face))[0] < 30


def test_hebrew_is_drawn_right_to_left_in_dejavu():
    face = font(SIZE, sample="שלום")
    assert Path(face.path).name == REGULAR  # DejaVu Sans has Hebrew
    image = drawn("שלום", face)
    assert columns_with_ink(image)[1] > 370 and ink(image).max() == 255


def test_a_latin_credit_under_a_persian_caption_is_at_the_right_too():
    still = lower_third((640, 360), "کشتی پس از بازسازی به بندر بازگشت", "Gent Shkullaku/AFP")
    rows = ink(still.image.convert("RGB"))
    text = rows * (np.asarray(still.mask) > 0)
    bottom = text[-60:]  # the credit's line, above the bottom margin
    cols = np.flatnonzero(bottom.max(axis=0) > 150)
    assert cols.size and cols[-1] > 640 - 40 and cols[0] > 640 // 3


def test_the_title_card_of_a_persian_story_puts_its_rule_at_the_right():
    card = title_card((640, 360), "بازگشت کشتی", ["مریم احمدی"])
    accent = np.flatnonzero((card[..., 0] > 200) & (card[..., 1] < 100))  # the red rule's pixels
    assert (accent % 640).min() > 640 // 2


def test_the_half_space_of_persian_words_is_kept():
    assert clean_text("می\u200cخواهم\u0007") == "می\u200cخواهم"


def test_without_raqm_right_to_left_text_is_refused_not_garbled(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(compose_text, "has_raqm", lambda: False)
    with pytest.raises(EnvironmentProblem, match="no raqm layout engine"):
        font(SIZE, sample=WORD)
    assert Path(font(SIZE, sample="Ferry").path).name == REGULAR  # Latin text needs no raqm


def test_check_refuses_a_persian_slideshow_without_raqm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import mediapack.check

    monkeypatch.setattr(mediapack.check, "has_raqm", lambda: False)
    make_photo(tmp_path / "s" / "p.jpg")
    folder = write_story(tmp_path / "s", """
        headline: بازگشت کشتی
        language: fa
        published: 2026-06-20T09:30:00+03:30
        compose: {slideshow: true}
        media:
          - {id: p, file: p.jpg, caption: کشتی, credit: AFP, alt: کشتی}
    """)
    with pytest.raises(InputError) as caught:
        check_story(folder, Settings())
    assert [str(p) for p in caught.value.problems] == [
        (f"{folder / 'story.md'}: compose: has right-to-left text to draw, but this Pillow has no raqm layout "
         "engine (libraqm with libfribidi), so right-to-left text would be drawn unjoined and backwards; install "
         "libfribidi0 (Debian) or fribidi and rebuild")]


@pytest.mark.parametrize(("language", "joined"), [("fa", "Ann و Bo"), ("ar", "Ann وBo"), ("he", "Ann וBo"),
                                                  ("ur", "Ann اور Bo")])
def test_check_refuses_latin_names_a_right_to_left_language_joins_without_raqm(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, joined: str):
    import mediapack.check

    monkeypatch.setattr(mediapack.check, "has_raqm", lambda: False)
    make_photo(tmp_path / "s" / "p.jpg")
    folder = write_story(tmp_path / "s", f"""
        headline: Ferry returns
        language: {language}
        byline: [Ann, Bo]
        published: 2026-06-20T09:30:00Z
        compose: {{slideshow: true}}
        media:
          - {{id: p, file: p.jpg, caption: Ferry, credit: AFP, alt: Ferry}}
    """)
    with pytest.raises(InputError) as caught:
        check_story(folder, Settings())
    assert [str(p) for p in caught.value.problems] == [
        f"{folder / 'story.md'}: compose: has right-to-left text to draw, but {RAQM_MISSING}"]
    story = read_story(folder, Findings())
    assert story is not None and title_words(story)[2] == joined  # the title card's byline; each name alone is Latin


def test_check_passes_right_to_left_words_no_composition_draws_without_raqm(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    import mediapack.check

    monkeypatch.setattr(mediapack.check, "has_raqm", lambda: False)
    make_photo(tmp_path / "s" / "p.jpg")
    make_video(tmp_path / "s" / "v.mp4", seconds=1.0, size=(160, 120), audio=False)
    folder = write_story(tmp_path / "s", """
        headline: کشتی بازگشت
        language: fa
        published: 2026-06-20T09:30:00Z
        compose: {social: true}
        media:
          - {id: v, file: v.mp4, caption: کشتی, credit: AFP}
          - {id: p, file: p.jpg, caption: کشتی, credit: خبرگزاری, alt: کشتی}
    """)
    # Social cuts draw only the video's credit and subtitles: no title card, no lower thirds.
    assert check_story(folder, Settings()).story.headline == "کشتی بازگشت"


def test_check_warns_of_a_script_the_bundled_fonts_cannot_draw(tmp_path: Path):
    make_photo(tmp_path / "s" / "p.jpg")
    folder = write_story(tmp_path / "s", """
        headline: नौका फिर से चली
        language: hi
        published: 2026-06-20T09:30:00+05:30
        compose: {slideshow: true}
        media:
          - {id: p, file: p.jpg, caption: 渡轮, credit: AFP, alt: नौका}
    """)
    assert [str(w) for w in check_story(folder, Settings()).warnings] == [
        (f"{folder / 'story.md'}: compose: has CJK, Devanagari text, which the bundled fonts (DejaVu Sans, "
         "Vazirmatn) have no letters for: the compositions would show it as empty boxes")]
