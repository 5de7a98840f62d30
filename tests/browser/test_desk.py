"""Support at the returns desk, in Chromium: a flagged return is found by the customer's
e-mail, opened, its firing rule read, approved, and then received at the scan station;
another is rejected, and the customer's page and mail say why."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import new_page
from tests.builders import open_portal_return, recent_order_document

EMAIL = "often-returns@example.com"
SUPPORT = ("desk-support@example.com", "correct horse battery staple")
WAREHOUSE = ("desk-warehouse@example.com", "correct horse battery staple")
ORDERS = ("3001", "3002", "3003")


@pytest.fixture(scope="module")
def flagged(live_app: Flask) -> Iterator[dict[str, str]]:
    """Three returns of one customer under "one return in 90 days": the 2nd and 3rd are
    flagged. The policy is put back afterwards for the other browser tests."""
    from returns_portal.accounts.services import create_user
    from returns_portal.extensions import db
    from returns_portal.orders.services import upsert_order
    from returns_portal.refunds.snapshots import estimate_of
    from returns_portal.store.services import active_policy, save_policy

    with live_app.app_context():
        create_user(*SUPPORT, "support")
        create_user(*WAREHOUSE, "warehouse")
        before = dict(active_policy().document)
        save_policy({**before, "abuse": {**before["abuse"], "max_returns": 1, "within_days": 90}},
                    "test")  # fmt: skip
        numbers = {}
        for order in ORDERS:
            document = recent_order_document(order)
            document["email"] = EMAIL
            upsert_order(document)
            db.session.commit()
            rma = open_portal_return(order, items=(("L1", 1, "too_small", "refund"),))
            numbers[order] = rma.number
            if order != ORDERS[0]:
                assert rma.status == "needs_review"
        with live_app.test_request_context(headers={"Accept-Language": "en"}):
            from returns_portal.returns.models import Return
            from returns_portal.returns.reasons import explain

            rma = db.session.scalars(
                db.select(Return).where(Return.number == numbers["3002"])
            ).one()
            (fired,) = estimate_of(rma.estimate).abuse  # the returns-in-period rule
            numbers["rule"] = str(explain(fired.why))
        db.session.remove()
    yield numbers
    with live_app.app_context():
        save_policy(before, "test")
        db.session.remove()


@pytest.fixture
def desk(browser: Browser, live_server: str) -> Iterator[Page]:
    """A desk computer's browser, with no cookies."""
    yield from new_page(browser, live_server)


def sign_in(page: Page, email: str, password: str, next_page: str) -> None:
    page.goto(next_page)
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(next_page) + "$"))


def test_support_finds_reads_and_approves_a_flagged_return_which_the_warehouse_receives(
    desk, flagged, live_app
):
    page = desk
    sign_in(page, *SUPPORT, "/staff/returns")
    page.get_by_label("RMA, order or tracking number, e-mail or name").fill(EMAIL)
    page.get_by_label("Flagged only").check()
    page.get_by_role("button", name="Find").click()
    rows = page.locator("table.desk-list tbody tr")
    expect(rows).to_have_count(2)  # the first return was not flagged
    page.get_by_role("link", name=flagged["3002"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(flagged["3002"])
    expect(page.locator("body")).to_contain_text(flagged["rule"])  # which rule fired, and why
    page.get_by_role("link", name="Approve this return").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting shipment")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, *WAREHOUSE, "/warehouse/scan")
    page.keyboard.type(flagged["3002"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/warehouse/receipts/\d+$"))
    expect(page.locator("[data-feedback=ok]")).to_contain_text(flagged["3002"])


def test_support_rejects_a_flagged_return_and_the_customer_is_told_why(desk, flagged, live_app):
    from returns_portal.extensions import db
    from returns_portal.returns.models import Return
    from returns_portal.returns.services.links import signed_link_token
    from tests.mail import body, outbox

    why = "Three returns in a month, each worn."
    page = desk
    sign_in(page, *SUPPORT, f"/staff/returns/{flagged['3003']}")
    page.get_by_role("link", name="Reject this return").click()
    page.get_by_role("button", name="Reject").click()  # no reason yet: the form asks for one
    expect(page).to_have_url(re.compile(r"/reject$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reject this return")
    page.get_by_label("Reason").fill(why)
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rejected")

    mail = [m for m in outbox(live_app) if flagged["3003"] in m["Subject"]][-1]
    assert "was not accepted" in mail["Subject"] and why in body(mail)
    with live_app.test_request_context():
        rma = db.session.scalars(db.select(Return).where(Return.number == flagged["3003"])).one()
        token = signed_link_token(rma)
        db.session.remove()
    page.goto(f"/returns/{flagged['3003']}?t={token}")
    expect(page.locator("main")).to_contain_text("Not accepted")
    expect(page.locator("main")).to_contain_text(why)


def test_the_audit_page_shows_the_desk_s_actions_with_their_actor(desk, flagged, live_app):
    from returns_portal.accounts.services import create_user
    from returns_portal.extensions import db

    with live_app.app_context():
        create_user("desk-admin@example.com", SUPPORT[1], "admin")
        db.session.remove()
    page = desk
    sign_in(page, "desk-admin@example.com", SUPPORT[1], "/staff/audit")
    page.get_by_label("Who").fill(SUPPORT[0])
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table tbody tr")
    for action, number in (("return.awaiting_shipment", flagged["3002"]),
                           ("return.rejected", flagged["3003"])):  # fmt: skip
        row = rows.filter(has_text=action).filter(has_text=number)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(SUPPORT[0])
