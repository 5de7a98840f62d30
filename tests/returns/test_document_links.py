"""The return page links every document the portal makes for the return."""

from __future__ import annotations

import re


def document_links(page: str) -> list[list[str]]:
    """The documents section's list items, each as the hrefs it holds."""
    section = re.search(r'<section class="card documents">.*?</section>', page, re.S)
    assert section, page[:300]
    items = re.findall(r"<li>(.*?)</li>", section.group(0), re.S)
    return [re.findall(r'href="([^"]+)"', item) for item in items]


def test_the_zpl_label_is_linked_next_to_the_pdf_label(customer):
    number = customer.complete()
    page = customer.client.get(f"/returns/{number}").text
    label_item = next(
        item for item in document_links(page) if f"/returns/{number}/label.pdf" in item
    )
    assert f"/returns/{number}/label.zpl" in label_item
    assert "Label for thermal printers (ZPL)" in page


def test_the_linked_zpl_label_downloads(customer):
    number = customer.complete()
    page = customer.client.get(f"/returns/{number}").text
    href = next(h for item in document_links(page) for h in item if h.endswith("label.zpl"))
    response = customer.client.get(href)
    assert response.status_code == 200 and response.mimetype == "application/zpl"
    assert f'filename="{number}-label.zpl"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"^XA")


def test_the_zpl_link_reads_in_chinese(customer):
    customer.client.get("/?lang=zh_Hans")
    number = customer.complete()
    assert "热敏打印机面单（ZPL）" in customer.client.get(f"/returns/{number}").text
