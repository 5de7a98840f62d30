"""Tracking events in: EasyPost's signed webhooks against a return bought from the stand-in,
polling for carriers without webhooks, the local carrier's own scans, and the exception
list — the customer's page and mails read as each change says."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from returns_portal.extensions import db
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import ReturnError, cancel_return
from returns_portal.returns.states import Row, customer_state
from returns_portal.shipping import tracking
from returns_portal.shipping.carriers import Address, LabelRequest
from returns_portal.shipping.easypost import EasyPostCarrier
from returns_portal.shipping.models import CarrierEvent, Shipment, TrackingEvent
from returns_portal.shipping.services import carrier_label, carriers, live_shipment
from returns_portal.shipping.tracking import (
    advance_local_journeys,
    emit_local_scan,
    flag_stalled,
    poll_trackers,
    tracking_exceptions,
)
from returns_portal.types import utcnow
from tests.builders import open_portal_return
from tests.mail import body, outbox
from tests.refunds.conftest import paid_order
from tests.returns.test_states import mails_of, page_of
from tests.shipping.easypost_standin import StandIn, carrier_config, later

URL = "/webhooks/carriers/ep"


@pytest.fixture
def ep(app, session, standin: StandIn, monkeypatch):
    """The stand-in's carrier configured beside the local ones (its rates are the cheapest)."""
    config = {k: v for k, v in carrier_config(standin).items() if k != "type"}
    carrier = EasyPostCarrier(config, sleep=lambda _s: None)
    monkeypatch.setitem(app.extensions["carriers"], "ep", carrier)
    yield carrier
    carrier.close()


@pytest.fixture
def shop(app, session):
    paid_order()
    return app


def open_ep_return(shop) -> Return:
    rma = open_portal_return()
    assert live_shipment(rma).carrier == "ep"
    return rma


def deliver(client, event: dict, secret: str | None = None) -> tuple[int, dict]:
    body_bytes, headers = StandIn.signed(event, *(() if secret is None else (secret,)))
    answer = client.post(URL, data=body_bytes, headers=headers)
    return answer.status_code, answer.get_json()


def row_of(rma: Return) -> Row:
    db.session.expire_all()
    return customer_state(db.session.get(Return, rma.id)).row


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(CarrierEvent))


def test_a_return_buys_the_stand_ins_rate_and_records_its_cost(shop, ep, standin):
    rma = open_ep_return(shop)
    shipment = live_shipment(rma)
    assert (shipment.service, shipment.label_cost, shipment.currency) == (
        "usps-groundadvantage", 593, "CNY",
    )  # fmt: skip
    assert standin.purchases == 1
    assert shipment.provider_id in standin.shipments
    assert shipment.label_url.endswith(".pdf") and shipment.label_zpl_url.endswith(".zpl")
    assert ep.download(shipment.label_url).startswith(b"%PDF")


def test_signed_tracker_webhooks_move_the_customer_page_once_each(shop, ep, standin, client):
    rma = open_ep_return(shop)
    number = live_shipment(rma).tracking_number
    accepted = standin.advance(number, "in_transit", "Accepted at USPS Origin Facility", later(1))
    assert deliver(client, accepted) == (200, {"received": True, "outcome": "applied"})
    assert row_of(rma) is Row.IN_TRANSIT
    assert "On its way to us" in page_of(shop, rma)
    assert f"Your return {rma.number} is on its way to us" in mails_of(shop, rma)[-1]["Subject"]
    # The same event again (EasyPost retries until it hears 200): nothing new.
    count = len(mails_of(shop, rma))
    assert deliver(client, accepted) == (200, {"received": True, "outcome": "duplicate"})
    out = standin.advance(number, "out_for_delivery", "Out for Delivery", later(2))
    delivered = standin.advance(number, "delivered", "Delivered", later(3))
    # Delivered arrives before out-for-delivery: the page says delivered, once.
    assert deliver(client, delivered)[1]["outcome"] == "applied"
    assert row_of(rma) is Row.DELIVERED
    assert "Delivered to our warehouse" in page_of(shop, rma)
    assert len(mails_of(shop, rma)) == count + 1
    assert "has been delivered to us" in mails_of(shop, rma)[-1]["Subject"]
    assert deliver(client, out)[1]["outcome"] == "no_change"  # its scan came with delivered
    assert deliver(client, delivered)[1]["outcome"] == "duplicate"
    assert row_of(rma) is Row.DELIVERED
    assert len(mails_of(shop, rma)) == count + 1
    assert live_shipment(rma).status == "delivered"


