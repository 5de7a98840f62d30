"""A live portal on its own database, and a real Chromium to drive it.

The functional tests run each test in a transaction that is rolled back; a browser cannot
share that transaction, since it talks to a server thread over HTTP. So the browser tests get
a separate app on a separate database (a SQLite file, or `<TEST_DATABASE_URL's db>_browser` on
PostgreSQL), built by the migrations and seeded with committed rows.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from config import TestingConfig
from returns_portal import create_app
from returns_portal.extensions import db, limiter
from tests.builders import recent_order_document

CHROMIUM = "/usr/bin/chromium"
# Root in a container with no network: no sandbox, no GPU, and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: ViewportSize = {"width": 390, "height": 844}  # an iPhone 12 to 15, in CSS pixels

ORDER_NUMBER = "2001"
ORDER_EMAIL = "browser@example.com"


def customer_order(now: Any) -> dict[str, Any]:
    """Order 2001: T-shirts (2) and a custom mug delivered 2 days ago; a kettle 20 days ago."""
    document = recent_order_document(ORDER_NUMBER)
    document["email"] = ORDER_EMAIL
    return document


def seed(now: Any) -> None:
    """Store the customer's order and the T-shirt stock, committed for the server to see.

    Every browser test shares this order: its two T-shirts allow two returns of one.
    """
    from returns_portal.orders.models import StockLevel
    from returns_portal.orders.services import upsert_order

    upsert_order(customer_order(now))
    db.session.add_all([
        StockLevel(sku="APP-TEE-BLK-M", product_group="APP-TEE", name="T-shirt", variant="Black / M", on_hand=5),
        StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt", variant="Black / L", on_hand=1),
        StockLevel(sku="APP-TEE-WHT-L", product_group="APP-TEE", name="T-shirt", variant="White / L", on_hand=0),
    ])  # fmt: skip
    db.session.commit()


@pytest.fixture(scope="session")
def browser_database_url() -> Iterator[str]:
    """An empty database for the live server, of the kind this run tests on."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'browser.sqlite3'}"
        return
    target = make_url(url).set(database=f"{make_url(url).database}_browser")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
        yield target.render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def live_app(browser_database_url: str) -> Iterator[Flask]:
    """The portal as a customer meets it: CSRF on, migrated, one order committed."""
    from flask_migrate import upgrade

    from returns_portal.types import utcnow

    with tempfile.TemporaryDirectory(prefix="returns-portal-browser-") as files:

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = browser_database_url
            WTF_CSRF_ENABLED = True
            LOOKUP_MIN_SECONDS = 0
            UPLOAD_FOLDER = os.path.join(files, "uploads")
            OUTBOX_FOLDER = os.path.join(files, "outbox")

        app = create_app(Config)
        with app.app_context():
            upgrade()
            seed(utcnow())
            db.session.remove()
        yield app
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve the live app on 127.0.0.1 (a free port) from a daemon thread; yield its URL."""
    # Port 0: the kernel picks a free port when the socket is bound, so no other process
    # can take it between choosing and binding.
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            "Chromium is required for the browser tests: run `make system-deps` "
            "(apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Browser, live_server: str, **options: Any) -> Iterator[Page]:
    """A new visitor with no cookies, in English; `options` go to the browser context."""
    limiter.reset()  # a new visitor: earlier lookups and sign-ins from 127.0.0.1 don't count
    context = browser.new_context(base_url=live_server, locale="en-US", **options)
    page = context.new_page()
    try:
        yield page
    finally:
        page.close()
        context.close()


def phone_page(
    browser: Browser, live_server: str, viewport: ViewportSize = PHONE, **options: Any
) -> Iterator[Page]:
    """A new visitor on a touch phone of `viewport`'s size, with no cookies."""
    yield from new_page(
        browser, live_server, viewport=viewport, is_mobile=True, has_touch=True, **options
    )


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    """A new visitor on a phone (390×844, touch) with no cookies; downloads allowed."""
    yield from phone_page(browser, live_server, accept_downloads=True)
