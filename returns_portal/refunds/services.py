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

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from returns_portal.accounts.models import Role, User
from returns_portal.audit.services import record_event
from returns_portal.events import services as events
from returns_portal.events.services import publish
from returns_portal.extensions import db
from returns_portal.orders.models import Payment
from returns_portal.receiving.models import Inspection, InspectionStaff
from returns_portal.refunds import credit
from returns_portal.refunds.events import RefundApproved, RefundDenied, RefundPaid
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
    ProviderEvent,
    Refund,
    RefundApproval,
    RefundMethod,
    RefundStatus,
    StoreCreditEntry,
)
from returns_portal.refunds.settlement import settlement_for
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import transition
from returns_portal.types import utcnow

APPROVERS = frozenset({Role.FINANCE, Role.ADMIN})
# Refunds that hold money: submitted (outcome pending) and succeeded both count against
# what a payment can still give back.
HOLDING = (RefundStatus.SUBMITTED.value, RefundStatus.SUCCEEDED.value)
RECONCILE_AFTER = timedelta(minutes=2)
# Finance may still adjust or deny these (a failed refund is never a dead end).
WAITING_FOR_FINANCE = (RefundStatus.PROPOSED.value, RefundStatus.FAILED.value)


class RefundError(Exception):
    """A refund action the portal refuses; the message is for the finance user."""


def _settlement_items(rma: Return) -> list[tuple[str, str, int | None]]:
    return [(i.line.line_ref, i.resolution, i.exchange_unit_price) for i in rma.items]


def return_refunds(return_id: int) -> list[Refund]:
    """Return the refund rows a return settled in (card, store credit, exchange charge)."""
    return list(
        db.session.scalars(select(Refund).where(Refund.return_id == return_id).order_by(Refund.id))
    )


def propose_settlement(rma: Return, evaluation: dict[str, Any]) -> list[Refund]:
    """Write the return's refund proposal: one row per way the money moves (not committed).

    The card part, the store credit and an exchange's price difference each get their own
    row, key and approval, so each is paid exactly once on its own. A return that settles
    to nothing still gets a (zero) card row, so finance sees the decision.
    """
    breakdown = evaluation["refund"]
    parts = settlement_for(breakdown, _settlement_items(rma))
    payment = rma.order.payments[0].id if rma.order.payments else None
    rows = [
        (RefundMethod.ORIGINAL_PAYMENT, parts.card),
        (RefundMethod.STORE_CREDIT, parts.credit),
        (RefundMethod.EXCHANGE_CHARGE, parts.charge),
    ]
    wanted = [(method, amount) for method, amount in rows if amount > 0] or rows[:1]
    refunds = []
    for method, amount in wanted:
        refund = Refund(
            key=secrets.token_hex(16),
            return_id=rma.id,
            order_id=rma.order_id,
            payment_id=None if method is RefundMethod.STORE_CREDIT else payment,
            status=RefundStatus.PROPOSED.value,
            method=method.value,
            currency=breakdown["currency"],
            amount=amount,
            breakdown={**evaluation, "settlement": parts.to_dict()},
            policy_version_id=rma.policy_version_id,
        )
        db.session.add(refund)
        refunds.append(refund)
    db.session.flush()
    return refunds


def actor_of(user: User) -> str:
    return f"user:{user.id} {user.email}"


def _locked(refund_id: int) -> Refund:
    refund = db.session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None:
        raise RefundError(_l("No such refund."))
    return refund


def approvals_needed(refund: Refund) -> int:
    """Return how many different finance users must approve (from the policy's thresholds)."""
    level = (refund.breakdown or {}).get("refund", {}).get("approval", "finance")
    return 2 if level == "two_finance" else 1


def _warehouse_staff(refund: Refund) -> set[int]:
    """Return the ids of every user who received, scanned, inspected or completed the
    return's receipts (or started one, for receipts made before each step was recorded)."""
    if refund.return_id is None:
        return set()
    receipts = select(Inspection.id).where(Inspection.return_id == refund.return_id)
    steps = db.session.scalars(
        select(InspectionStaff.user_id).where(InspectionStaff.inspection_id.in_(receipts))
    )
    starters = db.session.scalars(
        select(Inspection.inspector_id).where(
            Inspection.return_id == refund.return_id, Inspection.inspector_id.is_not(None)
        )
    )
    return {*steps, *(i for i in starters if i is not None)}


