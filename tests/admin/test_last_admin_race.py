"""Two admins demoting each other at the same moment leave one admin, on PostgreSQL."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from returns_portal import create_app
from returns_portal.accounts import services
from returns_portal.accounts.models import Role, User
from returns_portal.extensions import db

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql"), reason="row locks are PostgreSQL's"
)


@pytest.fixture
def committed_app() -> Iterator[object]:
    """An app on a database of its own, where the services' commits are real."""
    from flask_migrate import upgrade

    target = make_url(URL).set(database=f"{make_url(URL).database}_admins")
    server = create_engine(make_url(URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = target.render_as_string(hide_password=False)

    app = create_app(Config)
    with app.app_context():
        upgrade()
        services.create_user("a@example.com", "correct horse battery", Role.ADMIN)
        services.create_user("b@example.com", "correct horse battery", Role.ADMIN)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    server.dispose()


def test_two_admins_demoting_each_other_at_once_leave_one_admin(committed_app):
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def demote(actor: str, target: str) -> None:
        with committed_app.app_context():
            services.get_user(target)  # both have read the other before either writes
            start.wait(timeout=10)
            try:
                services.change_role(target, Role.SUPPORT, actor=actor)
                outcomes[actor] = "done"
            except services.AccountError as exc:
                outcomes[actor] = str(exc)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=demote, args=("a@example.com", "b@example.com")),
        threading.Thread(target=demote, args=("b@example.com", "a@example.com")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    done = [who for who, outcome in outcomes.items() if outcome == "done"]
    refused = [outcome for outcome in outcomes.values() if "is the last active admin" in outcome]
    assert len(done) == 1 and len(refused) == 1, outcomes
    with committed_app.app_context():
        admins = db.session.scalars(select(User.email).where(User.role == "admin")).all()
        db.session.remove()
    assert len(admins) == 1
