"""Fonts: Helvetica and the embedded Debian CJK font by default (the built-in CID font without
it), an embedded TrueType file when configured."""

from __future__ import annotations

import io
import os
import re
import threading

import pytest
from pypdf import PdfReader

from returns_portal.documents import FontError, render_label_pdf, render_packing_slip_pdf
from returns_portal.documents import fonts as fonts_module
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


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Every font the PDF's pages use, by name: True when its glyphs are in the file."""
    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            described = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font["/BaseFont"])] = embedded
    return found


@pytest.fixture
def no_system_cjk_font(monkeypatch):
    """As on a machine without fonts-wqy-zenhei."""
    monkeypatch.setattr(fonts_module, "SYSTEM_CJK_FONTS", ("/nowhere/wqy-zenhei.ttc",))


def test_latin_text_is_set_in_helvetica_and_chinese_in_the_built_in_cjk_font(no_system_cjk_font):
    fonts = fonts_for(None)
    assert runs(fonts, "上海 Pudong 88") == (("STSong-Light", "上海"), ("Helvetica", " Pudong 88"))


def test_without_the_debian_font_chinese_still_prints_in_the_built_in_font(no_system_cjk_font):
    pdf = render_label_pdf(make_label(note="请在7天内寄回"))
    assert "请在7天内寄回" in pdf_text(pdf)
    fonts = embedded_fonts(pdf)
    assert any("STSong-Light" in name for name in fonts)
    assert not any(fonts.values())  # nothing embedded: the reader supplies the glyphs


@needs_wqy
def test_chinese_is_set_in_the_embedded_debian_font_by_default():
    fonts = fonts_for(None)
    [(chinese, text), (latin, _)] = runs(fonts, "上海 Pudong 88")
    assert text == "上海" and chinese != "STSong-Light" and latin == "Helvetica"


@needs_wqy
@pytest.mark.parametrize("render", [render_label_pdf, render_packing_slip_pdf])
def test_a_chinese_document_embeds_its_cjk_font_without_any_configuration(render):
    data = (
        make_label(note="请在7天内寄回", from_address=make_address(city="上海市"))
        if render is render_label_pdf
        else make_slip(title="退货装箱单")
    )
    pdf = render(data)
    fonts = embedded_fonts(pdf)
    assert any(embedded and "WenQuanYi" in name for name, embedded in fonts.items()), fonts
    assert not any("STSong-Light" in name for name in fonts)
    assert "Helvetica" in " ".join(fonts)  # Latin text keeps the crisp built-in font
    text = pdf_text(pdf)
    assert ("请在7天内寄回" in text and "上海市" in text) or "退货装箱单" in text


@needs_wqy
def test_an_english_document_embeds_no_font():
    assert not any(embedded_fonts(render_label_pdf(make_label())).values())


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
