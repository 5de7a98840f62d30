"""Keep the test suite out of the developer's own things: their instance folder and their Redis.

`make run` keeps its SQLite database, e-mail outbox, uploads and secret key in instance/ (or
RETURNS_PORTAL_INSTANCE), and with REDIS_URL its rate limits and job queue in Redis. The suite
gives every app it builds an instance folder of this run instead (`redirect_instance`), and a
guard watches the rest:

- an audit hook (PEP 578) refuses, and remembers, any write this process makes under the
  developer's instance folder: opening a file to write, making or removing a file or folder,
  opening an SQLite database there;
- every Redis connection is checked against the test database (TEST_REDIS_URL, db 15 by
  default): a connection to any other database number is refused and remembered;
- at the end, what this run left in the test database under its own name (`RUN_REDIS_NAME`:
  Celery's queue bindings and unacknowledged messages) is removed.

The conftest fails the test during which a write was attempted, so a refused write that some
code swallowed (the mailer logs and carries on) still fails the suite.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# What the tests that use Redis call their queues and keys, so that they can be told apart
# from a concurrent run's (and cleaned up after this one).
RUN_REDIS_NAME = f"returns-portal-test-{os.getpid()}"

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# Audited operations that change the file system at their first argument (and rename's second).
_CHANGES = frozenset(
    {"os.mkdir", "os.remove", "os.rmdir", "os.rename", "os.replace", "os.link", "os.symlink",
     "os.truncate", "os.chmod", "os.chown", "os.utime", "shutil.rmtree", "shutil.move",
     "sqlite3.connect"}
)  # fmt: skip


class IsolationError(RuntimeError):
    """The test suite tried to write into the developer's instance folder or Redis.

    Not an OSError: code that retries on I/O errors (Celery's broker connection) must not
    mistake it for a network hiccup and try again for ever.
    """


def redis_db(url: str) -> int:
    """Return the database number a redis:// URL names (0 when it names none)."""
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


@dataclass
class Guard:
    """What the suite must not touch, and every attempt it made."""

    protected: tuple[Path, ...]
    redis_db: int
    active: bool = False
    violations: list[str] = field(default_factory=list)
    redis_used: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, what: str) -> None:
        with self._lock:
            self.violations.append(what)
        raise IsolationError(f"the test suite must not {what}")

    def check_path(self, event: str, path: Any) -> None:
        if isinstance(path, int) or path is None:
            return
        try:
            resolved = Path(os.path.realpath(os.fsdecode(path)))
        except (TypeError, ValueError):
            return
        for root in self.protected:
            if resolved == root or root in resolved.parents:
                self.refuse(f"write into the developer's instance folder ({event} {resolved})")

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "open":
            path, mode, flags = args
            writing = any(c in mode for c in "wax+") if mode else bool(flags & _WRITE_FLAGS)
            if writing:
                self.check_path(event, path)
        elif event in _CHANGES:
            self.check_path(event, args[0])
            if event in {"os.rename", "os.replace", "os.link", "shutil.move"} and len(args) > 1:
                self.check_path(event, args[1])

    def check_redis(self, connection: Any) -> None:
        if not self.active:
            return
        db = int(getattr(connection, "db", 0) or 0)
        if db != self.redis_db:
            where = f"{getattr(connection, 'host', '?')}:{getattr(connection, 'port', '?')}"
            self.refuse(
                f"use Redis database {db} at {where}: tests use database {self.redis_db} "
                "(TEST_REDIS_URL) only"
            )
        self.redis_used = True

    def take_violations(self) -> list[str]:
        with self._lock:
            found, self.violations = self.violations, []
        return found


def developer_instance_folders(configured: Path) -> tuple[Path, ...]:
    """The instance folders `make run` may use: the configured one and the checkout's."""
    checkout = Path(__file__).resolve().parent.parent / "instance"
    return tuple(dict.fromkeys(Path(os.path.realpath(p)) for p in (configured, checkout)))


def redirect_instance() -> tuple[Path, Path]:
    """Point every app of this run (and subprocesses) at a fresh instance folder.

    Return (the developer's instance folder, this run's). Call before any app is built.
    """
    import config

    developer = Path(config.INSTANCE_DIR)
    run = Path(tempfile.mkdtemp(prefix="returns-portal-run-")) / "instance"
    run.mkdir()
    config.INSTANCE_DIR = run
    os.environ["RETURNS_PORTAL_INSTANCE"] = str(run)
    return developer, run


def install(guard: Guard) -> None:
    """Start watching: the audit hook and the Redis connection check (once per process)."""
    sys.addaudithook(guard.audit)
    try:
        from redis.connection import AbstractConnection
    except ImportError:  # no Redis client installed: nothing can reach Redis
        return
    original = AbstractConnection.on_connect_check_health

    def on_connect_check_health(self: Any, *args: Any, **kwargs: Any) -> Any:
        guard.check_redis(self)  # before SELECT and the first command: nothing is written
        return original(self, *args, **kwargs)

    AbstractConnection.on_connect_check_health = on_connect_check_health  # type: ignore[method-assign]


def _names_this_run(text: str) -> bool:
    # returns-portal-test-12 must not match returns-portal-test-123 (another run's).
    return re.search(re.escape(RUN_REDIS_NAME) + r"(?!\d)", text) is not None


def clean_redis(url: str = TEST_REDIS_URL) -> list[str]:
    """Remove what this run left in the test database; return what was removed.

    Celery leaves its queue's bindings after a purge, and messages a stopped worker had
    taken but not acknowledged; both name this run's queue.
    """
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        removed = [
            key.decode(errors="replace")
            for key in client.scan_iter(match=f"*{RUN_REDIS_NAME}*", count=1000)
            if _names_this_run(key.decode(errors="replace"))
        ]
        if removed:
            client.delete(*removed)
        tags = [tag for tag, body in client.hscan_iter("unacked") if _unacked_here(body)]
        if tags:
            client.hdel("unacked", *tags)
            client.zrem("unacked_index", *tags)
            removed += [f"unacked {tag.decode(errors='replace')}" for tag in tags]
        return removed
    finally:
        client.close()


def _unacked_here(body: bytes) -> bool:
    try:
        _message, _exchange, routing_key = json.loads(body)
    except (ValueError, TypeError):
        return False
    return isinstance(routing_key, str) and _names_this_run(routing_key)


def left_in_redis(url: str = TEST_REDIS_URL) -> Iterable[str]:
    """Return the keys of the test database that still name this run."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        return [
            key.decode(errors="replace")
            for key in client.scan_iter(match=f"*{RUN_REDIS_NAME}*", count=1000)
            if _names_this_run(key.decode(errors="replace"))
        ]
    finally:
        client.close()
