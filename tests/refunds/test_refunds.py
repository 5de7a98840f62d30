"""Refunds are approved by the right people and paid exactly once, never above the capture."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returns_portal.accounts.access import Actor
from returns_portal.accounts.services import create_user
from returns_portal.extensions import db
from returns_portal.orders.models import Payment
from returns_portal.receiving import services as receiving
from returns_portal.refunds import services as refunds
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus, StoreCreditEntry
from returns_portal.returns.models import Return, ReturnStatus
from tests.builders import open_portal_return
from tests.mail import body as mail_body
from tests.refunds.conftest import INTACT_TEE, PASSWORD, paid_order, proposed_refund


@pytest.fixture
def gateway():
    fake = payment_gateway()
    fake.down = False
    yield fake
    fake.down = False


def test_an_approved_refund_is_paid_and_the_return_resolved(session, gateway, finance):
    reference = paid_order()
    refund = proposed_refund()
    paid = refunds.approve_refund(refund.id, finance)
    assert paid.status == RefundStatus.SUCCEEDED
    (provider,) = gateway.list_refunds(reference)
    assert paid.provider_refund_id == provider.reference
    assert provider.amount == refund.amount and provider.key == refund.key
    rma = db.session.get(Return, refund.return_id)
    assert rma.status == ReturnStatus.RESOLVED


def test_partial_refunds_of_one_payment_each_go_through(session, gateway, finance):
    reference = paid_order()
    first = refunds.approve_refund(proposed_refund(quantity=1).id, finance)
    second = refunds.approve_refund(proposed_refund(quantity=1).id, finance)
    assert first.status == second.status == RefundStatus.SUCCEEDED
    assert len(gateway.list_refunds(reference)) == 2


def test_a_refund_above_what_remains_is_refused_before_the_provider_is_called(
    session, gateway, finance
):
    paid_order()
    refund = proposed_refund()
    refund.amount = 10**7
    db.session.commit()
    calls = gateway.refund_calls
    with pytest.raises(refunds.RefundError, match="exceed"):
        refunds.approve_refund(refund.id, finance)
    assert gateway.refund_calls == calls
    assert db.session.get(Refund, refund.id).status == RefundStatus.FAILED


def test_adjusting_needs_a_reason_and_stays_within_what_remains(session, gateway, finance):
    paid_order()
    refund = proposed_refund()
    with pytest.raises(refunds.RefundError, match="Say why"):
        refunds.adjust_refund(refund.id, finance, 100, "")
    with pytest.raises(refunds.RefundError, match="between 0 and what remains"):
        refunds.adjust_refund(refund.id, finance, 10**7, "goodwill")
    assert refunds.adjust_refund(refund.id, finance, 100, "scratch on the sleeve").amount == 100


def test_a_denied_refund_is_never_paid(session, gateway, finance):
    reference = paid_order()
    refund = proposed_refund()
    refunds.deny_refund(refund.id, finance, "Items never arrived")
    with pytest.raises(refunds.RefundError, match="nothing to approve"):
        refunds.approve_refund(refund.id, finance)
    assert gateway.list_refunds(reference) == []


def test_above_the_higher_threshold_two_different_finance_users_must_approve(
    session, gateway, finance, finance2
):
    reference = paid_order()
    refund = proposed_refund()
    refund.breakdown = {
        **refund.breakdown,
        "refund": {**refund.breakdown["refund"], "approval": "two_finance"},
    }
    db.session.commit()
    assert refunds.approve_refund(refund.id, finance).status == RefundStatus.PROPOSED
    with pytest.raises(refunds.RefundError, match="a second person"):
        refunds.approve_refund(refund.id, finance)
    assert gateway.list_refunds(reference) == []
    assert refunds.approve_refund(refund.id, finance2).status == RefundStatus.SUCCEEDED


def test_whoever_inspected_the_items_cannot_approve_their_refund(session, gateway, finance):
    paid_order()
    refund = proposed_refund(inspector=Actor.of(finance))
    with pytest.raises(refunds.RefundError, match="You inspected these items"):
        refunds.approve_refund(refund.id, finance)


@pytest.mark.parametrize("step", ["scanned", "inspected", "completed"])
def test_an_admin_who_took_any_step_of_the_inspection_cannot_approve_its_refund(
    session, gateway, step
):
    admin = create_user("boss@example.com", PASSWORD, "admin")
    clerk = Actor.of(create_user("clerk@example.com", PASSWORD, "warehouse"))
    paid_order()
    rma = open_portal_return("1001", items=(("L1", 1, "too_small", "refund"),))
    inspection = receiving.receive_parcel(rma, clerk)  # someone else opened the parcel
    me = Actor.of(admin)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", me if step == "scanned" else clerk)
    for expected in receiving.expected_items(inspection):
        receiving.record_inspection(inspection, expected.finding, INTACT_TEE, "A", None, "", "", 0,
                                  me if step == "inspected" else clerk)  # fmt: skip
    refund = receiving.complete_inspection(inspection, me if step == "completed" else clerk)
    with pytest.raises(refunds.RefundError, match="You inspected these items"):
        refunds.approve_refund(refund.id, admin)
    assert gateway.list_refunds(db.session.get(Payment, refund.payment_id).reference) == []


@pytest.mark.parametrize("role", ["warehouse", "support"])
def test_warehouse_and_support_cannot_approve(session, gateway, role):
    paid_order()
    refund = proposed_refund()
    user = create_user(f"{role}@example.com", PASSWORD, role)
    with pytest.raises(refunds.RefundError, match="Only finance"):
        refunds.approve_refund(refund.id, user)


def test_provider_down_leaves_the_refund_failed_and_reconcile_pays_it_once(
    session, gateway, finance
):
    reference = paid_order()
    refund = proposed_refund()
    gateway.down = True
    failed = refunds.approve_refund(refund.id, finance)
    assert failed.status == RefundStatus.FAILED
    assert "could not be reached" in failed.failure_message
    gateway.down = False
    report = refunds.reconcile()
    assert report.retried == 1 and report.still_failing == 0
    assert db.session.get(Refund, refund.id).status == RefundStatus.SUCCEEDED
    refunds.reconcile()
    assert len(gateway.list_refunds(reference)) == 1


def test_a_crash_after_the_provider_paid_is_reconciled_without_paying_again(
    session, gateway, finance
):
    reference = paid_order()
    refund = proposed_refund()
    # What a crash between the provider call and our commit leaves behind: the provider paid,
    # our row still says 'submitted'.
    refund.status = RefundStatus.SUBMITTED.value
    db.session.commit()
    paid = gateway.refund(reference, refund.amount, refund.key)
    refund.updated_at = refund.updated_at - timedelta(minutes=10)
    db.session.commit()
    calls = gateway.refund_calls
    report = refunds.reconcile()
    assert report.settled == 1
    assert db.session.get(Refund, refund.id).provider_refund_id == paid.reference
    assert gateway.refund_calls == calls
    assert len(gateway.list_refunds(reference)) == 1


def test_a_store_credit_refund_writes_the_ledger_instead_of_calling_the_provider(
    session, gateway, finance
):
    reference = paid_order()
    refund = proposed_refund()
    refund.method = "store_credit"
    db.session.commit()
    assert refunds.approve_refund(refund.id, finance).status == RefundStatus.SUCCEEDED
    entries = db.session.scalars(select(StoreCreditEntry)).all()
    assert sum(e.amount for e in entries if e.kind == "issue") == refund.amount
    assert gateway.list_refunds(reference) == []


def test_the_reconcile_command_reports_and_fails_while_refunds_still_fail(
    session, gateway, finance, cli
):
    paid_order()
    refund = proposed_refund()
    gateway.down = True
    refunds.approve_refund(refund.id, finance)
    result = cli.invoke(args=["refunds", "reconcile"])
    assert result.exit_code == 1
    assert "0 settled from the provider, 1 retried, 1 still failing." in result.output
    gateway.down = False
    result = cli.invoke(args=["refunds", "reconcile"])
    assert result.exit_code == 0
    assert "1 retried, 0 still failing." in result.output


def test_a_paid_refund_is_mailed_and_shown_to_the_customer(app, session, gateway, finance):
    from email import message_from_bytes
    from pathlib import Path

    from returns_portal.returns.services.links import signed_link_token

    paid_order()
    refund = proposed_refund()
    refunds.approve_refund(refund.id, finance)
    outbox = sorted(
        Path(app.config["OUTBOX_FOLDER"]).glob("*.eml"), key=lambda p: p.stat().st_mtime
    )
    mail = message_from_bytes(outbox[-1].read_bytes())
    assert "Your refund for return" in mail["Subject"]
    assert mail_body(mail).count(app.config["PUBLIC_URL"]) == 1
    rma = db.session.get(Return, refund.return_id)
    with app.test_request_context():
        token = signed_link_token(rma)
    page = app.test_client().get(f"/returns/{rma.number}?t={token}").text
    assert "Refunded: return complete" in page and "paid back on" in page


def with_approval_level(refund, level: str, extra_reason: str | None = None):
    breakdown = dict(refund.breakdown)
    breakdown["refund"] = {**breakdown["refund"], "approval": level}
    if extra_reason:
        decision = dict(breakdown["decisions"][0])
        decision["reasons"] = [
            *decision["reasons"],
            {"code": extra_reason, "message": "", "params": {}},
        ]
        breakdown["decisions"] = [decision]
    refund.breakdown = breakdown
    db.session.commit()
    return refund


def test_a_small_refund_that_passed_inspection_is_approved_automatically(session, gateway):
    reference = paid_order()
    refund = proposed_refund()
    assert refund.status == RefundStatus.PROPOSED  # the default policy sets no auto threshold
    paid = refunds.auto_approve(with_approval_level(refund, "auto"))
    assert paid.status == RefundStatus.SUCCEEDED
    assert len(gateway.list_refunds(reference)) == 1


def test_auto_approval_holds_back_a_refund_whose_inspection_found_a_problem(session, gateway):
    reference = paid_order()
    refund = with_approval_level(proposed_refund(), "auto", extra_reason="not_intact")
    assert refunds.auto_approve(refund).status == RefundStatus.PROPOSED
    assert gateway.list_refunds(reference) == []


def test_the_store_credit_balance_is_the_sum_of_the_ledger_and_shows_to_the_customer(
    app, session, gateway, finance
):
    from returns_portal.returns.services.links import signed_link_token

    paid_order()
    refund = proposed_refund()
    refund.method = "store_credit"
    db.session.commit()
    refunds.approve_refund(refund.id, finance)
    db.session.add(
        StoreCreditEntry(
            customer_email="li.wei@example.com", kind="redeem", amount=-1000, currency="CNY"
        )
    )
    db.session.commit()
    assert refunds.store_credit_balance("Li.Wei@example.com") == {"CNY": refund.amount - 1000}
    rma = db.session.get(Return, refund.return_id)
    with app.test_request_context():
        token = signed_link_token(rma)
    page = app.test_client().get(f"/returns/{rma.number}?t={token}").text
    assert "Your store credit" in page


def test_the_reconciliation_report_finds_each_kind_of_difference(session, gateway, finance, cli):
    reference = paid_order()
    refund = refunds.approve_refund(proposed_refund(quantity=1).id, finance)
    result = cli.invoke(args=["refunds", "report"])
    assert result.exit_code == 0 and "agree on every refund" in result.output
    gateway.refund(reference, 500, "made-in-the-dashboard")  # a refund the portal never heard of
    refund.amount += 1  # and a portal record that no longer matches the provider
    db.session.commit()
    kinds = {m.kind for m in refunds.reconciliation_report()}
    assert kinds == {"unknown_to_portal", "amount_differs"}
    refund.provider_refund_id = "re_gone"
    db.session.commit()
    assert "missing_at_provider" in {m.kind for m in refunds.reconciliation_report()}
    result = cli.invoke(args=["refunds", "report"])
    assert result.exit_code == 1 and "difference(s)." in result.output


def test_a_denied_refund_tells_the_customer_why_by_mail_and_on_the_return_page(
    app, session, gateway, finance
):
    from email import message_from_bytes
    from pathlib import Path

    from returns_portal.returns.services.links import signed_link_token

    paid_order()
    refund = proposed_refund()
    refunds.deny_refund(refund.id, finance, "The T-shirts were worn and washed.")
    outbox = sorted(
        Path(app.config["OUTBOX_FOLDER"]).glob("*.eml"), key=lambda p: p.stat().st_mtime
    )
    mail = message_from_bytes(outbox[-1].read_bytes())
    assert "About the refund for return" in mail["Subject"]
    assert "The T-shirts were worn and washed." in mail_body(mail)
    rma = db.session.get(Return, refund.return_id)
    with app.test_request_context():
        token = signed_link_token(rma)
    page = app.test_client().get(f"/returns/{rma.number}?t={token}").text
    assert "We cannot refund" in page and "worn and washed" in page


def test_a_denied_refund_is_not_said_to_be_on_its_way(app, finance):
    from returns_portal.returns.services.links import signed_link_token

    paid_order()
    refund = proposed_refund()
    rma = db.session.get(Return, refund.return_id)
    with app.test_request_context():
        token = signed_link_token(rma)
    before = app.test_client().get(f"/returns/{rma.number}?t={token}").text
    assert "refund waiting for approval" in before
    refunds.deny_refund(refund.id, finance, "The shirts came back worn.")
    page = app.test_client().get(f"/returns/{rma.number}?t={token}").text
    assert "being prepared" not in page and "Due by" not in page
    assert "We will not refund this return; the reason is below." in page
    assert "The shirts came back worn." in page
