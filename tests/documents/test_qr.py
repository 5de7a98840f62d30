"""QR codes for web pages: SVG to embed, PNG to download."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from returns_portal.documents import render_qr_png, render_qr_svg

PAYLOAD = "RP1:SP681651297CN:R-7K3M-Q9"


def test_the_svg_is_valid_xml_with_an_svg_root():
    root = ET.fromstring(render_qr_svg(PAYLOAD))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")


def test_the_svg_has_no_scripts_or_ids_to_clash_with_the_page():
    svg = render_qr_svg(PAYLOAD)
    assert "<script" not in svg and " id=" not in svg and "<?xml" not in svg


def test_the_svg_is_the_same_for_the_same_payload_and_differs_for_another():
    assert render_qr_svg(PAYLOAD) == render_qr_svg(PAYLOAD)
    assert render_qr_svg(PAYLOAD) != render_qr_svg(PAYLOAD + "X")


def test_the_png_is_a_png_and_grows_with_its_scale():
    small, large = render_qr_png(PAYLOAD, scale=2), render_qr_png(PAYLOAD, scale=8)
    assert small.startswith(b"\x89PNG\r\n\x1a\n") and large.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(small[16:20], "big")
    assert int.from_bytes(large[16:20], "big") == 4 * width


def test_an_empty_payload_is_refused():
    with pytest.raises(ValueError):
        render_qr_svg("")
    with pytest.raises(ValueError):
        render_qr_png(PAYLOAD, scale=0)
