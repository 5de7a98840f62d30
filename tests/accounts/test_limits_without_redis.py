"""With the rate-limit storage (Redis) down, sign-in and order lookup still answer, and
still limit, from the process's memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade

from config import TestingConfig
from returns_portal import create_app
from returns_portal.extensions import db, limiter
from tests.notifications.test_mailer import free_port
from tests.test_migrations import empty_database as empty_database  # fixture: a fresh database


@pytest.fixture
def app_without_redis(empty_database) -> Iterator[Flask]:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = empty_database
        RATELIMIT_STORAGE_URI = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens here
        LOOKUP_RATE_LIMIT = "3 per minute"

    # The limiter is one object for every app in the process: give the other tests back
    # the storage it had before this app bound it to the dead Redis.
    state = dict(limiter.__dict__)
    app = create_app(Config)
    try:
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.__dict__.clear()
        limiter.__dict__.update(state)


def test_staff_sign_in_answers_while_redis_is_down(app_without_redis):
    client = app_without_redis.test_client()
    response = client.post("/staff/login", data={"email": "x@example.com", "password": "wrong"})
    assert response.status_code == 200  # the form again, with its message; no 500


def test_order_lookup_answers_and_still_limits_while_redis_is_down(app_without_redis):
    client = app_without_redis.test_client()
    form = {"order_number": "1001", "contact": "guess@example.com"}
    codes = [client.post("/lookup", data=form).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429
