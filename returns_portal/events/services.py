"""Publish domain events into the outbox, and deliver each outbox row to its handler once."""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import inspect, or_, select, update

from returns_portal import jobs
from returns_portal.events.models import OutboxMessage
from returns_portal.extensions import db
from returns_portal.types import utcnow

log = logging.getLogger(__name__)

PENDING = "outbox_pending"  # session.info key: rows published in the open transaction


class RetryLater(Exception):
    """A handler could not do its work now (provider down, mail refused): run it again later."""


@dataclass(frozen=True)
class Handler:
    name: str
    fn: Callable[..., Any]
    final: tuple[type[Exception], ...]  # refusals that end the delivery (no retry)


def _registry(app: Flask | None = None) -> dict[str, list[Handler]]:
    registry: dict[str, list[Handler]] = (app or current_app).extensions["events"]
    return registry


def subscribe(
    app: Flask,
    event: type[Any],
    name: str,
    fn: Callable[..., Any],
    final: tuple[type[Exception], ...] = (),
) -> None:
    """Run `fn(**fields of the event)` after every committed `event`; `name` keys its rows."""
    handlers = _registry(app).setdefault(event.__name__, [])
    if any(h.name == name for h in handlers):
        raise ValueError(f"a handler named {name!r} already listens to {event.__name__}")
    handlers.append(Handler(name, fn, final))


def handler_named(name: str) -> Handler | None:
    return next((h for hs in _registry().values() for h in hs if h.name == name), None)


def publish(event: Any) -> list[OutboxMessage]:
    """Record a domain event (a dataclass) in the current transaction, one row per handler."""
    payload = dataclasses.asdict(event)
    event_id = uuid.uuid4().hex
    rows = [
        OutboxMessage(
            event_id=event_id,
            event=type(event).__name__,
            handler=h.name,
            payload=payload,
            available_at=utcnow(),
        )
        for h in _registry().get(type(event).__name__, [])
    ]
    db.session.add_all(rows)
    db.session.info.setdefault(PENDING, []).extend(rows)
    return rows


def commit() -> None:
    """Commit the current transaction, then dispatch the events it published."""
    db.session.commit()
    dispatch()


def dispatch() -> None:
    """Hand the rows published and committed so far to their handlers (after commit only).

    In-process, each runs now; a handler's final refusal (e.g. a refund above what was paid)
    is raised to the caller once every row has run. With a broker, each becomes a task; if
    the broker can't be reached the row stays pending and `redeliver` hands it out later.
    """
    rows = db.session.info.pop(PENDING, [])
    # Rows of a rolled-back transaction were never written: they have no identity.
    ids = [row.id for row in rows if inspect(row).has_identity]
    refusal: Exception | None = None
    for message_id in ids:
        try:
            _hand_off(message_id, raise_final=True)
        except Exception as exc:  # a final refusal of an in-process handler
            refusal = refusal or exc
    if refusal is not None:
        raise refusal


def _hand_off(message_id: int, raise_final: bool = False) -> None:
    celery = jobs.celery_app()
    if celery is None:
        deliver(message_id, raise_final=raise_final)
        return
    try:
        # No publish retries: with the broker down the click must not hang, and the row is
        # already safe in the database for the periodic redelivery.
        celery.send_task("events.deliver", args=[message_id], retry=False)
    except Exception:
        log.warning("broker unreachable: outbox row %s waits for redelivery", message_id)


