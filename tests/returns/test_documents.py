"""The return's documents, downloaded as the customer would."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.shipping.models import Shipment


def test_the_label_is_a_four_by_six_pdf_with_the_tracking_number_and_rma(customer):
    number = customer.complete()
    response = customer.client.get(f"/returns/{number}/label.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="{number}-label.pdf"' in response.headers["Content-Disposition"]
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)
    text = page.extract_text()
    tracking = db.session.scalars(select(Shipment.tracking_number)).one()
    assert tracking in text and number in text and "1001" in text


def test_the_same_return_gives_the_same_label_bytes(customer):
    number = customer.complete()
    first = customer.client.get(f"/returns/{number}/label.pdf").data
    second = customer.client.get(f"/returns/{number}/label.pdf").data
    assert first == second


def test_the_packing_slip_lists_the_items_and_what_goes_in_the_box(customer):
    number = customer.complete()
    response = customer.client.get(f"/returns/{number}/slip.pdf")
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert number in text and "T-shirt" in text
    assert "What goes in the box" in text
    assert "Too small" in text


def test_the_zpl_label_carries_the_tracking_barcode(customer):
    number = customer.complete()
    zpl = customer.client.get(f"/returns/{number}/label.zpl").data.decode()
    tracking = db.session.scalars(select(Shipment.tracking_number)).one()
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^BC" in zpl and tracking in zpl


def test_the_drop_off_qr_code_is_an_svg_of_the_shipment_s_payload(customer):
    customer.find()
    customer.choose()
    customer.options({"method": "qr_dropoff"})
    response = customer.confirm()
    number = response.headers["Location"].split("?")[0].rsplit("/", 1)[-1]
    page = customer.client.get(f"/returns/{number}").text
    assert f"/returns/{number}/qr.svg" in page
    svg = customer.client.get(f"/returns/{number}/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert svg.text.lstrip().startswith(("<?xml", "<svg"))
    shipment = db.session.scalars(select(Shipment)).one()
    assert shipment.qr_payload and shipment.qr_payload.startswith("RP1:")


def test_documents_of_someone_else_s_return_are_not_found(app, customer):
    number = customer.complete()
    assert app.test_client().get(f"/returns/{number}/label.pdf").status_code == 404


def test_a_return_made_in_chinese_gets_a_chinese_packing_slip_and_label(customer):
    customer.client.get("/?lang=zh_Hans")
    number = customer.complete()
    slip = PdfReader(io.BytesIO(customer.client.get(f"/returns/{number}/slip.pdf").data))
    text = slip.pages[0].extract_text()
    assert number in text
    assert any("\u4e00" <= char <= "\u9fff" for char in text), text[:200]
    label = PdfReader(io.BytesIO(customer.client.get(f"/returns/{number}/label.pdf").data))
    assert any("\u4e00" <= char <= "\u9fff" for char in label.pages[0].extract_text())


def test_the_label_names_the_service_and_the_returns_address(app, customer):
    number = customer.complete()
    text = (
        PdfReader(io.BytesIO(customer.client.get(f"/returns/{number}/label.pdf").data))
        .pages[0]
        .extract_text()
    )
    assert app.config["RETURN_ADDRESS"]["line1"] in text
    assert app.config["RETURN_ADDRESS"]["postal_code"] in text
    from returns_portal.orders.services import load_order
    from returns_portal.shipping.services import service_rate

    shipment = db.session.scalars(select(Shipment)).one()
    rate = service_rate(load_order("1001"), shipment.carrier, shipment.service)
    assert rate.service_name != shipment.service
    assert rate.service_name in text and rate.carrier_name in text
