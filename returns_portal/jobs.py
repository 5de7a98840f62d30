"""Background work: Celery workers on Redis in production, in-process in the embedded default.

Code asks for work with `enqueue("refunds.submit", refund_id)`. With `JOBS_BROKER_URL` set
(production sets it from `REDIS_URL`), the job goes to Celery and a worker runs it, retrying
with exponential backoff while the payment provider fails; beat runs the periodic jobs
(reconcile refunds, expire store credit). Without a broker, the job runs at once in the
request that asked for it, and the periodic jobs are the `flask refunds reconcile` and
`flask credit expire` commands.

Run a worker (with beat) with:  celery -A returns_portal.worker worker --beat
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask, current_app


def _submit_refund(refund_id: int) -> str:
    from returns_portal.refunds.services import RefundError, submit_refund

    if celery_app() is None:  # in-process: the person who approved sees a refusal at once
        return str(submit_refund(refund_id).status)
    try:
        return str(submit_refund(refund_id).status)
    except RefundError:  # refused for good (e.g. above what was paid): failed, with why
        return "refused"


def _reconcile() -> str:
    from returns_portal.refunds.services import reconcile

    report = reconcile()
    return f"{report.settled} settled, {report.retried} retried, {report.still_failing} failing"


def _expire_credit() -> str:
    from returns_portal.refunds.credit import expire

    return f"{len(expire())} code(s) expired"


# Every job by name. A job takes JSON-able arguments and runs inside an app context.
JOBS: dict[str, Callable[..., Any]] = {
    "refunds.submit": _submit_refund,
    "refunds.reconcile": _reconcile,
    "credit.expire": _expire_credit,
}
RETRYING = frozenset({"refunds.submit"})  # jobs retried while they leave a refund failed


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
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        beat_schedule={
            "reconcile-refunds": {
                "task": "refunds.reconcile",
                "schedule": timedelta(seconds=app.config["RECONCILE_EVERY_SECONDS"]),
            },
            "expire-store-credit": {"task": "credit.expire", "schedule": timedelta(hours=1)},
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
