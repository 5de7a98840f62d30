"""Issue 11 §2: a standard one-item return, from the landing page to its label on screen, in
at most six interactions on a 360 px phone; and the steps that make it so, with and without
JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from returns_portal.extensions import db
from tests.browser.conftest import ORDER_EMAIL, ORDER_NUMBER, phone_page
from tests.builders import one_item_order_document

NARROW_PHONE: ViewportSize = {"width": 360, "height": 740}  # the narrowest phone served
MOST_INTERACTIONS = 6
# One order per test that returns its one item: every browser test shares the live database.
LABEL_ORDER, NO_SCRIPT_ORDER, DROP_OFF_ORDER = "2101", "2102", "2103"
EMAIL = "one.item@example.com"


class Interactions:
    """The customer's hands: every fill, choice and tap goes through here and is counted."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0
        self.log: list[str] = []

    def fill(self, field: Locator, value: str) -> None:
        self._count(f"type {value!r}")
        field.fill(value)

    def choose(self, select: Locator, value: str) -> None:
        self._count(f"choose {value!r}")
        select.select_option(value)

    def tap(self, target: Locator) -> None:
        self._count(f"tap {target.inner_text().strip()!r}")
        target.tap()

    def _count(self, what: str) -> None:
        self.count += 1
        self.log.append(what)


@pytest.fixture(scope="module")
def one_item_orders(live_app: Flask) -> None:
    """Orders of one T-shirt (one unit), committed for the live server to see."""
    from returns_portal.orders.services import upsert_order

    with live_app.app_context():
        for number in (LABEL_ORDER, NO_SCRIPT_ORDER, DROP_OFF_ORDER):
            upsert_order(one_item_order_document(number, email=EMAIL))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def narrow_phone(browser: Browser, live_server: str, one_item_orders: None) -> Iterator[Page]:
    yield from phone_page(browser, live_server, NARROW_PHONE)


@pytest.fixture
def narrow_phone_without_javascript(
    browser: Browser, live_server: str, one_item_orders: None
) -> Iterator[Page]:
    yield from phone_page(browser, live_server, NARROW_PHONE, java_script_enabled=False)


def has_no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"])


def shown_picture(image: Locator) -> dict[str, Any]:
    """The picture's loaded size and where it sits: 0 × 0 if it failed to load."""
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")
    return image.evaluate(
        "img => ({natural: img.naturalWidth, width: img.getBoundingClientRect().width,"
        " right: img.getBoundingClientRect().right})"
    )


def return_the_one_item(page: Page, hands: Interactions, order_number: str) -> None:
    """From the landing page to the confirmation, the way a customer does it."""
    page.goto("/")
    hands.fill(page.get_by_label("Order number"), order_number)
    hands.fill(page.get_by_label("Email address or postal code"), EMAIL)
    hands.tap(page.get_by_role("button", name="Find my order"))
    expect(page).to_have_url(re.compile(r"/return/items$"))
    tee = page.locator("fieldset.line").filter(has_text="T-shirt")
    expect(tee.get_by_label("Quantity")).to_have_value("1")  # its only unit, preselected
    hands.choose(tee.get_by_label("Reason"), "too_small")
    hands.tap(page.get_by_role("button", name="Continue"))
    expect(page).to_have_url(re.compile(r"/return/review$"))  # the defaults stood
    expect(page.get_by_role("link", name=re.compile("^Change"))).to_be_visible()
    hands.tap(page.get_by_role("button", name="Confirm return"))
    expect(page).to_have_url(re.compile(r"/returns/R-[^/?]+\?confirmed=1$"))


