"""Engine set-up that differs by database."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from returns_portal.extensions import db


def register_engine_hooks(app: Flask) -> None:
    """Give SQLite real transactions and foreign keys, as PostgreSQL has."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    _sqlite_hooks(engine)


def _sqlite_hooks(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and emits BEGIN late; let
    # SQLAlchemy issue BEGIN itself (SQLAlchemy docs, "Serializable isolation / Savepoints").
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so concurrent writers queue (busy
        # timeout) instead of failing when a read lock cannot be upgraded. SQLite has no
        # row locks: this is how FOR UPDATE sections stay serialised on the embedded default.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
