"""A Chinese return's documents embed their CJK font with no PDF_FONT_PATH configured."""

from __future__ import annotations

import pytest

from tests.documents.test_fonts import embedded_fonts, needs_wqy


@needs_wqy
@pytest.mark.parametrize("document", ["label.pdf", "slip.pdf"])
def test_a_chinese_return_s_pdf_embeds_a_cjk_font_by_default(app, customer, document):
    assert not app.config.get("PDF_FONT_PATH")
    customer.client.get("/?lang=zh_Hans")
    number = customer.complete()
    fonts = embedded_fonts(customer.client.get(f"/returns/{number}/{document}").data)
    assert any(embedded and "WenQuanYi" in name for name, embedded in fonts.items()), fonts
