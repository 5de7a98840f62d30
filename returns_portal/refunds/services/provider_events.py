"""Verified payment-provider webhooks, applied once per event id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.orders.models import Payment
from returns_portal.refunds.events import RefundPaid
from returns_portal.refunds.models import (
    ProviderEvent,
    Refund,
    RefundStatus,
)
from returns_portal.refunds.services.common import move
from returns_portal.refunds.services.payouts import _resolve_return
from returns_portal.types import utcnow


def handle_provider_event(event_id: str, event_type: str, data: dict[str, Any]) -> str:
    """Apply a verified payment-provider event once; a replayed event id changes nothing.

    Refund events update the matching refund (found by provider id, else by our key in
    metadata); a refund made directly in the Stripe dashboard is recorded against its order.
    """
    if db.session.get(ProviderEvent, event_id) is not None:
        return "duplicate"
    outcome = "ignored"
    if event_type.startswith("refund.") or event_type == "charge.refund.updated":
        outcome = _apply_refund_object(data)
    elif event_type == "charge.refunded":
        outcomes = [_apply_refund_object(r) for r in (data.get("refunds") or {}).get("data", [])]
        outcome = ",".join(outcomes) or "ignored"
    db.session.add(ProviderEvent(id=event_id, type=event_type, outcome=outcome[:64]))
    try:
        events.commit()
    except IntegrityError:  # the same event delivered twice at once: the other one won
        db.session.rollback()
        return "duplicate"
    return outcome


def _apply_refund_object(data: dict[str, Any]) -> str:
    provider_id = str(data.get("id") or "")
    key = (data.get("metadata") or {}).get("refund_key")
    status = str(data.get("status") or "")
    matches = [Refund.provider_refund_id == provider_id]
    if key:
        matches.append(Refund.key == str(key))
    refund = db.session.scalar(select(Refund).where(or_(*matches)).with_for_update())
    if refund is None:
        return _record_dashboard_refund(data)
    if status == "succeeded":
        if refund.status != RefundStatus.SUCCEEDED:
            move(refund, RefundStatus.SUCCEEDED)
            refund.provider_refund_id = provider_id
            refund.succeeded_at = utcnow()
            record_event(
                "stripe",
                "refund.succeeded",
                "refund",
                refund.key,
                after={"provider_refund_id": provider_id},
            )
            _resolve_return(refund)
            publish(RefundPaid(refund_id=refund.id))  # e.g. a pending refund Stripe settled
        return "succeeded"
    if status in {"failed", "canceled"}:
        message = f"Stripe reports the refund {status}: {data.get('failure_reason') or ''}"
        if refund.status == RefundStatus.FAILED and refund.failure_message == message:
            return status  # the same news by another event (refund.failed, charge.refund…)
        move(refund, RefundStatus.FAILED)
        refund.failure_message = message
        refund.failure_final = True  # Stripe keeps the declined refund under our key
        record_event(
            "stripe",
            f"refund.{status}",
            "refund",
            refund.key,
            after={"provider_refund_id": provider_id},
        )
        return status
    return "pending"


def _record_dashboard_refund(data: dict[str, Any]) -> str:
    payment = db.session.scalar(
        select(Payment).where(Payment.reference == str(data.get("payment_intent") or ""))
    )
    if payment is None or data.get("status") != "succeeded":
        return "unknown"
    refund = Refund(
        key=f"provider-{data['id']}"[:64],
        order_id=payment.order_id,
        payment_id=payment.id,
        status=RefundStatus.SUCCEEDED.value,
        method="original_payment",
        currency=str(data.get("currency") or payment.currency).upper(),
        amount=int(data.get("amount") or 0),
        breakdown={"source": "stripe dashboard"},
        provider_refund_id=str(data["id"]),
        succeeded_at=utcnow(),
    )
    db.session.add(refund)
    record_event(
        "stripe",
        "refund.recorded_from_provider",
        "refund",
        refund.key,
        after={"provider_refund_id": refund.provider_refund_id, "amount": refund.amount},
    )
    return "recorded"
