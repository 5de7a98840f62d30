"""The outbox: side effects run after commit, at least once, never twice, and a failed one
(the mail server down) is done later without anyone acting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returns_portal.events import services as events
from returns_portal.events.models import OutboxMessage
from returns_portal.extensions import db
from returns_portal.notifications.mailer import SMTPMailer
from returns_portal.refunds import services as refunds
from returns_portal.refunds.events import RefundApproved
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus
from tests.notifications.test_mailer import free_port
from tests.notifications.test_mailer import smtp_server as smtp_server  # fixture
from tests.refunds.conftest import paid_order, proposed_refund


def rows(handler: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.handler == handler)))


@pytest.fixture
def smtp(smtp_server):
    return smtp_server  # a real SMTP server (aiosmtpd) that keeps what it receives


@pytest.fixture
def mail_down(app, monkeypatch):
    """The mail server refuses connections (nothing listens on its port)."""
    monkeypatch.setitem(app.extensions, "mailer", SMTPMailer(f"smtp://127.0.0.1:{free_port()}"))
    monkeypatch.setitem(app.config, "JOBS_RETRY_BASE_SECONDS", 0)  # due again at once


def test_with_the_mail_server_down_the_return_stands_and_its_mail_goes_out_once_later(
    app, customer, mail_down, smtp, monkeypatch
):
    number = customer.complete()  # the customer's click succeeds
    (pending,) = rows("mail.return_opened")
    assert pending.done_at is None and pending.attempts == 1
    assert "mail server refused" in pending.last_error
    controller, inbox = smtp
    monkeypatch.setitem(app.extensions, "mailer", SMTPMailer(f"smtp://127.0.0.1:{controller.port}"))
    # Nobody acts: the next request, any request, hands the due row out again.
    monkeypatch.setitem(app.config, "OUTBOX_REDELIVER_SECONDS", 0)
    customer.client.get("/")
    (done,) = rows("mail.return_opened")
    assert done.done_at is not None and done.attempts == 2 and done.last_error is None
    assert len(inbox.messages) == 1 and number.encode() in inbox.messages[0]
    assert events.redeliver() == 0  # nothing is due any more: never a second mail
    customer.client.get("/")
    assert len(inbox.messages) == 1


def test_the_redeliver_command_hands_out_what_failed(app, customer, mail_down, smtp, cli,
                                                     monkeypatch):  # fmt: skip
    customer.complete()
    result = cli.invoke(args=["events", "pending"])
    assert "mail.return_opened: 1 pending (last error: the mail server refused" in result.output
    controller, inbox = smtp
    monkeypatch.setitem(app.extensions, "mailer", SMTPMailer(f"smtp://127.0.0.1:{controller.port}"))
    assert "1 outbox row(s) handed out again." in cli.invoke(args=["events", "redeliver"]).output
    assert len(inbox.messages) == 1
    assert "Nothing pending." in cli.invoke(args=["events", "pending"]).output


def test_a_row_is_delivered_once_however_often_it_is_handed_out(session, finance):
    paid_order()
    refund = refunds.approve_refund(proposed_refund().id, finance)
    assert refund.status == RefundStatus.SUCCEEDED
    (row,) = rows("refunds.pay")
    assert row.done_at is not None
    calls = payment_gateway().refund_calls
    assert events.deliver(row.id) == "skipped"
    assert events.deliver(row.id) == "skipped"
    assert payment_gateway().refund_calls == calls
    assert len(rows("mail.refund_paid")) == 1


def test_a_row_claimed_by_a_worker_that_died_is_delivered_once_its_lease_runs_out(
    app, session, finance, monkeypatch
):
    from datetime import timedelta

    from returns_portal.types import utcnow

    paid_order()
    refund = proposed_refund()
    # The approval committed and a worker claimed the row, then was killed.
    refund.status = RefundStatus.APPROVED.value
    (row,) = events.publish(RefundApproved(refund_id=refund.id))
    db.session.commit()
    db.session.info.pop(events.PENDING)
    row.claimed_until = utcnow() + timedelta(minutes=5)
    row.attempts = 1
    db.session.commit()
    assert events.redeliver() == 0  # still claimed: nobody else runs it meanwhile
    assert db.session.get(Refund, refund.id).status == RefundStatus.APPROVED
    row.claimed_until = utcnow() - timedelta(seconds=1)  # the lease ran out
    db.session.commit()
    assert events.redeliver() == 1
    assert db.session.get(Refund, refund.id).status == RefundStatus.SUCCEEDED
    assert len(payment_gateway().list_refunds(_reference(refund.id))) == 1


def _reference(refund_id: int) -> str:
    from returns_portal.orders.models import Payment

    refund = db.session.get(Refund, refund_id)
    return db.session.get(Payment, refund.payment_id).reference


def test_an_event_of_a_rolled_back_change_is_never_delivered(session, finance):
    paid_order()
    refund = proposed_refund()
    calls = payment_gateway().refund_calls
    refund.status = RefundStatus.APPROVED.value
    events.publish(RefundApproved(refund_id=refund.id))
    db.session.rollback()
    events.dispatch()
    assert rows("refunds.pay") == []
    assert payment_gateway().refund_calls == calls


def test_a_refusal_reaches_the_approver_and_is_not_retried(session, finance):
    paid_order()
    refund = proposed_refund()
    refund.amount = 10**7
    db.session.commit()
    with pytest.raises(refunds.RefundError, match="exceed"):
        refunds.approve_refund(refund.id, finance)
    (row,) = rows("refunds.pay")
    assert row.done_at is not None and "exceed" in row.last_error
    assert events.redeliver() == 0


def _waiting_row(handler: str) -> OutboxMessage:
    row = OutboxMessage(event_id="e" * 32, event="Gone", handler=handler, payload={})
    db.session.add(row)
    db.session.commit()
    return row


def test_a_row_no_handler_can_run_is_parked_once_not_handed_out_for_ever(session, cli):
    row = _waiting_row("a.handler.since.removed")
    assert events.redeliver() == 1
    db.session.refresh(row)
    assert row.parked_at is not None and row.done_at is None
    assert "no handler named 'a.handler.since.removed'" in (row.last_error or "")
    assert events.redeliver() == 0  # parked: never handed out again on its own
    assert events.deliver(row.id) == "skipped"
    output = cli.invoke(args=["events", "pending"]).output
    assert f"parked #{row.id} Gone → a.handler.since.removed" in output
    assert "Nothing pending." not in output


def test_a_handler_that_keeps_failing_is_parked_after_its_attempts_and_can_be_released(
    app, session, cli, monkeypatch
):
    failures: list[int] = []

    def always_down() -> None:
        failures.append(1)
        raise events.RetryLater("the provider is down")

    monkeypatch.setitem(
        app.extensions["events"], "Flaky", [events.Handler("t.flaky", always_down, ())]
    )
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "JOBS_RETRY_BASE_SECONDS", 0)
    row = _waiting_row("t.flaky")
    for _ in range(5):
        events.redeliver()
    db.session.refresh(row)
    assert len(failures) == 3
    assert row.parked_at is not None and row.done_at is None
    assert "gave up after 3 attempts: the provider is down" in (row.last_error or "")

    usage = cli.invoke(args=["events", "release"])
    assert usage.exit_code != 0 and "--all" in usage.output
    assert "1 parked row(s) released" in cli.invoke(args=["events", "release", str(row.id)]).output
    monkeypatch.setitem(
        app.extensions["events"], "Flaky", [events.Handler("t.flaky", lambda: None, ())]
    )
    assert events.redeliver() == 1
    db.session.refresh(row)
    assert row.done_at is not None and row.parked_at is None
    assert "0 parked row(s) released" in cli.invoke(args=["events", "release", "--all"]).output
