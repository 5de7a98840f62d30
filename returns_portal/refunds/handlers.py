"""What the refunds domain does after commit: pay approved refunds, and its periodic jobs."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from returns_portal import jobs
from returns_portal.events.services import RetryLater, subscribe
from returns_portal.refunds import credit
from returns_portal.refunds.events import RefundApproved
from returns_portal.refunds.models import RefundStatus
from returns_portal.refunds.services import RefundError, reconcile, submit_refund


def pay_approved_refund(refund_id: int) -> None:
    """Pay an approved refund; ask to be run again while the provider can't be reached.

    A refusal trying again can't change (the provider declined the refund, or it would
    exceed the payment) ends here: the refund waits in the finance queue.
    """
    refund = submit_refund(refund_id)
    if refund.status == RefundStatus.FAILED and not refund.failure_final:
        raise RetryLater(refund.failure_message or "the refund failed")


def reconcile_job() -> str:
    report = reconcile()
    return f"{report.settled} settled, {report.retried} retried, {report.still_failing} failing"


def expire_credit_job() -> str:
    return f"{len(credit.expire())} code(s) expired"


def init_app(app: Flask) -> None:
    app.config.setdefault("RECONCILE_EVERY_SECONDS", 300)
    subscribe(app, RefundApproved, "refunds.pay", pay_approved_refund, final=(RefundError,))
    every = timedelta(seconds=int(app.config["RECONCILE_EVERY_SECONDS"]))
    jobs.register(app, "refunds.reconcile", reconcile_job, every=every)
    jobs.register(app, "credit.expire", expire_credit_job, every=timedelta(hours=1))
