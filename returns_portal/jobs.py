"""Background work: Celery workers on Redis in production, in-process in the embedded default.

Side effects are outbox rows (see returns_portal/events/): with `JOBS_BROKER_URL` set
(production sets it from `REDIS_URL`) each row becomes an `events.deliver` task that a worker
runs, retried with exponential backoff while its handler fails (e.g. the payment provider is
down); beat runs the periodic jobs (hand out outbox rows again, reconcile refunds, expire
store credit). Without a broker, rows are delivered at once in the request that committed
them, due rows again at most every OUTBOX_REDELIVER_SECONDS after a request, and the periodic
jobs are the `flask events redeliver`, `flask refunds reconcile` and `flask credit expire`
commands.

Run a worker (with beat) with:  celery -A returns_portal.worker worker --beat
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask, current_app


def _deliver(message_id: int) -> str:
    from returns_portal.events.services import deliver

    return deliver(message_id)


def _redeliver() -> str:
    from returns_portal.events.services import redeliver

    return f"{redeliver()} outbox row(s) handed out again"


def _reconcile() -> str:
    from returns_portal.refunds.services import reconcile

    report = reconcile()
    return f"{report.settled} settled, {report.retried} retried, {report.still_failing} failing"


def _expire_credit() -> str:
    from returns_portal.refunds.credit import expire

    return f"{len(expire())} code(s) expired"


# Every job by name. A job takes JSON-able arguments and runs inside an app context.
JOBS: dict[str, Callable[..., Any]] = {
    "events.deliver": _deliver,
    "events.redeliver": _redeliver,
    "refunds.reconcile": _reconcile,
    "credit.expire": _expire_credit,
}
RETRYING = frozenset({"events.deliver"})  # retried with backoff while a handler fails


def backoff(retries: int, base: float, cap: float) -> float:
    """Seconds before retry number `retries + 1`: base, 2×base, 4×base … never above cap."""
    return float(min(cap, base * 2**retries))


def make_celery(app: Flask) -> Celery:
    """Build the Celery app for a Flask app: jobs run in its context, periodic ones on beat."""

    class AppTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=AppTask)
    celery.conf.update(
        broker_url=app.config["JOBS_BROKER_URL"],
        task_default_queue=app.config["JOBS_QUEUE"],
        task_acks_late=True,  # a worker killed mid-job leaves it for another worker
        task_reject_on_worker_lost=True,
        # A task cut off from the broker goes back to the queue; the outbox claim keeps a
        # second run from doing the work twice.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # An unreachable broker must fail a hand-off quickly: the row waits in the outbox.
        broker_connection_timeout=2,
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5},
        timezone="UTC",
        beat_schedule={
            "reconcile-refunds": {
                "task": "refunds.reconcile",
                "schedule": timedelta(seconds=app.config["RECONCILE_EVERY_SECONDS"]),
            },
            "expire-store-credit": {"task": "credit.expire", "schedule": timedelta(hours=1)},
            "redeliver-outbox": {
                "task": "events.redeliver",
                "schedule": timedelta(seconds=app.config["OUTBOX_REDELIVER_SECONDS"]),
            },
        },
    )
    base = float(app.config["JOBS_RETRY_BASE_SECONDS"])
    cap = float(app.config["JOBS_RETRY_MAX_SECONDS"])
    retries = int(app.config["JOBS_MAX_RETRIES"])

    def register(name: str, job: Callable[..., Any]) -> None:
        @celery.task(name=name, bind=True, max_retries=retries, shared=False)
        def run(self: Task, *args: Any) -> Any:
            result = job(*args)
            if name in RETRYING and result == "failed" and self.request.retries < retries:
                # Failed with the provider's message (shown in the finance queue); try again
                # later. Reconcile picks it up too once the retries run out.
                raise self.retry(countdown=backoff(self.request.retries, base, cap))
            return result

    for name, job in JOBS.items():
        register(name, job)

    @worker_process_init.connect(weak=False)
    def fresh_connections(**_kwargs: Any) -> None:
        # A forked worker process must not share the parent's database connections.
        from returns_portal.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)

    return celery


def init_app(app: Flask) -> None:
    """Use Celery when a broker is configured; otherwise run jobs in-process."""
    app.config.setdefault("JOBS_BROKER_URL", None)
    app.config.setdefault("JOBS_QUEUE", "returns-portal")
    app.config.setdefault("JOBS_RETRY_BASE_SECONDS", 30)
    app.config.setdefault("JOBS_RETRY_MAX_SECONDS", 3600)
    app.config.setdefault("JOBS_MAX_RETRIES", 8)
    app.config.setdefault("RECONCILE_EVERY_SECONDS", 300)
    if app.config["JOBS_BROKER_URL"]:
        app.extensions["celery"] = make_celery(app)


def celery_app() -> Celery | None:
    """Return the current app's Celery app, or None when jobs run in-process."""
    celery: Celery | None = current_app.extensions.get("celery")
    return celery


def enqueue(name: str, *args: Any) -> Any:
    """Run job `name` in the background (Celery) or now, in-process; return its result when
    it ran in-process, None when it was queued."""
    if name not in JOBS:
        raise KeyError(f"no job named {name!r}")
    celery = celery_app()
    if celery is None:
        return JOBS[name](*args)
    celery.send_task(name, args=list(args))
    return None
