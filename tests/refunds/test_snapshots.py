"""Stored decisions read back typed: rows of every schema version, and the live flow's rows."""

from __future__ import annotations

from datetime import date

from returns_portal.extensions import db
from returns_portal.policy import Money
from returns_portal.refunds.snapshots import (
    SCHEMA_VERSION,
    breakdown_of,
    estimate_of,
)
from returns_portal.returns.models import Return
from tests.refunds.conftest import paid_order, proposed_refund

# A breakdown as rows were written before settlements were split and params were typed.
VERSION_1 = {
    "order_number": "1001",
    "pack": "cn-7day",
    "policy_version": 3,
    "policy_digest": "ab" * 32,
    "decisions": [
        {
            "line_id": "L1",
            "eligible": True,
            "reasons": [
                {"code": "window_open", "message": "Until {last_day}.",
                 "params": {"last_day": "2026-11-29"}, "text": "Until 2026-11-29."}
            ],
            "checklist": [{"code": "tags_attached", "text": "Tags attached?",
                           "breaks_intact": True}],
        }
    ],
    "refund": {
        "currency": "CNY",
        "lines": [{"line_id": "L1", "quantity": 2, "items": 25200, "tax": 0,
                   "resolution": "store_credit"}],
        "shipping": 0,
        "deductions": [
            {"code": "return_label_cost", "line_id": None, "amount": 1200,
             "reason": {"code": "return_label_cost", "message": "Label {amount}.",
                        "params": {"amount": "CNY 12.00"}, "text": "Label CNY 12.00."}}
        ],
        "total": 24000,
        "bonus_credit": 2400,
        "approval": "two_finance",
        "refund_due_by": "2026-12-09",
        "reasons": [],
    },
}  # fmt: skip


def test_a_row_of_the_first_version_reads_typed():
    snapshot = breakdown_of(VERSION_1)
    assert snapshot.schema_version == 1 and snapshot.settlement is None
    assert snapshot.issued_bonus == 2400  # before settlements: the policy's bonus was issued
    assert snapshot.refund.refund_due_by == date(2026, 12, 9)
    assert snapshot.refund.approval == "two_finance"
    (deduction,) = snapshot.refund.deductions
    assert deduction.deduction().reason.params["amount"] == Money(1200, "CNY")
    (decision,) = snapshot.decisions
    assert decision.reasons[0].reason().params["last_day"] == date(2026, 11, 29)
    assert decision.checklist[0].text == "Tags attached?"
    assert snapshot.reason_codes() == {"window_open"}


def test_a_refund_without_a_policy_reads_as_such():
    snapshot = breakdown_of({"source": "stripe dashboard"})
    assert snapshot.pack is None and snapshot.refund.total is None
    assert snapshot.source == "stripe dashboard" and snapshot.issued_bonus == 0
    assert breakdown_of(None) == breakdown_of({})


def test_the_live_flow_stores_rows_of_the_current_version(session):
    paid_order()
    refund = proposed_refund(resolution="store_credit")
    rma = db.session.get(Return, refund.return_id)
    assert rma is not None
    assert rma.estimate["schema_version"] == SCHEMA_VERSION
    assert refund.breakdown["schema_version"] == SCHEMA_VERSION
    snapshot = breakdown_of(refund.breakdown)
    assert snapshot.settlement is not None
    assert snapshot.settlement.credit == refund.amount
    assert estimate_of(rma.estimate).refund.currency == "CNY"
    # Typed params are stored typed: money as {amount, currency}, a day as {date}.
    deduction = refund.breakdown["refund"]["deductions"][0]
    assert deduction["reason"]["params"]["amount"] == {"amount": deduction["amount"],
                                                       "currency": "CNY"}  # fmt: skip
    due = next(r for r in refund.breakdown["refund"]["reasons"] if r["code"] == "refund_due_by")
    assert due["params"]["due_date"] == {"date": snapshot.refund.refund_due_by.isoformat()}