def deliver(message_id: int, raise_final: bool = False) -> str:
    """Run one outbox row's handler unless it is done or claimed; return what happened.

    "done", "skipped" (done already, parked, or running elsewhere), "failed" (it asked to be
    run again; it becomes available after a backoff), "refused" (a final refusal, done),
    "parked" (no handler has that name, or OUTBOX_MAX_ATTEMPTS ran out: an operator looks).
    """
    now = utcnow()
    lease = timedelta(seconds=int(current_app.config["OUTBOX_LEASE_SECONDS"]))
    claimed: int = db.session.execute(  # type: ignore[attr-defined]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.done_at.is_(None),
            OutboxMessage.parked_at.is_(None),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    name, payload, attempts = message.handler, dict(message.payload), message.attempts
    db.session.commit()
    handler = handler_named(name)
    if handler is None:  # e.g. a row written by a version that had it: nothing can run it
        _park(message_id, f"no handler named {name!r}")
        return "parked"
    try:
        handler.fn(**payload)
    except handler.final as exc:
        db.session.rollback()
        _finish(message_id, error=str(exc), done=True)
        if raise_final:
            raise
        return "refused"
    except Exception as exc:
        db.session.rollback()
        if not isinstance(exc, RetryLater):
            log.exception("outbox row %s (%s) failed", message_id, name)
        if attempts >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"]):
            _park(message_id, f"gave up after {attempts} attempts: {exc or type(exc).__name__}")
            return "parked"
        base = float(current_app.config["JOBS_RETRY_BASE_SECONDS"])
        cap = float(current_app.config["JOBS_RETRY_MAX_SECONDS"])
        delay = timedelta(seconds=jobs.backoff(attempts - 1, base, cap))
        _finish(message_id, error=str(exc) or type(exc).__name__, done=False,
                retry_at=utcnow() + delay)  # fmt: skip
        return "failed"
    _finish(message_id, error=None, done=True)
    return "done"


def _finish(message_id: int, error: str | None, done: bool, retry_at: Any = None) -> None:
    values: dict[str, Any] = {"claimed_until": None, "last_error": error}
    if done:
        values["done_at"] = utcnow()
    if retry_at is not None:
        values["available_at"] = retry_at
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    # The handler's own events (e.g. a paid refund's mail) go out after its commit.
    dispatch()


def _park(message_id: int, error: str) -> None:
    log.error("outbox row %s parked: %s", message_id, error)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(claimed_until=None, last_error=error, parked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def release(message_ids: list[int] | None = None) -> int:
    """Make parked rows (all, or these) due again with fresh attempts; return how many."""
    query = update(OutboxMessage).where(
        OutboxMessage.parked_at.is_not(None), OutboxMessage.done_at.is_(None)
    )
    if message_ids is not None:
        query = query.where(OutboxMessage.id.in_(message_ids))
    count: int = db.session.execute(  # type: ignore[attr-defined]
        query.values(parked_at=None, attempts=0, available_at=utcnow()).execution_options(
            synchronize_session=False
        )
    ).rowcount
    db.session.commit()
    return count


def redeliver(limit: int = 500) -> int:
    """Hand out again every row that is due and not done (broker was down, process died,
    handler asked to retry); return how many."""
    now = utcnow()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.done_at.is_(None),
            OutboxMessage.parked_at.is_(None),
            OutboxMessage.available_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for message_id in due:
        _hand_off(message_id)
    return len(due)


def _redeliver_job() -> str:
    return f"{redeliver()} outbox row(s) handed out again"


def init_app(app: Flask) -> None:
    """Start the app's handler registry; domains subscribe in their own init_app.

    Without a broker there is no beat: after a request, at most every
    OUTBOX_REDELIVER_SECONDS, due rows (a mail the server refused, a refund the provider
    failed) are delivered again in-process.
    """
    app.extensions["events"] = {}
    app.config.setdefault("OUTBOX_LEASE_SECONDS", 300)
    app.config.setdefault("OUTBOX_REDELIVER_SECONDS", 60)
    # With the default backoff (capped at JOBS_RETRY_MAX_SECONDS) about a day of trying.
    app.config.setdefault("OUTBOX_MAX_ATTEMPTS", 30)
    jobs.register(app, "events.deliver", deliver, retrying=True)
    jobs.register(
        app, "events.redeliver", _redeliver_job,
        every=timedelta(seconds=int(app.config["OUTBOX_REDELIVER_SECONDS"])),
    )  # fmt: skip
    last = {"at": time.monotonic()}

    @app.teardown_request
    def redeliver_due(_exc: BaseException | None) -> None:
        every = float(app.config["OUTBOX_REDELIVER_SECONDS"])
        if app.extensions.get("celery") is not None or time.monotonic() - last["at"] < every:
            return
        last["at"] = time.monotonic()
        try:
            redeliver()
        except Exception:  # never the request's problem: the rows wait for the next turn
            db.session.rollback()
            log.exception("redelivering the outbox failed")
