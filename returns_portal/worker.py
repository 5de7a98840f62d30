"""Celery entry point: `celery -A returns_portal.worker worker --beat` (needs REDIS_URL)."""

from returns_portal import create_app

flask_app = create_app()
celery = flask_app.extensions.get("celery")
if celery is None:
    raise RuntimeError(
        "No job broker is configured: set REDIS_URL (or JOBS_BROKER_URL), e.g. "
        "redis://127.0.0.1:6379/0, to run background workers."
    )
