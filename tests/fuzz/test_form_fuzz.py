"""Fuzz the customer and staff forms: whatever is typed, the page answers 2xx, 3xx or 4xx."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_portal.accounts.services import create_user
from returns_portal.extensions import limiter
from returns_portal.orders.services import upsert_order
from returns_portal.receiving import services as receiving
from tests.builders import open_portal_return, recent_order_document
from tests.fuzz.conftest import FUZZ, fresh_g

PASSWORD = "correct horse battery"

# What broke the portal before, and what tends to: numbers that are not ASCII, out of range or
# not finite, NUL bytes, invalid UTF-8, very long text.
TRICKY = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "²",
    "١٢",
    "1e5",
    "1.5",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    str(2**31),
    str(2**63),
    "9" * 40,
    "\x00",
    "a\x00b",
    "x" * 5000,
    "%00",
    "../../etc/passwd",
    "<script>",
    "restock",
    "A",
    "yes",
    "no",
    "refund",
    "exchange",
    "label",
    "too_small",
]
TEXT = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=80),
    st.binary(max_size=20).map(lambda raw: raw.decode("latin-1")),
)
INVALID_UTF8 = st.binary(min_size=1, max_size=12).filter(lambda raw: not _utf8(raw))


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def form(fields):
    """A strategy of form bodies: each field absent or any text, sometimes invalid UTF-8."""
    values = st.one_of(TEXT, INVALID_UTF8)
    return st.fixed_dictionaries({}, optional=dict.fromkeys(fields, values))


def check(response, what):
    assert response.status_code < 500, f"{what} answered {response.status_code}"


def fuzz_form(client, method, url, fields):
    """Send `fields` to `url`, each absent or drawn by Hypothesis, and check the answer."""

    @FUZZ
    @given(data=form(fields))
    def send(data):
        fresh_g()
        limiter.reset()
        if method == "GET":
            response = client.get(url, query_string=data)
        else:
            response = client.post(url, data=data)
        check(response, f"{method} {url} with {data!r}")

    send()


def fuzz_forms(client, targets):
    for method, url, fields in targets:
        fuzz_form(client, method, url, fields)


def sign_in(client, role):
    create_user(f"{role}@example.com", PASSWORD, role)
    response = client.post(
        "/staff/login", data={"email": f"{role}@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302


@pytest.fixture
def order(session):
    upsert_order(recent_order_document())


def test_no_customer_form_answers_a_server_error(client, order):
    fuzz_forms(client, [("POST", "/lookup", ["order_number", "contact"]), ("GET", "/", ["lang"])])
    limiter.reset()
    found = client.post("/lookup", data={"order_number": "1001", "contact": "li.wei@example.com"})
    assert found.status_code == 302
    lines = ["L1", "L2", "L3"]
    fuzz_forms(
        client,
        [
            (
                "POST",
                "/return/items",
                [f"{k}-{i}" for i in lines for k in ("qty", "reason", "note")],
            ),
            (
                "POST",
                "/return/options",
                [f"{k}-{i}" for i in lines for k in ("resolution", "exchange")]
                + ["method", "carrier"],
            ),
            ("POST", "/return/review", ["token"]),
        ],
    )


def test_no_staff_form_answers_a_server_error(client, order, app):
    rma = open_portal_return()
    inspection = receiving.receive_parcel(rma, "test")
    receiving.scan_item(inspection, "APP-TEE-BLK-M", "test")
    expected = receiving.expected_items(inspection)[0]
    checks = [f"q-{q.code}" for q in receiving.questions_for(inspection, expected)]
    item_url = f"/warehouse/receipts/{inspection.id}/items/{expected.finding.id}"
    sign_in(client, "admin")
    fuzz_forms(
        client,
        [
            ("POST", "/warehouse/scan", ["code"]),
            ("POST", f"/warehouse/receipts/{inspection.id}/scan", ["code"]),
            (
                "POST",
                item_url,
                [*checks, "grade", "disposition", "override_reason", "notes", "diminished_value"],
            ),
            (
                "POST",
                "/warehouse/unidentified",
                ["code", "sender_name", "sender_email", "order_number", "notes"],
            ),
            ("GET", "/warehouse/unidentified", ["q", "code"]),
            (
                "GET",
                "/finance/refunds",
                ["status", "older_than", "min_amount", "max_amount", "method"],
            ),
            ("POST", "/finance/refunds/bulk-approve", ["ids", "confirm"]),
            ("GET", "/finance/exports/refunds.csv", ["from", "to"]),
        ],
    )
    # A refund of its own for the pages that change one.
    client.post(item_url, data={**dict.fromkeys(checks, "yes"), "grade": "A"})
    client.post(f"/warehouse/receipts/{inspection.id}/complete")
    queue = client.get("/finance/refunds").text
    refund_id = re.search(r"/finance/refunds/(\d+)", queue).group(1)
    fuzz_forms(
        client,
        [
            ("POST", f"/finance/refunds/{refund_id}/adjust", ["amount", "reason"]),
            ("POST", f"/finance/refunds/{refund_id}/deny", ["reason"]),
            ("POST", "/staff/login", ["email", "password"]),
        ],
    )
