"""Refunds paid by a Celery worker on Redis: queued on approval, retried with backoff while
the provider is down, paid once; the periodic reconcile job runs on the worker too."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.pool import NullPool

from config import TestingConfig
from returns_portal import create_app
from returns_portal.accounts.services import create_user
from returns_portal.extensions import db
from returns_portal.jobs import backoff, enqueue
from returns_portal.refunds import services as refunds
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus
from tests.faults import TcpProxy
from tests.refunds.conftest import PASSWORD, paid_order, proposed_refund
from tests.test_migrations import empty_database as empty_database  # fixture: a fresh database

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:  # never skip: the background jobs must be tested
        pytest.fail(
            f"Redis is needed at {REDIS_URL} (set TEST_REDIS_URL): {exc}. Start it with "
            "redis-server --daemonize yes --port 6379"
        )
    return REDIS_URL


def _worker_app(database: str, broker: str, beat_every: float | None = None) -> Iterator[Flask]:
    """An app with Celery on Redis (a queue of its own) and a worker running its jobs; with
    `beat_every`, beat runs too, handing out the outbox that often."""
    from celery.beat import EmbeddedService
    from celery.contrib.testing.worker import start_worker

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database
        JOBS_BROKER_URL = broker
        JOBS_QUEUE = f"returns-portal-test-{os.getpid()}"
        JOBS_RETRY_BASE_SECONDS = 0.2
        JOBS_RETRY_MAX_SECONDS = 1
        OUTBOX_REDELIVER_SECONDS = beat_every or 60
        # Connections close when given back: the worker thread keeps none after the test.
        SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"poolclass": NullPool}

    app = create_app(Config)
    with app.app_context():
        upgrade()
    celery = app.extensions["celery"]
    beat = None
    if beat_every:
        schedule = os.path.join(tempfile.mkdtemp(prefix="beat-"), "schedule")
        beat = EmbeddedService(celery, thread=True, schedule_filename=schedule)
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        if beat is not None:
            beat.start()
        try:
            yield app
        finally:
            if beat is not None:
                beat.stop()
    with celery.connection_for_write() as conn:
        conn.default_channel.queue_purge(Config.JOBS_QUEUE)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def worker_app(empty_database, redis_url) -> Iterator[Flask]:
    yield from _worker_app(empty_database, redis_url)


@pytest.fixture
def broker_proxy(redis_url) -> Iterator[TcpProxy]:
    """Redis behind a proxy the test can take down, as if the broker went away."""
    from urllib.parse import urlsplit

    target = urlsplit(redis_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    yield proxy
    proxy.close()


@pytest.fixture
def flaky_broker_app(empty_database, redis_url, broker_proxy) -> Iterator[Flask]:
    """Like worker_app, but the broker is reached through `broker_proxy` and beat runs."""
    url = f"redis://127.0.0.1:{broker_proxy.port}/{redis_url.rsplit('/', 1)[-1]}"
    yield from _worker_app(empty_database, url, beat_every=0.5)


def wait_for(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("the worker did not get there in time")


def attempts_of(refund_id: int) -> int:
    db.session.expire_all()
    attempts = db.session.get(Refund, refund_id).attempts
    db.session.commit()
    return attempts


def status_of(refund_id: int) -> str:
    """Read a refund's status and end the transaction (on SQLite it holds the write lock)."""
    db.session.expire_all()
    status = db.session.get(Refund, refund_id).status
    db.session.commit()
    return status


