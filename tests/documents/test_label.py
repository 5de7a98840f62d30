"""The 4×6 return label as a PDF."""

from __future__ import annotations

import dataclasses

import pytest

from returns_portal.documents import render_label_pdf
from tests.documents.builders import make_address, make_label, page_size, pdf_text, read_pdf


def test_the_label_is_four_by_six_inches():
    pdf = render_label_pdf(make_label())
    assert len(read_pdf(pdf).pages) == 1
    assert page_size(pdf) == (288, 432)


def test_the_label_shows_the_tracking_rma_and_order_numbers():
    text = pdf_text(render_label_pdf(make_label()))
    for wanted in ("SP681651297CN", "R-7K3M-Q9", "1001-2048"):
        assert wanted in text


def test_the_label_shows_carrier_service_headings_and_both_addresses():
    text = pdf_text(render_label_pdf(make_label(heading_from="FROM", heading_to="TO")))
    for wanted in (
        "Swift Post",
        "Express",
        "FROM",
        "TO",
        "Maria Popescu",
        "Lotus & Pine Returns",
        "215000 Suzhou",
        "1.20 kg",
        "2026-11-23",
    ):
        assert wanted in text


def test_a_chinese_note_and_address_extract_as_written():
    label = make_label(
        note="请在7天内寄回",
        heading_from="寄件人",
        from_address=make_address(
            name="王小明",
            line1="浦东新区世纪大道88号",
            city="上海市",
            postal_code="200120",
            country="CN",
        ),
    )
    text = pdf_text(render_label_pdf(label))
    for wanted in ("请在7天内寄回", "上海市", "王小明", "浦东新区世纪大道88号", "寄件人"):
        assert wanted in text


def test_the_same_label_data_gives_the_same_bytes():
    assert render_label_pdf(make_label(note="请在7天内寄回")) == render_label_pdf(
        make_label(note="请在7天内寄回")
    )


def test_different_label_data_gives_different_bytes():
    assert render_label_pdf(make_label()) != render_label_pdf(make_label(rma_number="R-7K3M-Q8"))


def test_romanian_letters_helvetica_lacks_print_as_their_base_letters_rather_than_boxes():
    text = pdf_text(render_label_pdf(make_label(from_address=make_address(city="București"))))
    assert "Bucuresti" in text


def test_a_label_without_a_qr_payload_still_renders():
    assert "SP681651297CN" in pdf_text(render_label_pdf(make_label(qr_payload="")))


def test_long_addresses_stay_on_the_page():
    long = "Very long street name that keeps going " * 4
    label = make_label(to_address=make_address(line1=long, line2=long, name="A" * 80))
    pdf = render_label_pdf(label)
    assert page_size(pdf) == (288, 432)
    assert "SP681651297CN" in pdf_text(pdf)


def test_text_is_never_read_as_markup():
    text = pdf_text(render_label_pdf(make_label(store_name="<b>Shop</b> & Co")))
    assert "<b>Shop</b> & Co" in text


@pytest.mark.parametrize("field", ["tracking_number", "rma_number"])
def test_an_empty_barcode_value_is_refused_rather_than_printing_a_blank_label(field):
    with pytest.raises(ValueError):
        render_label_pdf(dataclasses.replace(make_label(), **{field: ""}))