def test_a_late_in_transit_after_delivered_is_stored_and_changes_nothing(shop, ep, standin, client):
    rma = open_ep_return(shop)
    number = live_shipment(rma).tracking_number
    deliver(client, standin.advance(number, "delivered", "Delivered", later(5)))
    mails = len(mails_of(shop, rma))
    # The carrier then reports "in transit" with a later time (a stray scan).
    late = standin.advance(number, "in_transit", "Departed USPS Facility", later(30))
    assert deliver(client, late)[1]["outcome"] == "no_change"
    assert row_of(rma) is Row.DELIVERED
    assert live_shipment(rma).status == "delivered"
    assert len(mails_of(shop, rma)) == mails
    raw = db.session.scalar(select(CarrierEvent).where(CarrierEvent.event_id == late["id"]))
    assert (raw.status, raw.code, raw.outcome) == ("in_transit", "in_transit", "no_change")
    assert raw.payload["result"]["tracking_code"] == number
    assert "in_transit" not in {e.code for e in live_shipment(rma).events}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hmac-Signature": "hmac-sha256-hex=" + "0" * 64},
        {"X-Hmac-Signature": "garbage"},
    ],
    ids=["unsigned", "wrong", "malformed"],
)
def test_an_unsigned_or_forged_webhook_is_refused_and_nothing_is_stored(
    shop, ep, standin, client, headers
):
    rma = open_ep_return(shop)
    event = standin.advance(live_shipment(rma).tracking_number, "in_transit", at=later(1))
    answer = client.post(
        URL, data=json.dumps(event), headers={"Content-Type": "application/json", **headers}
    )
    assert answer.status_code == 401
    assert stored() == 0
    assert row_of(rma) is Row.AWAITING_SHIPMENT


def test_a_webhook_signed_with_another_secret_is_refused(shop, ep, standin, client):
    rma = open_ep_return(shop)
    event = standin.advance(live_shipment(rma).tracking_number, "in_transit", at=later(1))
    assert deliver(client, event, secret="someone-else")[0] == 401
    assert stored() == 0


def test_a_webhook_for_an_unknown_tracking_number_is_stored_and_ignored(shop, ep, standin, client):
    label = ep.create_label(
        LabelRequest("R-OTHER-1", "usps-priority", Address("A", "1 Road", "Shanghai", "200120", "CN"),
                     Address("B", "2 Road", "Shanghai", "200120", "CN"), 900, "CNY")
    )  # fmt: skip
    event = standin.advance(label.tracking_number, "in_transit", at=later(1))
    assert deliver(client, event) == (200, {"received": True, "outcome": "unknown_tracking"})
    raw = db.session.scalar(select(CarrierEvent))
    assert (raw.tracking_number, raw.shipment_id) == (label.tracking_number, None)


def test_other_events_are_kept_but_not_applied(shop, ep, client):
    event = {"id": "evt_refund_1", "object": "Event", "description": "refund.successful",
             "result": {"object": "Refund", "id": "rfnd_1"}}  # fmt: skip
    assert deliver(client, event) == (200, {"received": True, "outcome": "ignored"})
    assert stored() == 1


def test_webhooks_are_only_for_http_carriers_that_send_them(shop, ep, client):
    body_bytes, headers = StandIn.signed({"id": "evt_1"})
    assert (
        client.post("/webhooks/carriers/nobody", data=body_bytes, headers=headers).status_code
        == 404
    )
    assert (
        client.post("/webhooks/carriers/swift", data=body_bytes, headers=headers).status_code == 404
    )
    ep.webhook_secret = ""
    assert client.post(URL, data=body_bytes, headers=headers).status_code == 503
    assert stored() == 0


