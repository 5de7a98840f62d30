"""Settle refunds whose outcome was lost, retry failed ones, and compare the books with
the provider; safe to run any time (beat runs it every RECONCILE_EVERY_SECONDS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from returns_portal.extensions import db
from returns_portal.orders.models import Payment
from returns_portal.refunds.gateway import (
    DECLINED,
    PAID,
    GatewayError,
    declined_reason,
    payment_gateway,
    standing,
)
from returns_portal.refunds.models import (
    Refund,
    RefundMethod,
    RefundStatus,
)
from returns_portal.refunds.services.common import RECONCILE_AFTER, RefundError
from returns_portal.refunds.services.payouts import _record_failure, _record_success, submit_refund
from returns_portal.types import utcnow


@dataclass(frozen=True)
class ReconcileReport:
    settled: int  # submitted refunds the provider had paid: recorded now
    retried: int  # failed or lost refunds submitted again
    still_failing: int


def reconcile(now_delay: timedelta = RECONCILE_AFTER) -> ReconcileReport:
    """Settle refunds whose outcome was lost and retry failed ones; safe to run any time.

    Each refund is recorded as the provider reports it under our key; only a refund the
    provider never received is sent again, and one it declined stays failed for finance.
    """
    settled = retried = failing = 0
    cutoff = utcnow() - now_delay
    stale = db.session.scalars(
        select(Refund.id).where(
            Refund.status == RefundStatus.SUBMITTED, Refund.updated_at <= cutoff
        )
    ).all()
    for refund_id in stale:
        refund = db.session.get(Refund, refund_id)
        assert refund is not None
        payment = db.session.get(Payment, refund.payment_id) if refund.payment_id else None
        if payment is None:
            continue
        if refund.method == RefundMethod.EXCHANGE_CHARGE:
            # Submitting again reads or confirms the payment it prepared: never a second one.
            retried += 1
            failing += _resubmit(refund_id, cutoff)
            continue
        try:
            listed = payment_gateway().list_refunds(payment.reference)
            found = standing([r for r in listed if r.key == refund.key])
        except GatewayError:
            failing += 1
            continue
        if found is not None and found.status == PAID:
            _record_success(refund_id, found.reference)
            settled += 1
        elif found is not None and found.status in DECLINED:  # left failed for finance
            _record_failure(refund_id, declined_reason(found), found.reference, final=True)
            failing += 1
        elif found is not None:  # still pending at the provider: asked again next run
            failing += 1
        else:  # the provider never got it: submit again (it looks the key up first)
            retried += 1
            failing += _resubmit(refund_id, cutoff)
    failed = select(Refund.id).where(Refund.status == RefundStatus.FAILED)
    # A refusal trying again can't change: finance decides, not reconcile.
    final = failed.where(Refund.failure_final.is_(True)).subquery()
    failing += db.session.scalar(select(func.count()).select_from(final)) or 0
    for refund_id in db.session.scalars(failed.where(Refund.failure_final.is_(False))).all():
        refund = db.session.get(Refund, refund_id)
        assert refund is not None
        payment = db.session.get(Payment, refund.payment_id) if refund.payment_id else None
        if refund.method == RefundMethod.ORIGINAL_PAYMENT and payment is not None:
            try:
                listed = payment_gateway().list_refunds(payment.reference)
            except GatewayError:  # submitting again asks again, and records why it fails
                listed = []
            found = standing([r for r in listed if r.key == refund.key])
            if found is not None and found.status in DECLINED:
                failing += 1  # the provider declined it: never re-created, left for finance
                continue
        retried += 1
        failing += _resubmit(refund_id)
    db.session.commit()
    return ReconcileReport(settled, retried, failing)


def _resubmit(refund_id: int, stale_before: datetime | None = None) -> int:
    """Submit a failed (or stale submitted) refund again; return 1 when it is still not
    paid, else 0."""
    try:
        result = submit_refund(refund_id, stale_before)
    except RefundError:  # e.g. it would exceed the payment: stays failed, shown in the queue
        return 1
    return int(result.status != RefundStatus.SUCCEEDED)


@dataclass(frozen=True)
class Mismatch:
    """One difference between the portal's refunds and the provider's for a payment."""

    payment: str
    kind: str  # missing_at_provider | unknown_to_portal | amount_differs
    portal_refund: str | None
    provider_refund: str | None
    detail: str


def reconciliation_report() -> list[Mismatch]:
    """Compare every paid refund with the provider's record of it, payment by payment."""
    card = Refund.method == RefundMethod.ORIGINAL_PAYMENT.value
    payment_ids = db.session.scalars(
        select(Refund.payment_id).where(Refund.payment_id.is_not(None), card).distinct()
    ).all()
    found: list[Mismatch] = []
    for payment_id in payment_ids:
        payment = db.session.get(Payment, payment_id)
        assert payment is not None
        ours = {
            r.provider_refund_id: r
            for r in db.session.scalars(
                select(Refund).where(
                    Refund.payment_id == payment_id, card, Refund.status == RefundStatus.SUCCEEDED
                )
            )
        }
        theirs = {r.reference: r for r in payment_gateway().list_refunds(payment.reference)}
        for provider_id, refund in ours.items():
            record = theirs.get(provider_id or "")
            if record is None:
                found.append(
                    Mismatch(
                        payment.reference,
                        "missing_at_provider",
                        refund.key,
                        provider_id,
                        "paid in the portal, unknown to the provider",
                    )
                )
            elif record.amount != refund.amount:
                found.append(
                    Mismatch(
                        payment.reference,
                        "amount_differs",
                        refund.key,
                        provider_id,
                        f"portal {refund.amount}, provider {record.amount}",
                    )
                )
        for provider_id, record in theirs.items():
            if provider_id not in ours and record.status == "succeeded":
                pending = record.key and db.session.scalar(
                    select(Refund.id).where(Refund.key == record.key)
                )
                found.append(
                    Mismatch(
                        payment.reference,
                        "unknown_to_portal",
                        record.key if pending else None,
                        provider_id,
                        f"{record.amount} refunded at the provider"
                        + (" (portal row not yet settled: run reconcile)" if pending else ""),
                    )
                )
    return found
