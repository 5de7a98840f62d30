"""The packing slip that goes in the box."""

from __future__ import annotations

import re

import pytest

from returns_portal.documents import render_packing_slip_pdf
from tests.documents.builders import HEADINGS, make_item, make_slip, page_size, pdf_text, read_pdf


def test_an_a4_slip_is_a4():
    assert page_size(render_packing_slip_pdf(make_slip(page_size="A4"))) == (595, 842)


def test_a_letter_slip_is_us_letter():
    assert page_size(render_packing_slip_pdf(make_slip(page_size="Letter"))) == (612, 792)


def test_an_unknown_page_size_is_refused():
    with pytest.raises(ValueError, match="A5"):
        render_packing_slip_pdf(make_slip(page_size="A5"))


def test_the_slip_shows_the_rma_order_customer_and_return_address():
    text = pdf_text(render_packing_slip_pdf(make_slip()))
    for wanted in (
        "Return packing slip",
        "R-7K3M-Q9",
        "1001-2048",
        "Maria Popescu",
        "Lotus & Pine Returns",
        "Send to",
    ):
        assert wanted in text


def test_the_slip_lists_each_item_with_its_quantity():
    items = (
        make_item(1, name="Wool scarf", quantity=2),
        make_item(2, name="Leather gloves", quantity=1),
    )
    text = pdf_text(render_packing_slip_pdf(make_slip(items=items)))
    assert "Wool scarf" in text and "Leather gloves" in text
    # Each row reads across: SKU, quantity, reason.
    assert re.search(r"SKU-0001\s+2\s+Too small", text)
    assert re.search(r"SKU-0002\s+1\s+Too small", text)
    assert re.search(r"Item\s+SKU\s+Qty\s+Reason", text)


def test_the_slip_lists_what_goes_in_the_box_and_numbered_instructions():
    text = pdf_text(render_packing_slip_pdf(make_slip()))
    for wanted in (
        "What goes in the box",
        "The charging cable and the manual.",
        "How to send it",
        "Put the items and this slip in the box.",
        "Stick the label on the outside.",
    ):
        assert wanted in text
    assert "1." in text and "2." in text


def test_a_long_item_name_wraps_within_its_column():
    name = "Extraordinarily long product name that describes every single feature it has"
    text = pdf_text(render_packing_slip_pdf(make_slip(items=(make_item(1, name=name),))))
    lines = text.splitlines()
    assert name not in lines  # too long for one line of its column
    assert name in " ".join(lines)


def test_sixty_items_spill_onto_a_second_page_with_every_item_listed():
    items = tuple(make_item(n, name=f"Item number {n}") for n in range(1, 61))
    pdf = render_packing_slip_pdf(make_slip(items=items))
    assert len(read_pdf(pdf).pages) >= 2
    text = pdf_text(pdf)
    for n in range(1, 61):
        assert f"Item number {n}\n" in text + "\n"


def test_every_page_carries_the_rma_number_for_the_warehouse():
    items = tuple(make_item(n) for n in range(1, 61))
    reader = read_pdf(render_packing_slip_pdf(make_slip(items=items)))
    assert all("R-7K3M-Q9" in page.extract_text() for page in reader.pages)


def test_a_chinese_slip_extracts_as_written():
    slip = make_slip(
        title="退货装箱单",
        customer_name="王小明",
        items=(make_item(1, name="羊毛混纺圆领毛衣", reason="尺码太小"),),
        instructions=("请在7天内寄回。",),
    )
    text = pdf_text(render_packing_slip_pdf(slip))
    for wanted in ("退货装箱单", "王小明", "羊毛混纺圆领毛衣", "尺码太小", "请在7天内寄回。"):
        assert wanted in text


def test_the_same_slip_data_gives_the_same_bytes():
    assert render_packing_slip_pdf(make_slip()) == render_packing_slip_pdf(make_slip())


def test_different_slip_data_gives_different_bytes():
    assert render_packing_slip_pdf(make_slip()) != render_packing_slip_pdf(
        make_slip(order_number="1001-2049")
    )


def test_empty_include_and_instruction_lists_leave_their_sections_out():
    text = pdf_text(render_packing_slip_pdf(make_slip(include=(), instructions=())))
    assert "What goes in the box" not in text
    assert "How to send it" not in text


def test_missing_headings_are_named():
    headings = {k: v for k, v in HEADINGS.items() if k not in {"sku", "reason"}}
    with pytest.raises(ValueError, match="reason, sku"):
        render_packing_slip_pdf(make_slip(headings=headings))
