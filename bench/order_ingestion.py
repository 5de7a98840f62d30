"""Order upserts per second through the service the API and the importer use.

Runs on a throw-away SQLite database built by the migrations, or on BENCH_DATABASE_URL
(an empty PostgreSQL database) when set. Prints created and re-sent (unchanged) rates.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import upgrade

from config import TestingConfig
from returns_portal import create_app
from returns_portal.orders.demo import demo_order
from returns_portal.orders.services import upsert_order

COUNT = 1000
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def run(url: str) -> None:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    documents = []
    for index in range(COUNT):
        document = demo_order(index % 48, NOW)
        document["number"] = f"B{index:06d}"
        documents.append(document)
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        for document in documents:
            upsert_order(document, actor="bench")
        created = time.perf_counter() - start
        start = time.perf_counter()
        for document in documents:
            upsert_order(document, actor="bench")
        unchanged = time.perf_counter() - start
    print(f"order upserts on {url.split(':', 1)[0]}, {COUNT} orders:")
    print(f"  create      {COUNT / created:7.0f} orders/s  ({created / COUNT * 1000:.2f} ms each)")
    print(
        f"  re-send     {COUNT / unchanged:7.0f} orders/s  ({unchanged / COUNT * 1000:.2f} ms each)"
    )


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        run(url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")


if __name__ == "__main__":
    main()
