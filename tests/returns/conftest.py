"""A customer's order, delivered recently, for driving the return flow."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.orders.services import upsert_order
from tests.builders import recent_order_document


@pytest.fixture
def order(session):
    """Order 1001: T-shirts (2) and a custom mug delivered 2 days ago; a kettle 20 days ago."""
    document = recent_order_document()
    upsert_order(document)
    db.session.add_all([
        StockLevel(sku="APP-TEE-BLK-M", product_group="APP-TEE", name="T-shirt", variant="Black / M", on_hand=5),
        StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt", variant="Black / L", on_hand=1),
        StockLevel(sku="APP-TEE-WHT-L", product_group="APP-TEE", name="T-shirt", variant="White / L", on_hand=0),
    ])  # fmt: skip
    db.session.commit()
    return document


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return match.group(1) if match else ""


def photo_bytes(kind: str = "JPEG") -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    image.save(out, format=kind, **({"exif": exif} if kind in {"JPEG", "WEBP"} else {}))
    return out.getvalue()


class Customer:
    """Drives the customer pages like a browser: follows the steps, keeps the session."""

    def __init__(self, client):
        self.client = client

    def find(self, number="1001", contact="li.wei@example.com"):
        page = self.client.get("/")
        return self.client.post(
            "/lookup",
            data={"order_number": number, "contact": contact, "csrf_token": csrf(page.text)},
        )

    def choose(self, data=None, **files):
        page = self.client.get("/return/items")
        form = {
            "csrf_token": csrf(page.text),
            **(data or {"qty-L1": "1", "reason-L1": "too_small"}),
        }
        for name, content in files.items():
            form[name] = content
        return self.client.post("/return/items", data=form, content_type="multipart/form-data")

    def options(self, data=None):
        page = self.client.get("/return/options")
        carrier = re.search(r'name="carrier" value="([^"]+)"', page.text)
        form = {"csrf_token": csrf(page.text), "resolution-L1": "refund", "method": "label",
                "carrier": carrier.group(1) if carrier else ""}  # fmt: skip
        form.update(data or {})
        return self.client.post("/return/options", data=form)

    def review_page(self):
        return self.client.get("/return/review")

    def confirm(self, page=None):
        page = page or self.review_page()
        token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
        return self.client.post(
            "/return/review", data={"csrf_token": csrf(page.text), "token": token}
        )

    def complete(self):
        self.find()
        self.choose()
        self.options()
        response = self.confirm()
        assert response.status_code == 302, response.text
        return response.headers["Location"].split("?")[0].rsplit("/", 1)[-1]


@pytest.fixture
def customer(app, client, order):
    from returns_portal.extensions import limiter

    limiter.reset()  # each test is a new visitor: earlier tests' lookups don't count
    app.config["WTF_CSRF_ENABLED"] = True
    yield Customer(client)
    app.config["WTF_CSRF_ENABLED"] = False
