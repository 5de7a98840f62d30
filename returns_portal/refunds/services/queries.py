"""Read-only answers about refunds: a return's refunds, the customer's money, balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from returns_portal.extensions import db
from returns_portal.refunds import credit
from returns_portal.refunds.models import (
    Refund,
    RefundMethod,
    RefundStatus,
    StoreCreditEntry,
)
from returns_portal.refunds.services.common import _settlement_items
from returns_portal.refunds.settlement import settlement_for
from returns_portal.refunds.snapshots import breakdown_of, estimate_of
from returns_portal.returns.models import Return, ReturnStatus

# A return in one of these that has no refund rows will never pay anything.
NO_MONEY_DUE = frozenset(
    {ReturnStatus.CANCELLED.value, ReturnStatus.REJECTED.value, ReturnStatus.EXPIRED.value}
)


def get_refund(refund_id: int) -> Refund | None:
    return db.session.get(Refund, refund_id)


def return_refunds(return_id: int) -> list[Refund]:
    """Return the refund rows a return settled in (card, store credit, exchange charge)."""
    return list(
        db.session.scalars(select(Refund).where(Refund.return_id == return_id).order_by(Refund.id))
    )


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
                bonus=breakdown_of(r.breakdown).issued_bonus
                if r.method == RefundMethod.STORE_CREDIT
                else 0,
                note=(r.failure_message or "") if r.status == RefundStatus.CANCELLED else "",
            )
            for r in rows
        ]
    if rma.status in NO_MONEY_DUE:
        return []  # cancelled, rejected or expired before any refund: no money is coming
    estimate = estimate_of(rma.estimate).refund
    if estimate.total is None:
        return []
    parts = settlement_for(estimate.model_dump(), _settlement_items(rma))
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