def test_a_one_item_return_reaches_its_label_on_screen_in_six_interactions(
    narrow_phone, tmp_path: Path
):
    hands = Interactions(narrow_phone)

    return_the_one_item(narrow_phone, hands, LABEL_ORDER)

    label = narrow_phone.locator(".label-sheet img.label-picture")
    picture = shown_picture(label)
    narrow_phone.screenshot(path=tmp_path / "label.png", full_page=True)
    assert hands.count <= MOST_INTERACTIONS, hands.log
    assert hands.count == 6, hands.log  # as measured: 3 to find the order, 3 to return it
    assert picture["natural"] > 0 and picture["width"] >= 250
    assert picture["right"] <= NARROW_PHONE["width"]
    expect(narrow_phone.get_by_role("button", name="Print the label")).to_be_visible()
    expect(narrow_phone.get_by_role("link", name="Save the label (PDF)")).to_be_visible()
    assert has_no_horizontal_scroll(narrow_phone)


def test_without_javascript_the_return_takes_as_few_steps_and_the_label_saves(
    narrow_phone_without_javascript,
):
    page = narrow_phone_without_javascript
    hands = Interactions(page)

    return_the_one_item(page, hands, NO_SCRIPT_ORDER)

    assert hands.count <= MOST_INTERACTIONS, hands.log
    assert shown_picture(page.locator(".label-sheet img.label-picture"))["natural"] > 0
    expect(page.get_by_role("button", name="Print the label")).to_be_hidden()
    expect(page.get_by_role("link", name="Save the label (PDF)")).to_be_visible()
    assert has_no_horizontal_scroll(page)


def test_a_drop_off_return_leads_with_the_qr_code(narrow_phone):
    page = narrow_phone
    page.goto("/")
    page.get_by_label("Order number").fill(DROP_OFF_ORDER)
    page.get_by_label("Email address or postal code").fill(EMAIL)
    page.get_by_role("button", name="Find my order").tap()
    page.locator("fieldset.line").get_by_label("Reason").select_option("changed_mind")
    page.get_by_role("button", name="Continue").tap()
    page.get_by_role("link", name=re.compile("^Change")).tap()
    page.get_by_label(re.compile("^QR code at a drop-off point")).check()
    page.get_by_role("button", name="Continue").tap()
    expect(page.locator("main")).to_contain_text("No printer needed.")
    page.get_by_role("button", name="Confirm return").tap()

    sheet = page.locator(".label-sheet")
    expect(sheet.get_by_role("heading")).to_have_text("Your drop-off code")
    first = sheet.locator("img").first
    assert "/qr.svg" in (first.get_attribute("src") or "")
    assert shown_picture(first)["natural"] > 0
    expect(sheet.get_by_role("button")).to_have_count(0)  # nothing to print
    expect(sheet.get_by_role("link", name="Save the code")).to_be_visible()
    assert has_no_horizontal_scroll(page)


def photo_field(page: Page) -> Locator:
    return page.locator("#line-L1 .photos")


def open_the_shared_order(page: Page) -> None:
    """Order 2001, whose T-shirt line the policy asks photos of for a fault."""
    page.goto("/")
    page.get_by_label("Order number").fill(ORDER_NUMBER)
    page.get_by_label("Email address or postal code").fill(ORDER_EMAIL)
    page.get_by_role("button", name="Find my order").tap()


def test_the_photo_field_shows_only_while_the_reason_needs_photos(narrow_phone):
    open_the_shared_order(narrow_phone)
    reason = narrow_phone.locator("#reason-L1")

    expect(photo_field(narrow_phone)).to_be_hidden()
    reason.select_option("defective")
    expect(photo_field(narrow_phone)).to_be_visible()
    expect(photo_field(narrow_phone)).to_contain_text("only needed for")
    reason.select_option("too_small")
    expect(photo_field(narrow_phone)).to_be_hidden()
    assert has_no_horizontal_scroll(narrow_phone)


def test_without_javascript_the_photo_field_says_which_reasons_need_it(
    narrow_phone_without_javascript,
):
    page = narrow_phone_without_javascript
    open_the_shared_order(page)

    expect(photo_field(page)).to_be_visible()
    expect(photo_field(page)).to_contain_text("Photos: only needed for Not as described")
    assert has_no_horizontal_scroll(page)
