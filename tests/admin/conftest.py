"""An admin signed in through the real form, with CSRF on; the accounts tests' helpers."""

from __future__ import annotations

import pytest

from returns_portal.accounts.models import Role
from tests.accounts.conftest import PASSWORD, Staff, csrf, events, make_user, staff

__all__ = ["PASSWORD", "Staff", "csrf", "events", "make_user", "staff"]


class Admin(Staff):
    """A signed-in admin who submits the admin's forms as a browser does."""

    def submit(self, page_url: str, action: str, data: dict[str, str] | None = None):
        """Open `page_url`, then post `data` to `action` with that page's CSRF token."""
        page = self.client.get(page_url)
        assert page.status_code == 200, page.status_code
        return self.client.post(action, data={**(data or {}), "csrf_token": csrf(page.text)})


@pytest.fixture
def admin(staff, make_user):
    user = make_user("admin@example.com", Role.ADMIN, name="Ada Admin")
    signed_in = Admin(staff.client)
    answer = signed_in.sign_in("admin@example.com")
    assert answer.status_code == 302
    signed_in.user = user
    return signed_in
