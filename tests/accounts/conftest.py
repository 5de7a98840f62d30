"""Staff users, and a browser-like helper that signs in through the real form with CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from returns_portal.accounts.models import Role, User
from returns_portal.accounts.services import create_user
from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db, limiter

PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(session):
    """Build a staff user through the service, as `flask users create` does."""

    def make(
        email: str = "warehouse@example.com",
        role: Role | str = Role.WAREHOUSE,
        password: str = PASSWORD,
        name: str = "",
    ) -> User:
        return create_user(email, password, role, name=name)

    return make


def events(action: str) -> list[AuditEvent]:
    """Return the audit events with `action`, oldest first."""
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    return match.group(1) if match else ""


class Staff:
    """Drives the staff pages like a browser: fetches each form for its CSRF token."""

    def __init__(self, client):
        self.client = client

    def sign_in(self, email: str, password: str = PASSWORD, next: str | None = None):
        url = "/staff/login" + (f"?{urlencode({'next': next})}" if next is not None else "")
        page = self.client.get(url)
        return self.client.post(
            url, data={"email": email, "password": password, "csrf_token": csrf(page.text)}
        )

    def sign_out(self):
        page = self.client.get("/staff/")
        return self.client.post("/staff/logout", data={"csrf_token": csrf(page.text)})


@pytest.fixture
def staff(app, client) -> Iterator[Staff]:
    limiter.reset()  # each test is a new visitor: earlier tests' sign-ins don't count
    app.config["WTF_CSRF_ENABLED"] = True
    yield Staff(client)
    app.config["WTF_CSRF_ENABLED"] = False