def test_the_backoff_doubles_up_to_its_cap():
    assert [backoff(n, 30, 3600) for n in range(9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600
    ]  # fmt: skip


def test_an_approved_refund_is_queued_and_the_worker_pays_it_once_after_the_provider_recovers(
    worker_app,
):
    with worker_app.app_context():
        reference = paid_order()
        finance = create_user("fin@example.com", PASSWORD, "finance")
        refund_id = proposed_refund().id
        gateway = payment_gateway()
        gateway.down = True
        approved = refunds.approve_refund(refund_id, finance)
        # The click returns at once; the worker does the paying.
        assert approved.status in (RefundStatus.APPROVED, RefundStatus.SUBMITTED,
                                   RefundStatus.FAILED)  # fmt: skip
        db.session.commit()  # hold no transaction (SQLite: no lock) while the worker works
        wait_for(lambda: status_of(refund_id) == RefundStatus.FAILED)
        failed = db.session.get(Refund, refund_id)
        message, attempts = failed.failure_message, failed.attempts
        db.session.commit()
        assert "could not be reached" in message  # shown in the queue
        wait_for(lambda: attempts_of(refund_id) > attempts)  # retried on its own, with backoff
        gateway.down = False
        wait_for(lambda: status_of(refund_id) == RefundStatus.SUCCEEDED)
        paid = db.session.get(Refund, refund_id)
        # the first attempt failed and at least one retry came without anyone asking
        assert paid.attempts >= 2
        assert [r.key for r in gateway.list_refunds(reference)] == [paid.key]  # paid once


def test_the_periodic_reconcile_job_runs_on_the_worker(worker_app):
    with worker_app.app_context():
        reference = paid_order()
        refund = proposed_refund()
        refund.status = RefundStatus.FAILED.value  # e.g. its retries ran out while Stripe was down
        refund.failure_message = "The payment provider could not be reached."
        refund_id = refund.id
        db.session.commit()
        schedule = worker_app.extensions["celery"].conf.beat_schedule
        assert {entry["task"] for entry in schedule.values()} == {
            "refunds.reconcile",
            "credit.expire",
            "events.redeliver",
            "returns.tell_overdue",  # late refunds told to their customers
            "exchanges.hand_over",  # replacements waiting for stock, and any missed
            "returns.expire",  # reminders, and returns never sent
            "carriers.poll",  # tracking of carriers without webhooks
            "carriers.flag_stalled",  # parcels that stopped moving
        }
        assert enqueue("refunds.reconcile") is None  # queued, not run here
        wait_for(lambda: status_of(refund_id) == RefundStatus.SUCCEEDED)
        assert len(payment_gateway().list_refunds(reference)) == 1


def test_the_finance_page_says_an_approved_refund_is_being_paid_in_the_background(worker_app):
    with worker_app.app_context():
        paid_order()
        finance = create_user("fin@example.com", PASSWORD, "finance")
        refund_id = proposed_refund().id
        email = finance.email
        db.session.commit()
    client = worker_app.test_client()
    assert (
        client.post("/staff/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    response = client.post(
        "/finance/refunds/bulk-approve", data={"ids": [refund_id], "confirm": "yes"},
        follow_redirects=True,
    )  # fmt: skip
    assert "1 refund is being paid in the background." in response.text
    with worker_app.app_context():
        wait_for(lambda: status_of(refund_id) == RefundStatus.SUCCEEDED)


def test_with_the_broker_down_the_approval_succeeds_and_the_refund_is_paid_once_it_is_back(
    flaky_broker_app, broker_proxy
):
    from returns_portal.events.models import OutboxMessage

    with flaky_broker_app.app_context():
        reference = paid_order()
        finance = create_user("fin@example.com", PASSWORD, "finance")
        refund_id = proposed_refund().id
        db.session.commit()
        broker_proxy.down()
        started = time.monotonic()
        approved = refunds.approve_refund(refund_id, finance)  # no error for the person
        assert time.monotonic() - started < 10
        assert approved.status == RefundStatus.APPROVED
        db.session.commit()
        row = db.session.scalar(
            db.select(OutboxMessage).where(OutboxMessage.handler == "refunds.pay")
        )
        assert row is not None and row.done_at is None  # safe in the database, waiting
        db.session.commit()
        time.sleep(1.5)  # beat can't reach the broker either: nothing moves
        assert status_of(refund_id) == RefundStatus.APPROVED
        broker_proxy.restore()  # nobody acts from here on
        # The worker reconnects with kombu's backoff (2 s more per failed try, up to 30 s
        # between tries), so after an outage it may take that long to hear the broker again.
        wait_for(lambda: status_of(refund_id) == RefundStatus.SUCCEEDED, seconds=120)
        time.sleep(2)  # beat keeps running: it must not pay a second time
        assert [r.key for r in payment_gateway().list_refunds(reference)] == [
            db.session.get(Refund, refund_id).key
        ]
