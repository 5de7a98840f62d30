"""The suite keeps out of the developer's instance folder and Redis (see tests/isolation.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis
from flask_migrate import upgrade

import config
from config import TestingConfig
from returns_portal import create_app
from returns_portal.extensions import db
from tests import conftest, isolation
from tests.test_migrations import empty_database as empty_database  # fixture: a fresh database


@pytest.fixture
def guard():
    """The run's guard; the violations a test provokes on purpose are taken back."""
    assert conftest.GUARD is not None and conftest.GUARD.active
    yield conftest.GUARD
    conftest.GUARD.take_violations()


def developer_folders(guard) -> tuple[Path, ...]:
    return guard.protected


def test_the_checkout_s_instance_folder_is_protected(guard):
    checkout = Path(__file__).resolve().parent.parent / "instance"
    assert Path(os.path.realpath(checkout)) in developer_folders(guard)


def test_apps_the_tests_build_keep_every_file_in_this_run_s_instance_folder(empty_database):
    class Config(TestingConfig):  # as many tests do: no outbox or upload folder of its own
        SQLALCHEMY_DATABASE_URI = empty_database

    app = create_app(Config)
    try:
        instance = Path(app.instance_path).resolve()
        assert instance == Path(config.INSTANCE_DIR).resolve()
        assert os.environ["RETURNS_PORTAL_INSTANCE"] == str(config.INSTANCE_DIR)
        for root in conftest.GUARD.protected:
            assert root != instance and root not in instance.parents
        with app.app_context():
            upgrade()
            from returns_portal.notifications.mailer import mailer

            outbox = Path(mailer().folder).resolve()  # type: ignore[attr-defined]
            assert instance in outbox.parents
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_write_into_the_developer_s_outbox_is_refused_and_remembered(guard):
    target = developer_folders(guard)[0] / "outbox" / "from-a-test.eml"
    with pytest.raises(isolation.IsolationError, match="instance folder"):
        target.write_text("Subject: no\n")
    assert not target.exists()
    [violation] = guard.take_violations()
    assert str(target) in violation


@pytest.mark.parametrize(
    "touch",
    [
        lambda folder: os.makedirs(folder / "uploads" / "new-folder-from-a-test"),
        lambda folder: (folder / "secret_key").open("a"),
        lambda folder: os.open(folder / "x.tmp", os.O_CREAT | os.O_WRONLY),
        lambda folder: __import__("sqlite3").connect(folder / "returns_portal.sqlite3"),
    ],
    ids=["mkdir", "append", "os.open", "sqlite"],
)
def test_every_kind_of_write_into_the_developer_s_instance_is_refused(guard, touch):
    with pytest.raises(isolation.IsolationError):
        touch(developer_folders(guard)[0])
    assert guard.take_violations()


def test_reading_the_developer_s_instance_folder_is_allowed(guard, tmp_path):
    folder = developer_folders(guard)[0]
    if folder.is_dir():
        list(folder.iterdir())
    (tmp_path / "fine.txt").write_text("a test's own file")
    assert guard.take_violations() == []


def test_a_redis_connection_to_another_database_than_the_tests_is_refused(guard):
    developer = redis.connection.Connection(host="127.0.0.1", port=6379, db=0)
    with pytest.raises(isolation.IsolationError, match="Redis database 0"):
        developer.on_connect_check_health()  # before SELECT: nothing reaches the server
    assert guard.take_violations()


def test_what_a_run_leaves_in_the_test_redis_database_is_removed():
    client = redis.Redis.from_url(isolation.TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:  # never skip, as the background-job tests
        pytest.fail(f"Redis is needed at {isolation.TEST_REDIS_URL} (TEST_REDIS_URL): {exc}")
    queue = isolation.RUN_REDIS_NAME
    other_run = f"{queue}7"  # a concurrent run's pid that starts with ours
    try:
        client.sadd(f"_kombu.binding.{queue}", "x")
        client.sadd(f"_kombu.binding.{other_run}", "x")
        client.hset("unacked", "tag-of-this-run", f'[{{}}, "", "{queue}"]')
        client.zadd("unacked_index", {"tag-of-this-run": 1})
        removed = isolation.clean_redis()
        assert f"_kombu.binding.{queue}" in removed and "unacked tag-of-this-run" in removed
        assert list(isolation.left_in_redis()) == []
        assert client.exists(f"_kombu.binding.{other_run}")
        assert not client.hexists("unacked", "tag-of-this-run")
    finally:
        client.delete(f"_kombu.binding.{queue}", f"_kombu.binding.{other_run}")
        client.hdel("unacked", "tag-of-this-run")
        client.zrem("unacked_index", "tag-of-this-run")
        client.close()
