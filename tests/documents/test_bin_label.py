"""The 4×2 bin label stuck on a returned item at inspection, as a PDF and in ZPL."""

from __future__ import annotations

import os
import re
from datetime import date
from typing import Any

import pytest

from returns_portal.documents import BinLabelData, render_bin_label_pdf, render_bin_label_zpl
from tests.documents.builders import page_size, pdf_text, read_pdf

WQY = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
CHINESE = {
    "item_name": "美利奴羊毛圆领毛衣",
    "variant": "蓝色 / XL",
    "disposition": "return_to_vendor",
    "disposition_text": "退回供应商",
    "bin_code": "RTV-07",
    "inspector": "王芳",
    "headings": {"grade": "等级", "qty": "数量", "rma": "退货单", "inspected": "检验"},
}


def make_bin_label(**overrides: Any) -> BinLabelData:
    fields: dict[str, Any] = {
        "rma_number": "R-7K3M-Q9",
        "sku": "SKU-0001",
        "item_name": "Merino crew-neck sweater",
        "variant": "Blue / XL",
        "quantity": 2,
        "grade": "A",
        "disposition": "restock",
        "disposition_text": "RESTOCK",
        "bin_code": "RST-A",
        "inspected_on": date(2026, 11, 23),
        "inspector": "Li Wei",
    }
    fields.update(overrides)
    return BinLabelData(**fields)


def zpl(**overrides: Any) -> str:
    return render_bin_label_zpl(make_bin_label(**overrides)).decode("ascii")


def test_the_bin_label_is_one_page_four_by_two_inches_landscape():
    pdf = render_bin_label_pdf(make_bin_label())
    assert len(read_pdf(pdf).pages) == 1
    assert page_size(pdf) == (288, 144)


def test_the_bin_label_shows_sku_rma_disposition_bin_code_and_grade():
    lines = pdf_text(render_bin_label_pdf(make_bin_label(grade="C"))).splitlines()
    for wanted in ("SKU-0001", "R-7K3M-Q9", "RESTOCK", "RST-A", "C"):
        assert wanted in lines


def test_the_bin_label_shows_the_item_quantity_and_who_inspected_it_when():
    text = pdf_text(render_bin_label_pdf(make_bin_label(quantity=12)))
    for wanted in ("Merino crew-neck sweater", "Blue / XL", "12", "2026-11-23", "Li Wei"):
        assert wanted in text
    for heading in ("GRADE", "QTY", "RMA", "INSPECTED"):
        assert heading in text


def test_a_chinese_item_name_disposition_and_headings_extract_as_written():
    text = pdf_text(render_bin_label_pdf(make_bin_label(**CHINESE)))
    for wanted in ("美利奴羊毛圆领毛衣", "蓝色", "退回供应商", "RTV-07", "王芳", "等级", "退货单"):
        assert wanted in text


@pytest.mark.skipif(not os.path.isfile(WQY), reason="fonts-wqy-zenhei is not installed")
def test_chinese_text_extracts_with_an_embedded_truetype_font_too():
    text = pdf_text(render_bin_label_pdf(make_bin_label(**CHINESE), font_path=WQY))
    assert "退回供应商" in text and "美利奴羊毛圆领毛衣" in text


def test_a_long_disposition_is_shrunk_to_fit_rather_than_cut():
    label = make_bin_label(disposition="return_to_vendor", disposition_text="RETURN TO VENDOR")
    assert "RETURN TO VENDOR" in pdf_text(render_bin_label_pdf(label))


def test_a_long_item_name_stays_on_the_page_with_the_barcode_and_numbers():
    pdf = render_bin_label_pdf(make_bin_label(item_name="Waterproof hiking jacket " * 8))
    assert page_size(pdf) == (288, 144)
    text = pdf_text(pdf)
    assert "SKU-0001" in text and "R-7K3M-Q9" in text


def test_no_disposition_text_prints_the_disposition_code_in_capitals():
    label = make_bin_label(disposition="return_to_vendor", disposition_text=" ")
    assert "RETURN TO VENDOR" in pdf_text(render_bin_label_pdf(label))


def test_the_same_bin_label_data_gives_the_same_bytes():
    assert render_bin_label_pdf(make_bin_label(**CHINESE)) == render_bin_label_pdf(
        make_bin_label(**CHINESE)
    )
    assert render_bin_label_zpl(make_bin_label()) == render_bin_label_zpl(make_bin_label())


def test_different_bin_label_data_gives_different_bytes():
    assert render_bin_label_pdf(make_bin_label()) != render_bin_label_pdf(
        make_bin_label(bin_code="RST-B")
    )


@pytest.mark.parametrize("render", [render_bin_label_pdf, render_bin_label_zpl])
@pytest.mark.parametrize("sku", ["", "毛衣-01"])
def test_an_empty_or_non_ascii_sku_is_refused_rather_than_printing_no_barcode(render, sku):
    with pytest.raises(ValueError):
        render(make_bin_label(sku=sku))


@pytest.mark.parametrize(
    "overrides",
    [
        {"bin_code": ""},
        {"bin_code": "上架区-A"},
        {"grade": "E"},
        {"grade": "a"},
        {"disposition": "donate"},
        {"quantity": 0},
        {"headings": {"quantity": "Qty"}},
    ],
)
def test_data_that_would_print_a_misleading_label_is_refused(overrides):
    with pytest.raises(ValueError):
        render_bin_label_pdf(make_bin_label(**overrides))
    with pytest.raises(ValueError):
        render_bin_label_zpl(make_bin_label(**overrides))


def test_the_zpl_is_one_format_from_xa_to_xz():
    text = zpl()
    assert text.startswith("^XA") and text.endswith("^XZ")
    assert text.count("^XA") == text.count("^XZ") == 1


def test_the_zpl_is_four_by_two_inches_at_203_dpi():
    assert "^PW812" in zpl() and "^LL406" in zpl()


def test_the_zpl_prints_the_sku_as_code_128_and_the_bin_code_and_disposition_as_text():
    text = zpl()
    assert re.search(r"\^BC[^\^]*\^FDSKU-0001\^FS", text)
    for wanted in ("^FDRST-A^FS", "^FDRESTOCK^FS", "^FDR-7K3M-Q9^FS", "^FD2^FS"):
        assert wanted in text


def test_the_zpl_is_ascii_and_falls_back_to_english_where_the_words_are_chinese():
    data = render_bin_label_zpl(make_bin_label(**CHINESE))
    assert data.isascii()
    text = data.decode("ascii")
    for wanted in ("^FDRETURN TO VENDOR^FS", "^FDRTV-07^FS", "^FDGRADE^FS", "^FDXL^FS"):
        assert wanted in text
    assert re.search(r"\^BC[^\^]*\^FDSKU-0001\^FS", text)


def test_every_zpl_position_is_on_the_label():
    for x, y in re.findall(r"\^FO(\d+),(\d+)", zpl(**CHINESE)):
        assert 0 <= int(x) < 812 and 0 <= int(y) < 406


def test_zpl_control_characters_in_the_item_name_are_escaped():
    assert "^FH_^FDA_5EB_7EC^FS" in zpl(item_name="A^B~C")
