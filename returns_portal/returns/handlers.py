"""What the returns domain does after a change is committed, and on the clock: replacement
orders for exchanges (made once the return is far enough, handed over when stock comes in),
and reminders and expiry for returns never sent."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from returns_portal import jobs
from returns_portal.events.services import subscribe
from returns_portal.returns.events import ReturnMoved
from returns_portal.returns.expiry import expire_unsent
from returns_portal.returns.services.replacements import create_replacement, hand_over_waiting


def replacement_on_move(return_id: int, status: str) -> None:
    """Make the return's replacement order when its new status makes one due (idempotent:
    the outbox may deliver twice, and every later move asks again)."""
    del status  # create_replacement reads the return as it is now
    create_replacement(return_id)


def hand_over_job() -> str:
    done = hand_over_waiting()
    return (
        f"{done.created} replacement(s) created, {done.handed} handed to fulfilment, "
        f"{done.waiting} waiting for stock"
    )


def expire_job() -> str:
    done = expire_unsent()
    return (
        f"{done.reminded} reminded, {done.expired} expired, "
        f"{done.kept} past their day but with the carrier"
    )


def init_app(app: Flask) -> None:
    subscribe(app, ReturnMoved, "returns.replacement", replacement_on_move)
    jobs.register(app, "exchanges.hand_over", hand_over_job, every=timedelta(hours=1))
    jobs.register(app, "returns.expire", expire_job, every=timedelta(hours=1))
