"""Every heading on a return's documents reads in the customer's language."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def chinese_return(customer) -> str:
    customer.client.get("/?lang=zh_Hans")
    return customer.complete()


def test_a_chinese_label_heads_its_return_and_order_numbers_in_chinese(customer):
    number = chinese_return(customer)
    text = pdf_text(customer.client.get(f"/returns/{number}/label.pdf").data)
    assert "退货单号" in text and "订单号" in text
    assert not re.search(r"\b(RMA|ORDER|FROM|TO)\b", text), text


def test_a_chinese_packing_slip_heads_its_numbers_in_chinese(customer):
    number = chinese_return(customer)
    text = pdf_text(customer.client.get(f"/returns/{number}/slip.pdf").data)
    assert "退货单号" in text and "订单号" in text
    assert not re.search(r"\b(RMA|ORDER)\b", text), text


def test_an_english_label_keeps_its_headings(customer):
    number = customer.complete()
    text = pdf_text(customer.client.get(f"/returns/{number}/label.pdf").data)
    for heading in ("RMA", "ORDER", "FROM", "TO"):
        assert re.search(rf"\b{heading}\b", text), heading


def test_a_chinese_zpl_label_prints_its_headings_in_english_rather_than_leaving_them_out(
    customer,
):
    # A thermal printer's built-in font has no Chinese: a blank heading would mislead.
    number = chinese_return(customer)
    zpl = customer.client.get(f"/returns/{number}/label.zpl").data.decode()
    for heading in ("RMA", "ORDER", "FROM", "TO"):
        assert f"^FD{heading}^FS" in zpl, heading
