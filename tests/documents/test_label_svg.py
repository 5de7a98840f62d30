"""The return label as SVG: the PDF's picture, for the page that shows it after confirming."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from reportlab.graphics.barcode.code128 import Code128

from returns_portal.documents import render_label_pdf, render_label_svg
from tests.documents.builders import make_address, make_label, pdf_text

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_svg_label_is_four_by_six_inches_in_the_pdf_s_points():
    root = ET.fromstring(render_label_svg(make_label()))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 288 432"
    assert (root.get("width"), root.get("height")) == ("4in", "6in")


def test_the_svg_label_shows_every_word_the_pdf_prints():
    label = make_label(
        note="请在7天内寄回",
        from_address=make_address(name="王小明", city="上海市", postal_code="200120"),
    )
    # A run of one font is one <text> element ("请在", "7", "天内寄回"): words span elements.
    shown = "".join(texts(render_label_svg(label)))
    printed = pdf_text(render_label_pdf(label)).split()
    assert printed
    assert [word for word in printed if word not in shown] == []


def bars(value: str) -> int:
    """How many dark bars reportlab draws for `value` in Code 128 (upper case: a bar)."""
    barcode = Code128(value)
    barcode.validate()
    barcode.encode()
    barcode.decompose()
    return sum(part.isupper() for part in barcode.decomposed)


def test_the_svg_label_draws_each_bar_of_both_barcodes():
    label = make_label(qr_payload="")  # no QR code: the one path holds the barcodes alone
    dark = ET.fromstring(render_label_svg(label)).find(f"{SVG}path")
    assert dark is not None
    assert (dark.get("d") or "").count("z") == bars(label.tracking_number) + bars(label.rma_number)


def test_the_svg_label_is_text_only_with_nothing_to_run_or_fetch():
    svg = render_label_svg(make_label(store_name='<script>alert("x")</script> & Co'))
    assert "<script" not in svg and "href" not in svg
    assert "&lt;script&gt;" in svg  # the store's name is shown as text, escaped


def test_the_svg_label_is_small_and_quick_to_render():
    label = make_label(note="请在7天内寄回")
    render_label_svg(label)  # fonts registered, code loaded
    started = time.perf_counter()
    svg = render_label_svg(label)
    assert time.perf_counter() - started < 0.05
    assert len(svg.encode()) < 40_000
