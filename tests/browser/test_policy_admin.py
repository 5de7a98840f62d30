"""An admin edits the return policy in Chromium: refused below the law in the CLI's words,
then a valid change saved and rolled back, each step confirmed on the page and in the audit log.

Fields are found by their labels (as a screen reader finds them) and the buttons are pressed
with the keyboard; nothing on these pages needs JavaScript.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import new_page

ADMIN_EMAIL = "policy-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def policy_admin(live_app: Flask) -> Iterator[int]:
    """An admin of the live portal and a saved policy to roll back to; yield its version.

    The policy the other browser tests see is put back afterwards.
    """
    from returns_portal.accounts.services import create_user
    from returns_portal.extensions import db
    from returns_portal.store.services import active_policy, save_policy

    with live_app.app_context():
        create_user(ADMIN_EMAIL, ADMIN_PASSWORD, "admin")  # commits
        before = active_policy().document
        version = save_policy(before, actor="test").version
        db.session.remove()
    yield version
    with live_app.app_context():
        if active_policy().document != before:
            save_policy(before, actor="test")
        db.session.remove()


@pytest.fixture
def desk(browser: Browser, live_server: str) -> Iterator[Page]:
    """A desktop browser with no cookies."""
    yield from new_page(browser, live_server, viewport={"width": 1280, "height": 900})


def press(page: Page, name: str, role: str = "button") -> None:
    """Focus a button or link by its name and press Enter, waiting for the next page."""
    control = page.get_by_role(role, name=name)  # type: ignore[arg-type]  # a str, not the Literal
    control.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def cli_refusal(live_app: Flask, tmp_path: Path, document: dict) -> list[str]:
    """What `flask policy load` prints for `document`, line by line."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = live_app.test_cli_runner().invoke(args=["policy", "load", str(path)])
    assert result.exit_code == 1, result.output
    return [line.strip() for line in result.output.splitlines() if line.strip()]


def test_an_admin_is_refused_a_window_below_the_law_then_saves_and_rolls_back(
    desk, live_app, policy_admin, tmp_path
):
    from returns_portal.audit.models import AuditEvent
    from returns_portal.extensions import db
    from returns_portal.store.services import active_policy

    page, earlier = desk, policy_admin
    with live_app.app_context():
        start = active_policy().document
        db.session.remove()
    categories = start["windows"]["categories"]
    assert "apparel" not in categories
    row = len(categories) + 1  # the first blank row

    page.goto("/staff/policy")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.get_by_label("Email address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    press(page, "Sign in")
    expect(page).to_have_url(re.compile(r"/staff/policy$"))
    expect(page.locator(f'[data-active="{earlier}"]')).to_be_visible()

    press(page, "Edit the policy", role="link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the return policy")
    page.get_by_label(f"Category {row}", exact=True).fill("apparel")
    days = page.get_by_label(f"Days for category {row}", exact=True)
    days.fill("5")
    press(page, "Save as a new version")

    # Refused, in the words of `flask policy load` for the same document.
    refused = dict(start)
    refused["windows"] = {**start["windows"], "categories": {**categories, "apparel": 5}}
    shown = [
        page.locator("[data-refusal-title]").inner_text().strip(),
        *(text.strip() for text in page.locator("[data-refusal]").all_inner_texts()),
    ]
    assert shown == cli_refusal(live_app, tmp_path, refused)
    assert "windows.categories.apparel cuts cn-7day" in shown[1]
    # The message is tied to the field, which keeps what was typed.
    expect(days).to_have_value("5")
    expect(days).to_have_attribute("aria-invalid", "true")
    error_id = days.get_attribute("aria-describedby")
    assert error_id
    expect(page.locator(f"#{error_id}")).to_contain_text("a 5-day window is shorter")
    with live_app.app_context():
        assert active_policy().version == earlier  # nothing was saved
        db.session.remove()

    days.fill("45")
    press(page, "Save as a new version")
    saved = earlier + 1
    expect(page).to_have_url(re.compile(rf"/staff/policy/versions/{saved}$"))
    expect(page.get_by_role("status")).to_have_text(
        f"Policy version {saved} (pack cn-7day) is now active."
    )
    expect(page.locator('[data-change="windows.categories.apparel"]')).to_have_text(
        "windows.categories.apparel: (not set) → 45"
    )

    press(page, "← Return policy", role="link")
    press(page, f"Roll back to version {earlier}", role="link")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Roll back to version {earlier}?")
    expect(page.locator('[data-change="windows.categories.apparel"]')).to_have_text(
        "windows.categories.apparel: 45 → (not set)"
    )
    with live_app.app_context():
        assert active_policy().version == saved  # the confirmation page changes nothing
        db.session.remove()
    press(page, f"Yes, roll back to version {earlier}")
    expect(page).to_have_url(re.compile(r"/staff/policy$"))
    expect(page.get_by_role("status")).to_have_text(
        f"Policy version {earlier} (pack cn-7day) is now active."
    )
    expect(page.locator(f'[data-active="{earlier}"]')).to_be_visible()

    with live_app.app_context():
        assert active_policy().version == earlier
        assert active_policy().document == start
        actions = [
            (event.action, event.actor)
            for event in db.session.query(AuditEvent)
            .filter(AuditEvent.action.like("policy.%"))
            .order_by(AuditEvent.id)
        ][-2:]
        db.session.remove()
    assert [action for action, _ in actions] == ["policy.saved", "policy.rolled_back"]
    assert all(actor.endswith(ADMIN_EMAIL) for _, actor in actions)

    # The audit page shows both, with the admin who did them.
    for action in ("policy.saved", "policy.rolled_back"):
        page.goto(f"/staff/audit?action={action}")
        row = page.locator("table tbody tr").filter(has_text=action).first
        expect(row).to_contain_text(ADMIN_EMAIL)
