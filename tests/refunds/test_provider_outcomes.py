"""A refund is recorded as the provider reports it, and never paid twice when a reply is lost."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from returns_portal.extensions import db
from returns_portal.orders.demo import pay_with_test_card
from returns_portal.refunds import services as refunds
from returns_portal.refunds.gateway import (
    FakeGateway,
    RefundOutcomeUnknown,
    StripeGateway,
    held,
    payment_gateway,
)
from returns_portal.refunds.models import RefundStatus
from returns_portal.returns.models import Return
from tests.refunds.conftest import paid_order, proposed_refund
from tests.refunds.fault_proxy import ReplyDroppingProxy
from tests.refunds.test_webhooks import event, refund_object, signed

NOW = timedelta(0)  # reconcile every submitted refund, however recent


def paid_mails(app) -> list[str]:
    """Return the file names of the "your refund" mails in the test outbox."""
    folder = Path(app.config["OUTBOX_FOLDER"])
    found = []
    for path in sorted(folder.glob("*")) if folder.exists() else []:
        subject = str(email.message_from_bytes(path.read_bytes())["Subject"] or "")
        if subject.startswith("Your refund for return"):
            found.append(path.name)
    return found


@pytest.fixture
def proxy(localstripe_url) -> Iterator[ReplyDroppingProxy]:
    server = ReplyDroppingProxy(localstripe_url)
    yield server
    server.close()


@pytest.fixture
def stripe_via_proxy(app, session, proxy, monkeypatch) -> StripeGateway:
    """The app pays through Stripe (localstripe) behind the fault proxy."""
    gateway = StripeGateway("sk_test_lost_reply", proxy.url)
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)
    return gateway


@pytest.fixture
def fake(app, session, monkeypatch) -> FakeGateway:
    gateway = FakeGateway()
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)
    return gateway


def test_the_stripe_gateway_does_not_resend_a_refund_whose_reply_was_lost(localstripe_url, proxy):
    direct = StripeGateway("sk_test_lost_reply", localstripe_url)
    payment = pay_with_test_card(direct, 50000, "CNY", {"order_number": "lost-1"})
    proxy.drop("POST", "/v1/refunds", times=3)
    with pytest.raises(RefundOutcomeUnknown):
        StripeGateway("sk_test_lost_reply", proxy.url).refund(payment.reference, 50000, "k-lost-1")
    assert proxy.dropped == ["POST /v1/refunds"]  # sent once: the library did not retry
    made = direct.list_refunds(payment.reference)
    assert [(r.amount, r.key) for r in made] == [(50000, "k-lost-1")]


def test_a_lost_refund_reply_is_settled_by_reconcile_and_paid_exactly_once(
    app, stripe_via_proxy, proxy, finance
):
    reference = paid_order()
    refund = proposed_refund()
    mails = paid_mails(app)
    proxy.drop("POST", "/v1/refunds", times=3)
    refunds.approve_refund(refund.id, finance)
    db.session.refresh(refund)
    # Money may have moved: the row still holds it, and nobody is told it was paid.
    assert refund.status == RefundStatus.SUBMITTED
    assert paid_mails(app) == mails

    report = refunds.reconcile(NOW)
    refunds.reconcile(NOW)  # again: nothing more is sent

    db.session.refresh(refund)
    at_stripe = stripe_via_proxy.list_refunds(reference)
    captured = stripe_via_proxy.get_payment(reference)
    assert captured is not None
    assert report.settled == 1
    assert refund.status == RefundStatus.SUCCEEDED
    assert [(r.reference, r.amount) for r in at_stripe] == [
        (refund.provider_refund_id, refund.amount)
    ]
    assert held(at_stripe) <= captured.amount
    assert proxy.requests.count("POST /v1/refunds") == 1
    assert len(paid_mails(app)) == len(mails) + 1


def test_a_refund_the_provider_already_covers_is_refused_and_not_sent(
    app, stripe_via_proxy, proxy, finance
):
    reference = paid_order()
    captured = stripe_via_proxy.get_payment(reference)
    assert captured is not None
    # Refunded in full in the Stripe dashboard; the portal has not heard of it yet.
    stripe_via_proxy.refund(reference, captured.amount, "dashboard")
    refund = proposed_refund()
    refunds.approve_refund(refund.id, finance)
    refunds.reconcile(NOW)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.FAILED
    assert "would exceed" in (refund.failure_message or "")
    assert len(stripe_via_proxy.list_refunds(reference)) == 1
    assert proxy.requests.count("POST /v1/refunds") == 1  # the dashboard's only


def test_a_pending_refund_is_not_paid_and_a_failure_stays_failed_for_finance(
    app, client, fake, finance
):
    reference = paid_order()
    refund = proposed_refund()
    mails = paid_mails(app)
    fake.refund_status = "pending"
    refunds.approve_refund(refund.id, finance)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.SUBMITTED
    assert refund.succeeded_at is None
    rma = db.session.get(Return, refund.return_id)
    assert rma is not None
    assert [p.status for p in refunds.customer_money(rma)] == ["submitted"]

    refunds.reconcile(NOW)  # still pending at the provider: waits
    db.session.refresh(refund)
    assert refund.status == RefundStatus.SUBMITTED

    # The provider fails it and says so by webhook; reconcile must not turn it into paid.
    provider_id = refund.provider_refund_id
    assert provider_id is not None
    fake.settle_refund(provider_id, "failed", "lost_or_stolen_card")
    failed = refund_object(provider_id, reference, refund.amount, "failed", refund.key)
    body = event(
        "evt_pending_failed", "refund.failed", {**failed, "failure_reason": "lost_or_stolen_card"}
    )
    assert client.post("/webhooks/stripe", data=body, headers=signed(body)).status_code == 200
    report = refunds.reconcile(NOW)
    refunds.reconcile(NOW)

    db.session.refresh(refund)
    assert refund.status == RefundStatus.FAILED
    assert "lost_or_stolen_card" in (refund.failure_message or "")
    assert report.still_failing == 1 and report.retried == 0
    assert fake.refund_calls == 1  # the declined refund was never made again
    assert paid_mails(app) == mails
    assert [p.status for p in refunds.customer_money(rma)] == ["failed"]


def test_a_refund_the_provider_declines_at_once_is_failed_with_its_reason(app, fake, finance):
    paid_order()
    refund = proposed_refund()
    mails = paid_mails(app)
    fake.refund_status = "failed"
    fake.failure_reason = "expired_or_canceled_card"
    refunds.approve_refund(refund.id, finance)
    refunds.reconcile(NOW)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.FAILED
    assert "expired_or_canceled_card" in (refund.failure_message or "")
    assert fake.refund_calls == 1
    assert paid_mails(app) == mails


def test_a_lost_reply_from_the_fake_provider_is_found_by_its_key(app, fake, finance):
    reference = paid_order()
    refund = proposed_refund()
    fake.lost_replies = 1
    refunds.approve_refund(refund.id, finance)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.SUBMITTED
    refunds.reconcile(NOW)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.SUCCEEDED
    assert fake.refund_calls == 1
    assert len(payment_gateway().list_refunds(reference)) == 1


def audit_actions(refund) -> list[str]:
    from sqlalchemy import select

    from returns_portal.audit.models import AuditEvent

    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "refund", AuditEvent.entity_id == refund.key)
            .order_by(AuditEvent.id)
        )
    )


def test_a_declined_refund_is_not_retried_by_the_outbox_or_reconcile(
    app, fake, finance, monkeypatch
):
    from returns_portal.events import services as events
    from returns_portal.events.models import OutboxMessage

    paid_order()
    refund = proposed_refund()
    fake.refund_status = "failed"
    monkeypatch.setitem(app.config, "JOBS_RETRY_BASE_SECONDS", 0)  # anything retried is due now
    refunds.approve_refund(refund.id, finance)
    (row,) = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.handler == "refunds.pay")
    ).all()
    db.session.refresh(row)
    assert row.done_at is not None  # the payer's work ended: finance decides now
    for _ in range(3):
        events.redeliver()
        refunds.reconcile(NOW)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.FAILED and refund.failure_final
    assert fake.refund_calls == 1
    assert audit_actions(refund).count("refund.failed") == 1
    assert audit_actions(refund).count("refund.submitted") == 1


def test_a_refund_that_would_exceed_the_payment_is_left_to_finance_and_audited_once(
    app, stripe_via_proxy, proxy, finance
):
    reference = paid_order()
    captured = stripe_via_proxy.get_payment(reference)
    assert captured is not None
    stripe_via_proxy.refund(reference, captured.amount, "dashboard")
    refund = proposed_refund()
    refunds.approve_refund(refund.id, finance)
    reports = [refunds.reconcile(NOW) for _ in range(3)]
    db.session.refresh(refund)
    assert refund.status == RefundStatus.FAILED and refund.failure_final
    assert [(r.retried, r.still_failing) for r in reports] == [(0, 1)] * 3
    assert audit_actions(refund).count("refund.failed") == 1
    assert proxy.requests.count("POST /v1/refunds") == 1  # the dashboard's only

    # Finance retries by hand (e.g. after refunding the dashboard refund back): one attempt more.
    refunds.retry_refund(refund.id, finance)
    assert audit_actions(refund).count("refund.submitted") == 2


def test_a_transient_failure_is_retried_and_each_attempt_is_audited_once(
    app, fake, finance, monkeypatch
):
    from returns_portal.events import services as events

    paid_order()
    refund = proposed_refund()
    fake.down = True
    monkeypatch.setitem(app.config, "JOBS_RETRY_BASE_SECONDS", 0)
    refunds.approve_refund(refund.id, finance)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.FAILED and not refund.failure_final
    fake.down = False
    events.redeliver()  # the payer asked to be run again: it is, and pays
    db.session.refresh(refund)
    assert refund.status == RefundStatus.SUCCEEDED
    assert audit_actions(refund) == [
        "refund.approved", "refund.submitted", "refund.failed", "refund.submitted",
        "refund.succeeded",
    ]  # fmt: skip


def test_a_stale_submission_the_provider_never_got_is_sent_again_without_a_false_failure(
    app, fake, finance, monkeypatch
):
    reference = paid_order()
    refund = proposed_refund()
    real_refund = fake.refund

    def lost_on_the_way(payment, amount, key):  # the request never reached the provider
        raise RefundOutcomeUnknown("connection reset before the request was sent")

    monkeypatch.setattr(fake, "refund", lost_on_the_way)
    refunds.approve_refund(refund.id, finance)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.SUBMITTED
    monkeypatch.setattr(fake, "refund", real_refund)
    report = refunds.reconcile(NOW)
    db.session.refresh(refund)
    assert report.retried == 1 and refund.status == RefundStatus.SUCCEEDED
    assert len(fake.list_refunds(reference)) == 1
    actions = audit_actions(refund)
    assert "refund.failed" not in actions  # it never failed: it was sent again
    assert actions.count("refund.submitted") == 2 and actions[-1] == "refund.succeeded"


def test_a_refund_that_comes_to_nothing_is_settled_without_the_provider(app, fake, finance):
    paid_order()
    refund = proposed_refund()
    refunds.adjust_refund(refund.id, finance, 0, "both shirts came back worn")
    calls, mails = fake.refund_calls, paid_mails(app)
    refunds.approve_refund(refund.id, finance)
    db.session.refresh(refund)
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_refund_id is None
    assert fake.refund_calls == calls  # a provider refuses a refund of 0: nobody is asked
    assert paid_mails(app) == mails  # and nobody is told money moved
    rma = db.session.get(Return, refund.return_id)
    assert rma is not None and rma.status == "resolved"
    assert audit_actions(refund)[-1] == "refund.settled_without_payment"
    assert refunds.reconcile(NOW).still_failing == 0
