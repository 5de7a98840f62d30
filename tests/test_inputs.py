"""The input boundary refuses what no column or schema can hold with a 4xx, never a 500."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from returns_portal.accounts.services import create_user
from returns_portal.extensions import db
from returns_portal.inputs import INT32_MAX, parse_int, parse_money
from returns_portal.orders.services import upsert_order
from returns_portal.receiving import services as receiving
from tests.builders import open_portal_return, recent_order_document

PASSWORD = "correct horse battery"


def sign_in(client, role: str):
    from returns_portal.extensions import limiter

    limiter.reset()
    create_user(f"{role}@example.com", PASSWORD, role)
    response = client.post(
        "/staff/login", data={"email": f"{role}@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


# --- the shared parsers ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["²", "١٢", "1.5", "", " ", "0x10", "1_000", "+", None])
def test_only_ascii_digits_are_a_whole_number(raw):
    assert parse_int(raw) is None


def test_a_whole_number_must_fit_the_column():
    assert parse_int(str(INT32_MAX)) == INT32_MAX
    assert parse_int(str(INT32_MAX + 1)) is None
    assert parse_int("9" * 40) is None
    assert parse_int("-3") is None and parse_int("-3", minimum=-5) == -3


@pytest.mark.parametrize("raw", ["NaN", "sNaN", "Infinity", "-inf", "1e3", "1e999999", "1" * 20])
def test_money_is_a_plain_finite_decimal(raw):
    assert parse_money(raw) is None


def test_plain_amounts_are_money():
    assert parse_money(" 120.50 ") == Decimal("120.50")


# --- the request check ----------------------------------------------------------------------


def test_a_nul_byte_in_the_path_is_a_400_not_a_database_error(client):
    assert client.get("/returns/R-%00").status_code == 400


def test_a_nul_byte_in_an_api_path_answers_json_with_the_field(client, auth):
    response = client.get("/api/v1/orders/A%00B", headers=auth)
    assert response.status_code == 400
    assert "path" in response.json["errors"]


def test_invalid_utf8_in_the_path_and_nul_in_the_query_are_refused(client):
    assert client.get("/returns/R-%FF").status_code == 400
    assert client.get("/?lang=%00").status_code == 400


def test_a_nul_byte_in_a_form_value_is_refused_with_the_field(client):
    response = client.post("/lookup", data={"order_number": "10\x0001", "contact": "x@example.com"})
    assert response.status_code == 400


def test_json_strings_that_no_column_can_store_are_refused_with_their_path(client, auth):
    document = recent_order_document("N-1")
    document["lines"][0]["name"] = "Tee\x00"
    response = client.post("/api/v1/orders", json=document, headers=auth)
    assert response.status_code == 400
    assert "lines.0.name" in response.json["errors"]
    body = b'{"number": "\\ud800"}'
    response = client.post(
        "/api/v1/orders", data=body, content_type="application/json", headers=auth
    )
    assert response.status_code == 400 and "number" in response.json["errors"]


def test_json_nested_too_deep_is_refused(client, auth):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(
        "/api/v1/policy/evaluate", data=body, content_type="application/json", headers=auth
    )
    assert response.status_code == 400
    assert "body" in response.json["errors"]


def test_an_id_beyond_the_integer_column_matches_no_page(client):
    sign_in(client, "finance")
    assert client.get(f"/finance/refunds/{2**31}").status_code == 404
    assert client.get(f"/finance/refunds/{2**70}").status_code == 404


# --- the API's schema -----------------------------------------------------------------------


def test_a_repeated_payment_reference_is_a_422_naming_the_payment(client, auth):
    document = recent_order_document("P-1")
    document["payments"] = [
        {"reference": "pi_same", "amount": 100},
        {"reference": "pi_same", "amount": 200},
    ]
    response = client.post("/api/v1/orders", json=document, headers=auth)
    assert response.status_code == 422
    assert "payments.1.reference" in response.json["errors"]


@pytest.mark.parametrize("value", [0, 1, "true", "no"])
def test_booleans_are_strict(client, auth, value):
    document = recent_order_document("B-1") | {"withdrawal_info_given": value}
    response = client.post("/api/v1/orders", json=document, headers=auth)
    assert response.status_code == 422
    assert "withdrawal_info_given" in response.json["errors"]


def test_parcel_quantities_must_fit_the_column(client, auth):
    document = recent_order_document("Q-1")
    document["parcels"][0]["lines"] = dict.fromkeys(document["parcels"][0]["lines"], 2**40)
    response = client.post("/api/v1/orders", json=document, headers=auth)
    assert response.status_code == 422


def test_a_redemption_beyond_any_balance_column_is_a_422(client, auth):
    body = {"amount": 2**70, "currency": "CNY", "key": "k1"}
    response = client.post(
        "/api/v1/store-credit/SC-AAAA-BBBB-CCCC/redemptions", json=body, headers=auth
    )
    assert response.status_code == 422 and "amount" in response.json["errors"]


# --- the forms ------------------------------------------------------------------------------


def test_a_superscript_quantity_counts_as_nothing_chosen(client, session):
    upsert_order(recent_order_document())
    client.post("/lookup", data={"order_number": "1001", "contact": "li.wei@example.com"})
    response = client.post("/return/items", data={"qty-L1": "²", "reason-L1": "too_small"})
    assert response.status_code == 200
    assert "Choose at least one item to return." in response.text


@pytest.fixture
def inspection(client, session):
    upsert_order(recent_order_document())
    rma = open_portal_return()
    sign_in(client, "warehouse")
    receipt = receiving.receive_parcel(rma, "test")
    receiving.scan_item(receipt, "APP-TEE-BLK-M", "test")
    item = receiving.expected_items(receipt)[0].finding
    url = f"/warehouse/receipts/{receipt.id}/items/{item.id}"
    codes = [q.code for q in receiving.questions_for(receipt, receiving.expected_items(receipt)[0])]
    return url, {f"q-{code}": "yes" for code in codes}


@pytest.mark.parametrize("value", ["²", "99999999999", "1e5", "NaN"])
def test_a_diminished_value_that_is_not_a_small_whole_number_is_refused(client, inspection, value):
    url, answers = inspection
    response = client.post(url, data={**answers, "grade": "A", "diminished_value": value})
    assert response.status_code == 200
    assert "whole number of minor units" in response.text


def test_an_unknown_disposition_is_refused_with_a_message(client, inspection):
    url, answers = inspection
    response = client.post(url, data={**answers, "grade": "A", "disposition": "incinerate"})
    assert response.status_code == 200
    assert "Choose where the item goes from the list." in response.text


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "-Infinity", "1e999999"])
def test_a_queue_filter_amount_that_is_not_a_number_is_ignored_not_a_crash(client, session, value):
    sign_in(client, "finance")
    response = client.get(f"/finance/refunds?min_amount={value}&max_amount={value}")
    assert response.status_code == 200


def test_bulk_approve_ignores_ids_beyond_the_column(client, session):
    from returns_portal.refunds.models import Refund

    sign_in(client, "finance")
    response = client.post(
        "/finance/refunds/bulk-approve", data={"ids": [str(2**31), str(2**70), "²"]}
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Refund)).all() == []


def test_an_amount_beyond_the_integer_column_is_a_422_naming_the_line(client, auth):
    document = recent_order_document("M-1")
    document["lines"][0]["unit_price"] = 2**31
    response = client.post("/api/v1/orders", json=document, headers=auth)
    assert response.status_code == 422
    assert "lines.0.unit_price" in response.json["errors"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+03:00", "9999-12-31T23:00:00-05:00"])
def test_a_time_without_a_storable_utc_form_is_a_422(client, auth, moment):
    document = recent_order_document("T-1") | {"placed_at": moment}
    response = client.post("/api/v1/orders", json=document, headers=auth)
    assert response.status_code == 422
    assert "placed_at" in response.json["errors"]


def test_the_refusal_of_a_form_leads_back_to_the_form_not_the_start(client):
    form = {"order_number": "10\x0001", "contact": "x@example.com"}
    back = client.post("/lookup", data=form, headers={"Referer": "http://localhost/lookup?x=1"})
    assert back.status_code == 400
    assert 'href="http://localhost/lookup?x=1"' in back.get_data(as_text=True)
    elsewhere = client.post("/lookup", data=form, headers={"Referer": "https://evil.example/"})
    assert "evil.example" not in elsewhere.get_data(as_text=True)
    assert 'href="/"' in elsewhere.get_data(as_text=True)
