"""Headers every page carries: staff and customer-order pages are never stored by a cache."""

from __future__ import annotations

import pytest

from returns_portal.accounts.services import create_user
from returns_portal.extensions import limiter
from returns_portal.orders.services import upsert_order
from tests.builders import open_portal_return, recent_order_document

PASSWORD = "correct horse battery"


def signed_in(client, role: str):
    create_user(f"{role}@example.com", PASSWORD, role)
    response = client.post(
        "/staff/login", data={"email": f"{role}@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def rma(session):
    limiter.reset()
    upsert_order(recent_order_document())
    return open_portal_return()


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("warehouse", "/warehouse/scan"),
        ("warehouse", "/warehouse/unidentified"),
        ("finance", "/finance/refunds"),
        ("admin", "/staff/"),
    ],
)
def test_every_staff_page_is_kept_out_of_caches(client, rma, role, path):
    response = signed_in(client, role).get(path)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_sign_in_page_and_the_redirect_to_it_are_kept_out_of_caches(client, session):
    assert client.get("/staff/login").headers["Cache-Control"] == "private, no-store"
    redirected = client.get("/warehouse/scan")
    assert redirected.status_code == 302
    assert redirected.headers["Cache-Control"] == "private, no-store"


def test_the_customers_order_and_return_pages_are_kept_out_of_caches(client, rma):
    found = client.post("/lookup", data={"order_number": "1001", "contact": "li.wei@example.com"})
    assert found.status_code == 302
    assert found.headers["Cache-Control"] == "private, no-store"
    for path in ("/return/items", f"/returns/{rma.number}"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["Cache-Control"] == "private, no-store", path


def test_public_assets_may_still_be_cached(client, session):
    response = client.get("/static/css/portal.css")
    response.close()  # a file response: release the file it streams
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
