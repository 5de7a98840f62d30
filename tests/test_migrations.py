"""The schema is made only by the migrations, and they agree with the models."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from returns_portal import create_app
from returns_portal.extensions import db


@pytest.fixture
def empty_database() -> Iterator[str]:
    """An empty database of the kind this run tests on (SQLite, or PostgreSQL)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'empty.sqlite3'}"
        return
    target = make_url(url).set(database=f"{make_url(url).database}_migrations")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    yield target.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def app_for(url: str) -> Flask:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(Config)


def schema_drift(app: Flask) -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, db.metadata))


def test_an_empty_database_upgrades_to_head_and_matches_the_models(empty_database):
    app = app_for(empty_database)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"orders", "order_lines", "returns", "refunds", "audit_events"} <= tables
        assert schema_drift(app) == []
        db.engine.dispose()


def test_the_migrations_downgrade_to_nothing_and_back(empty_database):
    app = app_for(empty_database)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema_drift(app) == []
        db.engine.dispose()