def test_a_parcel_returned_to_sender_goes_on_the_exception_list_and_the_customer_is_told(
    shop, ep, standin, client
):
    rma = open_ep_return(shop)
    number = live_shipment(rma).tracking_number
    deliver(client, standin.advance(number, "in_transit", at=later(1)))
    sent = standin.advance(number, "return_to_sender", "Return to Sender Processed", later(60))
    assert deliver(client, sent)[1]["outcome"] == "applied"
    [row] = tracking_exceptions()
    assert (row.rma_number, row.tracking_number, row.problem) == (
        rma.number,
        number,
        "returned_to_sender",
    )
    mail = mails_of(shop, rma)[-1]
    assert f"A problem with the parcel of your return {rma.number}" == mail["Subject"]
    text = " ".join(body(mail).split())
    assert "sending your parcel for return" in text and "back to you" in text
    assert "Our team has been told" in text
    count = len(mails_of(shop, rma))
    deliver(client, standin.advance(number, "failure", "Undeliverable", later(90)))
    assert len(mails_of(shop, rma)) == count  # one problem, one mail
    assert row_of(rma) is Row.IN_TRANSIT


def test_a_parcel_that_stops_moving_is_flagged_once_and_clears_when_it_moves(
    shop, ep, standin, client
):
    rma = open_ep_return(shop)
    number = live_shipment(rma).tracking_number
    deliver(client, standin.advance(number, "in_transit", at=utcnow() - timedelta(days=6)))
    assert flag_stalled(days=5) == "1 parcel(s) without movement for 5 days"
    assert flag_stalled(days=5) == "0 parcel(s) without movement for 5 days"
    assert [r.problem for r in tracking_exceptions()] == ["stalled"]
    assert "not reported your parcel" in body(mails_of(shop, rma)[-1])
    deliver(client, standin.advance(number, "in_transit", "Arrived at Facility", later(1)))
    assert tracking_exceptions() == []


def test_polling_asks_a_bounded_number_of_parcels_longest_unasked_first(
    app, session, standin, monkeypatch
):
    config = {k: v for k, v in carrier_config(standin, webhook_secret="").items() if k != "type"}
    carrier = EasyPostCarrier(config)
    monkeypatch.setitem(app.extensions["carriers"], "ep", carrier)
    try:
        numbers = []
        for index in range(3):
            label = carrier.create_label(
                LabelRequest(f"R-POLL-{index}", "usps-priority",
                             Address("A", "1 Road", "Shanghai", "200120", "CN"),
                             Address("B", "2 Road", "Shanghai", "200120", "CN"), 900, "CNY")
            )  # fmt: skip
            db.session.add(Shipment(carrier="ep", service=label.service, tracking_number=label.tracking_number,
                                    currency="CNY", status="label_created"))  # fmt: skip
            numbers.append(label.tracking_number)
        db.session.commit()
        standin.advance(numbers[0], "in_transit", at=later(1))
        assert poll_trackers(limit=2) == "2 parcel(s) asked, 3 new event(s), 0 failed"
        asked = [p for m, p in standin.requests if p == "/v2/trackers"]
        assert len(asked) == 2
        assert poll_trackers(limit=2).startswith(
            "2 parcel(s) asked, 1 new event(s)"
        )  # the third, then the first
        assert poll_trackers(limit=2).startswith(
            "2 parcel(s) asked, 0 new event(s)"
        )  # nothing twice
        first = db.session.scalar(select(Shipment).where(Shipment.tracking_number == numbers[0]))
        assert first.status == "in_transit"
        assert [e.code for e in first.events] == ["label_created", "in_transit"]
        standin.hang_requests()
        carrier_short = EasyPostCarrier({**config, "timeout": 0.2, "max_retries": 0})
        monkeypatch.setitem(app.extensions["carriers"], "ep", carrier_short)
        assert poll_trackers(limit=1) == "1 parcel(s) asked, 0 new event(s), 1 failed"
        standin.release()
        carrier_short.close()
    finally:
        carrier.close()


