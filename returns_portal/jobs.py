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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask, current_app

from returns_portal.extensions import db


@dataclass(frozen=True)
class Job:
    """A job: JSON-able arguments in, run inside an app context, a short summary out."""

    name: str
    fn: Callable[..., Any]
    every: timedelta | None = None  # run periodically (beat), or only when enqueued
    retrying: bool = False  # a result of "failed" is retried with backoff


def register(
    app: Flask,
    name: str,
    fn: Callable[..., Any],
    every: timedelta | None = None,
    retrying: bool = False,
) -> None:
    """Add a job to the app; each domain registers its own in its init_app, before `start`."""
    jobs: dict[str, Job] = app.extensions["jobs"]
    if name in jobs:
        raise ValueError(f"a job named {name!r} is registered already")
    if app.extensions.get("celery") is not None:
        raise RuntimeError("jobs are registered before jobs.start(app) builds the workers")
    jobs[name] = Job(name, fn, every, retrying)


def registered(app: Flask | None = None) -> dict[str, Job]:
    jobs: dict[str, Job] = (app or current_app).extensions["jobs"]
    return jobs


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
            job.name: {"task": job.name, "schedule": job.every}
            for job in registered(app).values()
            if job.every is not None
        },
    )
    base = float(app.config["JOBS_RETRY_BASE_SECONDS"])
    cap = float(app.config["JOBS_RETRY_MAX_SECONDS"])
    retries = int(app.config["JOBS_MAX_RETRIES"])

    def task_for(job: Job) -> None:
        @celery.task(name=job.name, bind=True, max_retries=retries, shared=False)
        def run(self: Task, *args: Any) -> Any:
            result = job.fn(*args)
            if job.retrying and result == "failed" and self.request.retries < retries:
                # Failed with the provider's message (shown in the finance queue); try again
                # later. Reconcile picks it up too once the retries run out.
                raise self.retry(countdown=backoff(self.request.retries, base, cap))
            return result

    for job in registered(app).values():
        task_for(job)

    @worker_process_init.connect(weak=False)
    def fresh_connections(**_kwargs: Any) -> None:
        # A forked worker process must not share the parent's database connections.
        with app.app_context():
            db.engine.dispose(close=False)

    return celery


def init_app(app: Flask) -> None:
    """Start the app's job registry; `start` builds the workers once domains registered."""
    app.extensions["jobs"] = {}
    app.config.setdefault("JOBS_BROKER_URL", None)
    app.config.setdefault("JOBS_QUEUE", "returns-portal")
    app.config.setdefault("JOBS_RETRY_BASE_SECONDS", 30)
    app.config.setdefault("JOBS_RETRY_MAX_SECONDS", 3600)
    app.config.setdefault("JOBS_MAX_RETRIES", 8)


def start(app: Flask) -> None:
    """Use Celery when a broker is configured; otherwise jobs run in-process."""
    if app.config["JOBS_BROKER_URL"]:
        app.extensions["celery"] = make_celery(app)


def celery_app() -> Celery | None:
    """Return the current app's Celery app, or None when jobs run in-process."""
    celery: Celery | None = current_app.extensions.get("celery")
    return celery


def enqueue(name: str, *args: Any) -> Any:
    """Run job `name` in the background (Celery) or now, in-process; return its result when
    it ran in-process, None when it was queued."""
    job = registered().get(name)
    if job is None:
        raise KeyError(f"no job named {name!r}")
    celery = celery_app()
    if celery is None:
        return job.fn(*args)
    celery.send_task(name, args=list(args))
    return None
