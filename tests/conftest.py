"""App, database and service fixtures.

The database is built once per run by the Alembic migrations (never create_all) on SQLite,
or on PostgreSQL when TEST_DATABASE_URL names one; each test runs inside a transaction
that is rolled back.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.globals import app_ctx
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from config import TestingConfig
from returns_portal import create_app
from returns_portal.extensions import db
from tests import isolation

# Set in pytest_configure: see tests/isolation.py.
GUARD: isolation.Guard | None = None


class BoundSession(Session):
    """Flask-SQLAlchemy's session picks an engine per bind key; use the test's connection."""

    def get_bind(self, *args: object, **kwargs: object):  # type: ignore[override]
        return self.bind


def pytest_configure(config: pytest.Config) -> None:
    """Give this run PostgreSQL databases and an instance folder of its own, so parallel runs
    never drop each other's and nothing lands in the developer's instance/ or Redis."""
    global GUARD
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql") and "PYTEST_RUN_DATABASE" not in os.environ:
        target = make_url(url)
        unique = target.set(database=f"{target.database}_{os.getpid()}")
        os.environ["TEST_DATABASE_URL"] = unique.render_as_string(hide_password=False)
        os.environ["PYTEST_RUN_DATABASE"] = "1"
    if GUARD is None:
        developer, _run = isolation.redirect_instance()
        GUARD = isolation.Guard(
            isolation.developer_instance_folders(developer),
            isolation.redis_db(isolation.TEST_REDIS_URL),
        )
        isolation.install(GUARD)


def pytest_sessionstart(session: pytest.Session) -> None:
    if GUARD is not None:
        GUARD.active = True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run for what no single test was blamed for; clean this run's Redis keys."""
    if GUARD is None:
        return
    GUARD.active = False
    problems = GUARD.take_violations()
    if GUARD.redis_used:
        try:
            isolation.clean_redis()
            problems += [f"leave {key} in Redis" for key in isolation.left_in_redis()]
        except Exception as exc:  # Redis went away: say what may be left, don't crash pytest
            problems.append(f"leave this run's keys in Redis (could not clean up: {exc})")
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("The test suite must not:", red=True)
            for problem in problems:
                reporter.write_line(f"  {problem}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    import config as settings

    run = Path(settings.INSTANCE_DIR).parent
    if GUARD is not None and run.name.startswith("returns-portal-run-"):
        shutil.rmtree(run, ignore_errors=True)


@pytest.fixture(autouse=True)
def _stays_out_of_the_developer_s_instance_and_redis() -> Iterator[None]:
    """Fail the test during which the suite tried to write into the developer's instance
    folder or Redis (see tests/isolation.py), even when the code that tried carried on."""
    yield
    found = GUARD.take_violations() if GUARD is not None else []
    if found:
        pytest.fail("The test suite must not:\n  " + "\n  ".join(found), pytrace=False)


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def _fresh_postgres(url: str) -> None:
    """Drop and create the test database so every run starts from an empty schema."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except Exception as exc:  # the server is down or refuses us: say so loudly
        pytest.exit(
            f"PostgreSQL is required for this run but is not usable at {target.host}:{target.port}"
            f" ({exc.__class__.__name__}: {exc}).\nStart PostgreSQL, point PG_TEST_URL at one "
            "that runs, or run `make test-sqlite` to test on SQLite only.",
            returncode=3,
        )
    finally:
        admin.dispose()


def _drop_postgres(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = _postgres_url()
    if url is not None:
        _fresh_postgres(url)
        yield url
        _drop_postgres(url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    from flask_migrate import upgrade

    files = tempfile.mkdtemp(prefix="returns-portal-test-")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_FOLDER = os.path.join(files, "uploads")
        OUTBOX_FOLDER = os.path.join(files, "outbox")

    application = create_app(Config)
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[object]:
    """Run the test in a transaction that is rolled back; services' commits become savepoints."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # Built from SQLAlchemy's public API and, like Flask-SQLAlchemy's own, one session
        # per app context: a request in a context of its own sees committed changes afresh.
        factory = sessionmaker(
            class_=BoundSession, db=db, query_cls=db.Query, bind=connection,
            join_transaction_mode="create_savepoint",
        )  # fmt: skip
        db.session = scoped_session(factory, scopefunc=lambda: id(app_ctx._get_current_object()))
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    Tests keep an app context open (for the rolled-back session), and Flask reuses it for
    test requests; without this, per-request caches in `g` (e.g. the CSRF token) would leak
    from one request into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask, session: object):
    app.test_client_class = FreshRequestClient
    return app.test_client()


@pytest.fixture
def cli(app: Flask, session: object):
    return app.test_cli_runner()


@pytest.fixture
def api_token(session: object) -> str:
    from returns_portal.accounts.tokens import create_api_token

    raw, _token = create_api_token("test shop")
    return raw


@pytest.fixture
def auth(api_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """Start a localstripe server for the run; the official stripe library talks to it."""
    port = _free_port()
    exe = Path(sys.executable).with_name("localstripe")
    log = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this block; closed at teardown
    # --from-scratch: every localstripe shares one state file (/tmp/localstripe.pickle) that a
    # concurrent or interrupted instance can leave truncated; a test server must not read it.
    proc = subprocess.Popen(
        [str(exe), "--port", str(port), "--from-scratch"], stdout=log, stderr=log
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    else:
        proc.kill()
    if proc.poll() is not None:
        log.seek(0)
        pytest.fail(f"localstripe did not start: {log.read().decode(errors='replace')[-2000:]}")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
    log.close()