def approve_refund(refund_id: int, user: User, note: str = "") -> Refund:
    """Record one finance approval; with enough of them, pay the refund.

    Refused: a role other than finance/admin, the user who inspected the items, a second
    approval by the same user, a refund not waiting for approval.
    """
    refund = _locked(refund_id)
    if Role(user.role) not in APPROVERS:
        raise RefundError(_l("Only finance can approve refunds."))
    if user.id in _warehouse_staff(refund):
        raise RefundError(_l("You inspected these items, so someone else must approve the refund."))
    if refund.status != RefundStatus.PROPOSED:
        raise RefundError(
            _l("This refund is %(status)s; there is nothing to approve.", status=refund.status)
        )
    if any(a.user_id == user.id for a in refund.approvals):
        raise RefundError(
            _l("You have approved this refund already; a second person must approve it.")
        )
    refund.approvals.append(RefundApproval(user_id=user.id, decision="approve", note=note.strip()))
    approved = sum(1 for a in refund.approvals if a.decision == "approve") >= approvals_needed(
        refund
    )
    if approved:
        refund.status = RefundStatus.APPROVED.value
    record_event(
        actor_of(user),
        "refund.approved" if approved else "refund.approval",
        "refund",
        refund.key,
        after={"amount": refund.amount, "note": note.strip()},
    )
    if approved:
        publish(RefundApproved(refund_id=refund.id))
    refund_id = refund.id
    return _committed(refund_id)


def _committed(refund_id: int) -> Refund:
    """Commit, run or queue what the change published (in-process: paid now); return the
    refund as it is now. With the broker down the commit stands and the outbox row waits."""
    events.commit()
    refund = db.session.get(Refund, refund_id)
    assert refund is not None
    db.session.refresh(refund)
    return refund


def adjust_refund(refund_id: int, user: User, amount: int, reason: str) -> Refund:
    """Change a proposed refund's amount, with a reason; never above what remains refundable."""
    refund = _locked(refund_id)
    if Role(user.role) not in APPROVERS:
        raise RefundError(_l("Only finance can adjust refunds."))
    if refund.status not in WAITING_FOR_FINANCE:
        raise RefundError(_l("Only a proposed or failed refund can be adjusted."))
    if not reason.strip():
        raise RefundError(_l("Say why the amount changes."))
    if amount < 0 or amount > refundable(refund, exclude_self=True):
        raise RefundError(_l("The amount must be between 0 and what remains refundable."))
    before = refund.amount
    refund.amount = amount
    record_event(
        actor_of(user),
        "refund.adjusted",
        "refund",
        refund.key,
        before={"amount": before},
        after={"amount": amount, "reason": reason.strip()},
    )
    db.session.commit()
    return refund


def deny_refund(refund_id: int, user: User, reason: str) -> Refund:
    """Refuse a proposed refund, with a reason the customer is told."""
    refund = _locked(refund_id)
    if Role(user.role) not in APPROVERS:
        raise RefundError(_l("Only finance can deny refunds."))
    if refund.status not in WAITING_FOR_FINANCE:
        raise RefundError(_l("Only a proposed or failed refund can be denied."))
    if not reason.strip():
        raise RefundError(_l("Say why the refund is denied; the customer is told."))
    refund.status = RefundStatus.CANCELLED.value
    refund.failure_message = reason.strip()
    mine = next((a for a in refund.approvals if a.user_id == user.id), None)
    if mine is None:
        refund.approvals.append(
            RefundApproval(user_id=user.id, decision="deny", note=reason.strip())
        )
    else:  # they approved it before it failed: their decision is now a denial (audited)
        mine.decision, mine.note, mine.decided_at = "deny", reason.strip(), utcnow()
    record_event(
        actor_of(user), "refund.denied", "refund", refund.key, after={"reason": reason.strip()}
    )
    publish(RefundDenied(refund_id=refund.id, reason=reason.strip()))
    events.commit()
    return refund


def retry_refund(refund_id: int, user: User) -> Refund:
    """Pay a failed refund again now (after the provider recovered, or after an adjustment)."""
    refund = _locked(refund_id)
    if Role(user.role) not in APPROVERS:
        raise RefundError(_l("Only finance can retry refunds."))
    if refund.status != RefundStatus.FAILED:
        raise RefundError(_l("Only a failed refund can be retried."))
    record_event(
        actor_of(user),
        "refund.retried",
        "refund",
        refund.key,
        before={"message": refund.failure_message},
        after={"amount": refund.amount},
    )
    publish(RefundApproved(refund_id=refund.id))
    return _committed(refund.id)


def refundable(refund: Refund, exclude_self: bool = False) -> int:
    """Return what the refund's payment can still give back (captured minus held refunds).

    Store credit and exchange charges move no money back to the card: their own amount is
    their limit (an adjustment may lower it, never raise it).
    """
    if refund.method != RefundMethod.ORIGINAL_PAYMENT:
        return refund.amount
    if refund.payment_id is None:
        return 0
    payment = db.session.get(Payment, refund.payment_id)
    assert payment is not None
    held = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id,
            Refund.method == RefundMethod.ORIGINAL_PAYMENT.value,
            Refund.status.in_(HOLDING),
            *([Refund.id != refund.id] if exclude_self else []),
        )
    )
    return int(payment.amount) - int(held or 0)


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
    refund.status = RefundStatus.SUBMITTED.value
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
    refund.status = RefundStatus.FAILED.value
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
        refund.status = RefundStatus.FAILED.value
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
        refund.status = RefundStatus.SUCCEEDED.value
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


