"""Stripe webhooks: signed, applied once per event id, refund states kept in step."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.refunds.models import Refund, RefundStatus
from tests.refunds.conftest import paid_order, proposed_refund

SECRET = "whsec_test_secret"  # TestingConfig.STRIPE_WEBHOOK_SECRET


def signed(body: str, secret: str = SECRET) -> dict[str, str]:
    """Sign like Stripe: t=<time>,v1=HMAC-SHA256(secret, "<time>.<body>")."""
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


def event(event_id: str, kind: str, obj: dict) -> str:
    return json.dumps({"id": event_id, "object": "event", "type": kind, "data": {"object": obj}})


def refund_object(
    refund_id: str, payment: str, amount: int, status: str, key: str | None = None
) -> dict:
    return {"id": refund_id, "object": "refund", "amount": amount, "currency": "cny", "status": status,
            "payment_intent": payment, "metadata": {"refund_key": key} if key else {}}  # fmt: skip


def submitted_refund():
    reference = paid_order()
    refund = proposed_refund()
    refund.status = RefundStatus.SUBMITTED.value
    db.session.commit()
    return reference, refund


def test_an_unsigned_event_is_refused(client, session):
    response = client.post("/webhooks/stripe", data=event("evt_1", "refund.updated", {}),
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 400


def test_a_forged_signature_is_refused(client, session):
    body = event("evt_2", "refund.updated", {})
    response = client.post("/webhooks/stripe", data=body, headers=signed(body, "whsec_wrong"))
    assert response.status_code == 400


def test_a_succeeded_refund_event_settles_the_submitted_refund(client, session):
    reference, refund = submitted_refund()
    body = event(
        "evt_3",
        "refund.updated",
        refund_object("re_123", reference, refund.amount, "succeeded", refund.key),
    )
    response = client.post("/webhooks/stripe", data=body, headers=signed(body))
    assert response.status_code == 200 and response.json["outcome"] == "succeeded"
    db.session.refresh(refund)
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_refund_id == "re_123"
    # The customer hears the money is back (once: a replay of the event mails nothing more).
    from returns_portal.events.models import OutboxMessage

    client.post("/webhooks/stripe", data=body, headers=signed(body))
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.handler == "mail.refund_paid")
    ).all()
    assert [(m.payload, m.done_at is not None) for m in mails] == [({"refund_id": refund.id}, True)]


def test_a_replayed_event_changes_nothing(client, session):
    reference, refund = submitted_refund()
    body = event(
        "evt_4",
        "refund.updated",
        refund_object("re_124", reference, refund.amount, "succeeded", refund.key),
    )
    client.post("/webhooks/stripe", data=body, headers=signed(body))
    refund.status = RefundStatus.FAILED.value  # whatever happened since must not be undone
    db.session.commit()
    response = client.post("/webhooks/stripe", data=body, headers=signed(body))
    assert response.json["outcome"] == "duplicate"
    db.session.refresh(refund)
    assert refund.status == RefundStatus.FAILED


def test_a_failed_refund_event_marks_it_failed_for_a_retry(client, session):
    reference, refund = submitted_refund()
    body = event(
        "evt_5",
        "refund.failed",
        refund_object("re_125", reference, refund.amount, "failed", refund.key),
    )
    client.post("/webhooks/stripe", data=body, headers=signed(body))
    db.session.refresh(refund)
    assert refund.status == RefundStatus.FAILED
    assert "failed" in refund.failure_message


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_against_its_order(client, session):
    reference = paid_order()
    charge = {"id": "ch_1", "object": "charge", "payment_intent": reference,
              "refunds": {"data": [refund_object("re_dash", reference, 500, "succeeded")]}}  # fmt: skip
    body = event("evt_6", "charge.refunded", charge)
    response = client.post("/webhooks/stripe", data=body, headers=signed(body))
    assert response.json["outcome"] == "recorded"
    recorded = db.session.scalars(
        select(Refund).where(Refund.provider_refund_id == "re_dash")
    ).one()
    assert (
        recorded.amount == 500
        and recorded.status == RefundStatus.SUCCEEDED
        and recorded.return_id is None
    )
