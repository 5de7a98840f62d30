"""Fonts: the built-in ones by default, an embedded TrueType file when configured."""

from __future__ import annotations

import os
import re
import threading

import pytest

from returns_portal.documents import FontError, render_label_pdf, render_packing_slip_pdf
from returns_portal.documents.fonts import fonts_for, runs
from tests.documents.builders import make_address, make_label, make_slip, pdf_text

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WQY = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
needs_dejavu = pytest.mark.skipif(
    not os.path.isfile(DEJAVU), reason="fonts-dejavu-core is not installed"
)
needs_wqy = pytest.mark.skipif(not os.path.isfile(WQY), reason="fonts-wqy-zenhei is not installed")


def test_a_missing_font_file_is_an_error_naming_the_path():
    with pytest.raises(FontError, match=re.escape("/nowhere/font.ttf")):
        render_label_pdf(make_label(), font_path="/nowhere/font.ttf")


def test_a_file_that_is_not_a_font_is_an_error_naming_the_path(tmp_path):
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    with pytest.raises(FontError, match=re.escape(str(bogus))):
        render_packing_slip_pdf(make_slip(), font_path=str(bogus))


def test_latin_text_is_set_in_helvetica_and_chinese_in_the_built_in_cjk_font():
    fonts = fonts_for(None)
    assert runs(fonts, "上海 Pudong 88") == (("STSong-Light", "上海"), ("Helvetica", " Pudong 88"))


def test_registering_from_many_threads_at_once_gives_one_font_set():
    found = []
    threads = [threading.Thread(target=lambda: found.append(fonts_for(None))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(fonts) for fonts in found}) == 1


@needs_dejavu
def test_a_truetype_font_keeps_romanian_letters_and_still_shows_chinese():
    label = make_label(from_address=make_address(city="București"), note="请在7天内寄回")
    text = pdf_text(render_label_pdf(label, font_path=DEJAVU))
    assert "București" in text
    assert "请在7天内寄回" in text


@needs_dejavu
def test_an_embedded_font_gives_the_same_bytes_whatever_was_rendered_before():
    first = render_label_pdf(make_label(), font_path=DEJAVU)
    render_label_pdf(make_label(note="Something else entirely"), font_path=DEJAVU)
    assert render_label_pdf(make_label(), font_path=DEJAVU) == first


@needs_wqy
def test_a_font_collection_embeds_its_first_face_for_chinese():
    label = make_label(note="请在7天内寄回", from_address=make_address(city="上海市"))
    pdf = render_label_pdf(label, font_path=WQY)
    assert b"WenQuanYi" in pdf
    text = pdf_text(pdf)
    assert "请在7天内寄回" in text and "上海市" in text