def test_the_local_carrier_scans_its_own_parcels_from_the_command_line(shop, cli):
    rma = open_portal_return()
    shipment = live_shipment(rma)
    assert shipment.carrier in ("swift", "blue")
    result = cli.invoke(args=["carriers", "scan", shipment.tracking_number, "accepted",
                              "--description", "Picked up", "--location", "Shanghai"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{shipment.tracking_number}: accepted (applied)"
    assert row_of(rma) is Row.IN_TRANSIT
    assert db.session.get(Return, rma.id).status == ReturnStatus.IN_TRANSIT
    result = cli.invoke(args=["carriers", "scan", shipment.tracking_number, "delivered"])
    assert result.exit_code == 0
    assert row_of(rma) is Row.DELIVERED
    assert "has been delivered to us" in outbox(shop)[-1]["Subject"]
    wrong = cli.invoke(args=["carriers", "scan", "SP000000000CN", "delivered"])
    assert wrong.exit_code != 0 and "no shipment has tracking number" in wrong.output
    unknown = cli.invoke(args=["carriers", "scan", shipment.tracking_number, "teleported"])
    assert unknown.exit_code != 0


def test_the_exception_list_on_the_command_line(shop, cli):
    rma = open_portal_return()
    shipment = live_shipment(rma)
    assert cli.invoke(args=["carriers", "exceptions"]).output.strip() == "No tracking exceptions."
    emit_local_scan(shipment.tracking_number, "accepted")
    emit_local_scan(shipment.tracking_number, "failure", description="Parcel damaged")
    result = cli.invoke(args=["carriers", "exceptions"])
    assert result.exit_code == 0
    assert (
        f"{rma.number}\tin_transit\t{shipment.carrier}\t{shipment.tracking_number}\tfailure"
        in result.output
    )
    assert db.session.scalar(select(func.count()).select_from(TrackingEvent)) == 2
    assert carriers()  # the configured carriers are untouched


def test_the_demo_moves_local_parcels_one_scan_at_a_time_to_the_warehouse(shop):
    rma = open_portal_return()
    rows = []
    for _ in range(5):
        advance_local_journeys(limit=3)
        rows.append(row_of(rma))
    assert rows == [Row.IN_TRANSIT, Row.IN_TRANSIT, Row.IN_TRANSIT, Row.DELIVERED, Row.DELIVERED]
    assert [e.code for e in live_shipment(rma).events] == [
        "accepted", "in_transit", "out_for_delivery", "delivered",
    ]  # fmt: skip
    assert "Delivered to our warehouse" in page_of(shop, rma)


def test_an_event_whose_applying_was_cut_short_is_applied_when_delivered_again(
    shop, ep, standin, client, monkeypatch
):
    rma = open_ep_return(shop)
    event = standin.advance(live_shipment(rma).tracking_number, "in_transit", at=later(1))

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    original = tracking.record_scan
    monkeypatch.setattr(tracking, "record_scan", crash)
    with pytest.raises(RuntimeError):
        deliver(client, event)
    monkeypatch.setattr(tracking, "record_scan", original)
    assert stored() == 1 and row_of(rma) is Row.AWAITING_SHIPMENT
    assert deliver(client, event)[1]["outcome"] == "applied"  # EasyPost's retry
    assert row_of(rma) is Row.IN_TRANSIT
    assert deliver(client, event)[1]["outcome"] == "duplicate"


def test_the_carriers_own_label_files_can_be_fetched_and_the_local_ones_are_drawn(
    shop, ep, standin
):
    rma = open_ep_return(shop)
    shipment = live_shipment(rma)
    assert carrier_label(shipment, "label.pdf").startswith(b"%PDF")
    assert carrier_label(shipment, "label.zpl").startswith(b"^XA")
    local = Shipment(carrier="swift", service="standard", tracking_number="SP1", currency="CNY")
    assert carrier_label(local, "label.pdf") is None


def test_cancelling_a_return_refunds_its_unused_label_with_the_carrier(shop, ep, standin):
    rma = open_ep_return(shop)
    number = live_shipment(rma).tracking_number
    cancel_return(rma)
    assert [refund["tracking_code"] for refund in standin.refunds] == [number]
    assert db.session.get(Return, rma.id).status == ReturnStatus.CANCELLED


def test_a_return_whose_parcel_moved_keeps_its_label(shop, ep, standin, client):
    rma = open_ep_return(shop)
    deliver(client, standin.advance(live_shipment(rma).tracking_number, "in_transit", at=later(1)))
    with pytest.raises(ReturnError):
        cancel_return(db.session.get(Return, rma.id))
    assert standin.refunds == []
