"""The customer's QR code opens their return page on a phone; the scan station still reads it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from returns_portal.documents import render_qr_svg
from returns_portal.extensions import db
from returns_portal.returns.models import Return
from returns_portal.returns.services import (
    load_return,
    return_from_link_token,
    return_number_in_url,
    signed_link_token,
)
from returns_portal.shipping.models import Shipment
from returns_portal.types import utcnow


def drop_off_return(customer) -> str:
    customer.find()
    customer.choose()
    customer.options({"method": "qr_dropoff"})
    response = customer.confirm()
    assert response.status_code == 302, response.text
    return response.headers["Location"].split("?")[0].rsplit("/", 1)[-1]


def zpl_qr_payload(zpl: str) -> str:
    """What the ZPL label's QR code (^BQ) holds, its ^FH escapes undone."""
    match = re.search(r"\^BQN,2,\d+(\^FH_)?\^FDMA,(.*?)\^FS", zpl)
    assert match, zpl
    data = match.group(2)
    if match.group(1):
        data = re.sub(r"_([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), data)
    return data


def test_the_drop_off_qr_code_holds_the_return_page_s_public_address(app, customer):
    number = drop_off_return(customer)
    url = zpl_qr_payload(customer.client.get(f"/returns/{number}/label.zpl").data.decode())
    assert url.startswith(f"{app.config['PUBLIC_URL']}/returns/{number}?t=")
    # The page shows the same code as the label.
    assert customer.client.get(f"/returns/{number}/qr.svg").text == render_qr_svg(url)


def test_a_phone_that_scans_the_code_opens_the_return_page_without_a_session(app, customer):
    number = drop_off_return(customer)
    url = zpl_qr_payload(customer.client.get(f"/returns/{number}/label.zpl").data.decode())
    parts = urlsplit(url)
    page = app.test_client().get(f"{parts.path}?{parts.query}")  # a phone: no cookies
    assert page.status_code == 200 and number in page.text


def test_whoever_holds_the_parcel_may_look_but_not_cancel_the_owner_s_mail_link_may(app, customer):
    number = drop_off_return(customer)
    url = zpl_qr_payload(customer.client.get(f"/returns/{number}/label.zpl").data.decode())
    parts = urlsplit(url)
    holder = app.test_client()  # someone with the parcel, not the customer
    page = holder.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200 and f"/returns/{number}/cancel" not in page.text
    assert holder.get(f"/returns/{number}/cancel").status_code == 404
    assert holder.get(f"/returns/{number}/cancel?{parts.query}").status_code == 404
    assert db.session.get(Return, load_return(number).id).status != "cancelled"

    with app.test_request_context():
        mailed = signed_link_token(load_return(number))  # the link in the owner's mail
    owner = app.test_client()
    page = owner.get(f"/returns/{number}?t={mailed}")
    assert f"/returns/{number}/cancel" in page.text
    assert owner.get(f"/returns/{number}/cancel").status_code == 200


def test_a_printed_label_s_qr_code_is_the_label_s_all_its_life(customer):
    number = customer.complete()
    first = customer.client.get(f"/returns/{number}/label.zpl").data
    assert zpl_qr_payload(first.decode()).startswith("http")
    assert customer.client.get(f"/returns/{number}/label.zpl").data == first


def test_a_token_dated_at_the_label_lasts_the_link_s_days_from_then(app, customer):
    number = customer.complete()
    rma = load_return(number)
    days = app.config["RETURN_LINK_DAYS"]
    fresh = signed_link_token(rma, issued_at=utcnow() - timedelta(days=days - 1))
    stale = signed_link_token(rma, issued_at=utcnow() - timedelta(days=days + 1))
    assert return_from_link_token(fresh) == number
    assert return_from_link_token(stale) is None


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("http://localhost:5000/returns/R-7K3M-Q9?t=abc.def.ghi", "R-7K3M-Q9"),
        ("https://shop.example/portal/returns/R-7K3M-Q9?t=x", "R-7K3M-Q9"),
        ("  HTTPS://SHOP.EXAMPLE/returns/r-7k3m-q9  ", "R-7K3M-Q9"),
        ("https://shop.example/returns/R-7K3M-Q9/", "R-7K3M-Q9"),
        ("https://shop.example/returns/R-7K3M-Q9/label.pdf", None),
        ("https://shop.example/returns/R-7K3M-Q9X", None),
        ("R-7K3M-Q9", None),
        ("RP1:RR473124829GB:R-7K3M-Q9", None),
        ("ftp://shop.example/returns/R-7K3M-Q9", None),
        ("https:///returns/R-7K3M-Q9", None),
        ("", None),
    ],
)
def test_the_return_number_is_read_from_a_scanned_return_page_address(code, number):
    assert return_number_in_url(code) == number


def test_every_customer_qr_code_names_its_return_for_the_scan_station(customer):
    number = drop_off_return(customer)
    url = zpl_qr_payload(customer.client.get(f"/returns/{number}/label.zpl").data.decode())
    assert return_number_in_url(url) == number
    # The carrier's own payload is kept with the shipment, for the carrier.
    assert db.session.scalars(select(Shipment.qr_payload)).one().startswith("RP1:")


def test_the_scan_station_opens_the_return_from_its_customer_qr_code(client, customer):
    from returns_portal.accounts.services import create_user

    number = drop_off_return(customer)
    url = zpl_qr_payload(customer.client.get(f"/returns/{number}/label.zpl").data.decode())
    create_user("scanner@example.com", "correct horse battery", "warehouse")
    staff = client.application.test_client()
    staff.application.config["WTF_CSRF_ENABLED"] = False
    signed_in = staff.post(
        "/staff/login", data={"email": "scanner@example.com", "password": "correct horse battery"}
    )
    assert signed_in.status_code == 302
    response = staff.post("/warehouse/scan", data={"code": url})
    assert re.search(r"/warehouse/(receipts|inspections)/\d+$", response.headers["Location"])
