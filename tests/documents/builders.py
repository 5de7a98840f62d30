"""Small builders for document tests: a label and a packing slip with plausible data."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from pypdf import PdfReader

from returns_portal.documents import LabelData, PackingSlipData, SlipItem
from returns_portal.shipping.carriers import Address

HEADINGS = {
    "rma": "Return",
    "order": "Order",
    "customer": "Customer",
    "item": "Item",
    "sku": "SKU",
    "qty": "Qty",
    "reason": "Reason",
    "include": "What goes in the box",
    "instructions": "How to send it",
    "ship_to": "Send to",
}


def make_address(**overrides: Any) -> Address:
    fields: dict[str, Any] = {
        "name": "Maria Popescu",
        "line1": "12 Long Street",
        "city": "Bucharest",
        "postal_code": "010101",
        "country": "RO",
        "phone": "+40 700 000 000",
    }
    fields.update(overrides)
    return Address(**fields)


def make_label(**overrides: Any) -> LabelData:
    fields: dict[str, Any] = {
        "store_name": "Lotus & Pine",
        "rma_number": "R-7K3M-Q9",
        "order_number": "1001-2048",
        "carrier_name": "Swift Post",
        "service_name": "Express",
        "tracking_number": "SP681651297CN",
        "from_address": make_address(),
        "to_address": make_address(
            name="Lotus & Pine Returns",
            line1="1 Warehouse Road",
            city="Suzhou",
            postal_code="215000",
            country="CN",
        ),
        "weight_grams": 1200,
        "shipped_on": date(2026, 11, 23),
        "qr_payload": "RP1:SP681651297CN:R-7K3M-Q9",
    }
    fields.update(overrides)
    return LabelData(**fields)


def make_item(number: int = 1, **overrides: Any) -> SlipItem:
    fields: dict[str, Any] = {
        "sku": f"SKU-{number:04d}",
        "name": f"Merino crew-neck sweater no. {number}",
        "variant": "Blue / XL",
        "quantity": number % 3 + 1,
        "reason": "Too small",
    }
    fields.update(overrides)
    return SlipItem(**fields)


def make_slip(**overrides: Any) -> PackingSlipData:
    fields: dict[str, Any] = {
        "store_name": "Lotus & Pine",
        "title": "Return packing slip",
        "rma_number": "R-7K3M-Q9",
        "order_number": "1001-2048",
        "customer_name": "Maria Popescu",
        "return_address": make_address(name="Lotus & Pine Returns", city="Suzhou", country="CN"),
        "items": (make_item(1), make_item(2)),
        "include": ("The charging cable and the manual.", "The free gift: travel pouch."),
        "instructions": (
            "Put the items and this slip in the box.",
            "Stick the label on the outside.",
        ),
        "headings": HEADINGS,
    }
    fields.update(overrides)
    return PackingSlipData(**fields)


def read_pdf(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in read_pdf(data).pages)


def page_size(data: bytes, page: int = 0) -> tuple[int, int]:
    box = read_pdf(data).pages[page].mediabox
    return round(float(box.width)), round(float(box.height))