def auto_approve(refund: Refund) -> Refund:
    """Pay a proposal at once when the policy allows: under its threshold, inspection
    passed (nothing short, extra or failing a check) and no abuse flag."""
    breakdown = refund.breakdown or {}
    if breakdown.get("refund", {}).get("approval") != "auto" or breakdown.get("needs_review"):
        return refund
    flags = {"not_intact", "fewer_received", "not_received", "gift_not_returned"}
    codes = {r["code"] for d in breakdown.get("decisions", []) for r in d.get("reasons", [])}
    rma = db.session.get(Return, refund.return_id) if refund.return_id else None
    receipt = db.session.scalar(
        select(Inspection)
        .where(Inspection.return_id == refund.return_id)
        .order_by(Inspection.id.desc())
    )
    if (
        codes & flags
        or (rma is not None and rma.needs_review)
        or (receipt is not None and receipt.unexpected)
    ):
        return refund
    locked = _locked(refund.id)
    if locked.status != RefundStatus.PROPOSED:
        return locked
    locked.status = RefundStatus.APPROVED.value
    record_event(
        "policy", "refund.auto_approved", "refund", locked.key, after={"amount": locked.amount}
    )
    publish(RefundApproved(refund_id=locked.id))
    return _committed(locked.id)


def _resolve_return(refund: Refund) -> None:
    if refund.return_id is None:
        return
    rma = db.session.get(Return, refund.return_id)
    if rma is not None and rma.status == ReturnStatus.INSPECTED:
        transition(rma, ReturnStatus.RESOLVED, "system", "refund paid")


def _issue_store_credit(refund: Refund) -> Refund:
    breakdown = refund.breakdown or {}
    if "settlement" in breakdown:
        bonus = int(breakdown["settlement"].get("bonus") or 0)
    else:  # proposals made before settlements were split
        bonus = int(breakdown.get("refund", {}).get("bonus_credit") or 0)
    code = credit.issue(
        refund_order_email(refund), refund.amount, bonus, refund.currency, refund.id, "system"
    )
    refund.status = RefundStatus.SUCCEEDED.value
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


def refund_order_email(refund: Refund) -> str:
    from returns_portal.orders.models import Order

    order = db.session.get(Order, refund.order_id)
    assert order is not None
    return order.email


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


# --- provider webhooks -------------------------------------------------------------------


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
            refund.status = RefundStatus.SUCCEEDED.value
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
        refund.status = RefundStatus.FAILED.value
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


@dataclass(frozen=True)
class MoneyPart:
    """One way money moves for a return, as the customer sees it."""

    method: str  # original_payment | store_credit | exchange_charge
    amount: int
    currency: str
    status: str  # "estimate" before inspection, else the refund row's status
    at: datetime | None  # when it was paid, issued or charged
    code: credit.CreditCode | None  # the store-credit code it was issued as
    bonus: int
    note: str  # why it was denied


def customer_money(rma: Return) -> list[MoneyPart]:
    """Return the return's money parts: the proposal once inspected, else the estimate."""
    rows = return_refunds(rma.id)
    if rows:
        return [
            MoneyPart(
                method=r.method,
                amount=r.amount,
                currency=r.currency,
                status=r.status,
                at=r.succeeded_at,
                code=credit.lookup(r.provider_refund_id or "")
                if r.method == RefundMethod.STORE_CREDIT and r.provider_refund_id
                else None,
                bonus=int((r.breakdown or {}).get("settlement", {}).get("bonus") or 0)
                if r.method == RefundMethod.STORE_CREDIT
                else 0,
                note=(r.failure_message or "") if r.status == RefundStatus.CANCELLED else "",
            )
            for r in rows
        ]
    breakdown = (rma.estimate or {}).get("refund")
    if not breakdown:
        return []
    parts = settlement_for(breakdown, _settlement_items(rma))
    found = [
        MoneyPart(method.value, amount, parts.currency, "estimate", None, None,
                  parts.bonus if method is RefundMethod.STORE_CREDIT else 0, "")
        for method, amount in (
            (RefundMethod.ORIGINAL_PAYMENT, parts.card),
            (RefundMethod.STORE_CREDIT, parts.credit),
            (RefundMethod.EXCHANGE_CHARGE, parts.charge),
        )
        if amount > 0
    ]  # fmt: skip
    return found or [
        MoneyPart(RefundMethod.ORIGINAL_PAYMENT.value, 0, parts.currency, "estimate", None,
                  None, 0, "")
    ]  # fmt: skip


def store_credit_balance(email: str) -> dict[str, int]:
    """Return a customer's store-credit balance per currency: the sum of their ledger."""
    rows = db.session.execute(
        select(StoreCreditEntry.currency, func.sum(StoreCreditEntry.amount))
        .where(StoreCreditEntry.customer_email == email.lower())
        .group_by(StoreCreditEntry.currency)
    ).all()
    return {currency: int(total) for currency, total in rows if total}


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
