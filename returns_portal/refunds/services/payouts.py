"""Refund approvals and payment: every refund paid exactly once, never above what was captured.

The portal guarantees this itself, whatever the provider does with idempotency keys:
- the refund row is written (status submitted) before the provider is called, and its key
  is the provider's idempotency key and metadata;
- approvals and submissions take the refund's row lock, so concurrent clicks meet one row;
- what may still be refunded (captured minus refunds submitted or paid) is checked under
  the payment's row lock;
- a retry first asks the provider for a refund with the key, and reconcile does the same
  for refunds whose outcome our database never heard (crash after the provider call).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.orders.models import Payment
from returns_portal.refunds import credit
from returns_portal.refunds.events import RefundPaid
from returns_portal.refunds.gateway import (
    DECLINED,
    PAID,
    GatewayError,
    RefundOutcomeUnknown,
    declined_reason,
    held,
    payment_gateway,
    standing,
)
from returns_portal.refunds.models import (
    Refund,
    RefundMethod,
    RefundStatus,
)
from returns_portal.refunds.services.common import (
    RefundError,
    _locked,
    move,
    refund_order_email,
    refundable,
)
from returns_portal.refunds.snapshots import breakdown_of
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services.lifecycle import transition
from returns_portal.types import utcnow


def submit_refund(refund_id: int, stale_before: datetime | None = None) -> Refund:
    """Pay an approved (or failed, retried) refund through the provider, exactly once.

    `stale_before` (reconcile's) also takes a refund left submitted since before then whose
    outcome is known not to stand at the provider: it is submitted again as it is, without
    first pretending it failed.
    """
    refund = _locked(refund_id)
    stale = (
        stale_before is not None
        and refund.status == RefundStatus.SUBMITTED
        and refund.updated_at <= stale_before
    )
    if refund.status not in (RefundStatus.APPROVED, RefundStatus.FAILED) and not stale:
        db.session.commit()
        return refund  # paid, being paid, or not approved: nothing to do here
    if refund.method == RefundMethod.STORE_CREDIT:
        return _issue_store_credit(refund)
    if refund.amount == 0:  # e.g. an even exchange: nothing moves, so nobody is asked
        return _settle_nothing(refund)
    if refund.method == RefundMethod.EXCHANGE_CHARGE:
        return _submit_charge(refund)
    if refund.payment_id is None:
        _refuse(refund, "The order has no payment to refund.")
        raise RefundError(_l("The order has no payment to refund."))
    payment = db.session.scalar(
        select(Payment).where(Payment.id == refund.payment_id).with_for_update()
    )
    assert payment is not None
    if refund.amount > refundable(refund, exclude_self=True):
        _refuse(refund, "Refund would exceed what was captured minus earlier refunds.")
        raise RefundError(
            _l("This refund would exceed what the customer paid minus earlier refunds.")
        )
    # Written before the provider call: a crash from here on leaves a visible 'submitted'
    # row holding the money, which reconcile settles by asking the provider for the key.
    _mark_submitted(refund)
    key, reference, amount = refund.key, payment.reference, refund.amount
    db.session.commit()
    return _call_provider(refund.id, reference, amount, key)


def _mark_submitted(refund: Refund) -> None:
    """Record that the refund is being sent now: its attempt, audited (not committed)."""
    before = refund.status
    move(refund, RefundStatus.SUBMITTED)
    refund.attempts += 1
    refund.failure_message = None
    refund.failure_final = False
    record_event(
        "system", "refund.submitted", "refund", refund.key,
        before={"status": before}, after={"attempt": refund.attempts, "amount": refund.amount},
    )  # fmt: skip


def _refuse(refund: Refund, message: str) -> None:
    """Leave a refund failed with why, for the finance queue (committed); a refusal that
    changes nothing (the same one again, e.g. on every reconcile) writes no audit row."""
    unchanged = refund.status == RefundStatus.FAILED and refund.failure_message == message
    move(refund, RefundStatus.FAILED)
    refund.failure_message = message
    refund.failure_final = True
    if unchanged:
        db.session.commit()
        return
    record_event(
        "system", "refund.refused", "refund", refund.key,
        after={"amount": refund.amount, "message": message},
    )  # fmt: skip
    db.session.commit()


def _submit_charge(refund: Refund) -> Refund:
    """Collect an exchange's price difference, once, in two steps.

    The provider's payment is first prepared (no money moves) and its id written down; only
    then is it confirmed. A retry finds the id and confirms or reads that same payment, so
    a crash anywhere can never charge twice: at worst an unconfirmed payment is left unused.
    """
    if refund.payment_id is None:
        _refuse(refund, "The order has no payment to charge the difference to.")
        raise RefundError(_l("The order has no payment to charge the difference to."))
    payment = db.session.get(Payment, refund.payment_id)
    assert payment is not None
    _mark_submitted(refund)
    key, reference, amount = refund.key, payment.reference, refund.amount
    prepared = refund.provider_refund_id
    db.session.commit()
    gateway = payment_gateway()
    try:
        if prepared is None:
            prepared = gateway.prepare_charge(reference, amount, key).reference
            locked = _locked(refund.id)
            locked.provider_refund_id = prepared
            db.session.commit()
        record = gateway.get_payment(prepared)
        if record is None or record.status != "succeeded":
            record = gateway.confirm_charge(prepared)
    except GatewayError as exc:
        return _record_failure(refund.id, str(exc))
    if record.status != "succeeded":
        message = f"The payment provider reports the charge {record.status}."
        return _record_failure(refund.id, message)
    locked = _locked(refund.id)
    if locked.status != RefundStatus.SUCCEEDED:
        db.session.add(
            Payment(
                order_id=locked.order_id,
                provider=payment.provider,
                method=payment.method,
                reference=record.reference,
                amount=record.amount,
                currency=record.currency,
                captured_at=utcnow(),
            )
        )
    db.session.commit()
    return _record_success(refund.id, record.reference)


def _record_failure(
    refund_id: int, message: str, provider_refund_id: str | None = None, final: bool = False
) -> Refund:
    """Fail a submitted refund with why; `final` when trying again can't help (finance
    decides: adjust, deny, or retry by hand), else reconcile and the worker try again."""
    refund = _locked(refund_id)
    if refund.status == RefundStatus.SUBMITTED:
        move(refund, RefundStatus.FAILED)
        refund.failure_message = message
        refund.failure_final = final
        if provider_refund_id is not None:  # the provider's declined refund, for finance
            refund.provider_refund_id = provider_refund_id
        record_event(
            "system", "refund.failed", "refund", refund.key,
            after={"message": message, "final": final},
        )  # fmt: skip
    db.session.commit()
    return refund


def _call_provider(refund_id: int, reference: str, amount: int, key: str) -> Refund:
    """Refund at most once at the provider, never above its capture; record what it says.

    The provider's own refunds of the payment are read first. One made with our key is
    recorded as it stands (a retry after a lost reply finds it). Otherwise the refund is
    sent only when the provider's paid and pending refunds leave room for it. Succeeded is
    paid; pending/requires_action stays submitted (reconcile asks again); failed/canceled
    is failed with the provider's reason and never sent again: Stripe keeps that refund
    under our key, so finance refunds the customer another way. A lost reply stays
    submitted too: money may have moved, so it must not look failed to finance.
    """
    gateway = payment_gateway()
    try:
        refunds = gateway.list_refunds(reference)
        record = standing([r for r in refunds if r.key == key])
        if record is None:
            captured = gateway.get_payment(reference)
            room = (captured.amount if captured is not None else 0) - held(refunds)
            if amount > room:
                return _record_failure(
                    refund_id,
                    f"Not sent: the provider holds {held(refunds)} in refunds of this payment "
                    f"already; {amount} more would exceed what it captured.",
                    final=True,
                )
            record = gateway.refund(reference, amount, key)
    except RefundOutcomeUnknown as exc:
        refund = _locked(refund_id)
        record_event("system", "refund.outcome_unknown", "refund", key, after={"message": str(exc)})
        db.session.commit()
        return refund
    except GatewayError as exc:
        return _record_failure(refund_id, str(exc))
    if record.status == PAID:
        return _record_success(refund_id, record.reference)
    if record.status in DECLINED:
        return _record_failure(refund_id, declined_reason(record), record.reference, final=True)
    refund = _locked(refund_id)  # waiting at the provider: stays submitted, not paid
    refund.provider_refund_id = record.reference
    record_event(
        "system", "refund.pending", "refund", key,
        after={"provider_refund_id": record.reference, "status": record.status},
    )  # fmt: skip
    db.session.commit()
    return refund


def _record_success(refund_id: int, provider_refund_id: str) -> Refund:
    refund = _locked(refund_id)
    if refund.status != RefundStatus.SUCCEEDED:
        move(refund, RefundStatus.SUCCEEDED)
        refund.provider_refund_id = provider_refund_id
        refund.succeeded_at = utcnow()
        refund.failure_message = None
        refund.failure_final = False
        record_event(
            "system",
            "refund.succeeded",
            "refund",
            refund.key,
            after={"provider_refund_id": provider_refund_id, "amount": refund.amount},
        )
        _resolve_return(refund)
        publish(RefundPaid(refund_id=refund.id))
    events.commit()
    return refund


def _settle_nothing(refund: Refund) -> Refund:
    """Settle a zero card refund or charge without the provider (which refuses an amount
    of 0): done, audited, and the return resolved; no "money moved" mail."""
    move(refund, RefundStatus.SUCCEEDED)
    refund.succeeded_at = utcnow()
    refund.failure_message = None
    refund.failure_final = False
    record_event(
        "system", "refund.settled_without_payment", "refund", refund.key, after={"amount": 0}
    )
    _resolve_return(refund)
    events.commit()
    return refund


def _resolve_return(refund: Refund) -> None:
    if refund.return_id is None:
        return
    rma = db.session.get(Return, refund.return_id)
    if rma is not None and rma.status == ReturnStatus.INSPECTED:
        transition(rma, ReturnStatus.RESOLVED, "system", "refund paid")


def _issue_store_credit(refund: Refund) -> Refund:
    bonus = breakdown_of(refund.breakdown).issued_bonus
    code = credit.issue(
        refund_order_email(refund), refund.amount, bonus, refund.currency, refund.id, "system"
    )
    move(refund, RefundStatus.SUCCEEDED)
    refund.succeeded_at = utcnow()
    refund.provider_refund_id = code
    record_event(
        "system",
        "refund.store_credit",
        "refund",
        refund.key,
        after={"amount": refund.amount, "bonus": bonus, "code": code},
    )
    _resolve_return(refund)
    publish(RefundPaid(refund_id=refund.id))
    events.commit()
    return refund
