"""A customer returns an item on a phone, in Chromium, against the live portal."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ORDER_EMAIL, ORDER_NUMBER, PHONE

RMA = re.compile(r"R-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{2}")
MOST_TAPS_TO_THE_LABEL = 6


class Taps:
    """Touch the page as a thumb would, counting every tap (a button, a link, a choice)."""

    def __init__(self) -> None:
        self.count = 0

    def tap(self, target: Locator) -> None:
        self.count += 1
        target.tap()

    def choose(self, select: Locator, value: str) -> None:
        self.count += 1
        select.select_option(value)


def find_my_order(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Order number").fill(ORDER_NUMBER)
    page.get_by_label("Email address or postal code").fill(ORDER_EMAIL)
    page.get_by_role("button", name="Find my order").tap()
    expect(page).to_have_url(re.compile(r"/return/items$"))


def line_card(page: Page, name: str) -> Locator:
    return page.locator("fieldset.line").filter(has_text=name)


def return_one_t_shirt(page: Page, taps: Taps, screenshots: Path | None = None) -> str:
    """Walk from the items page to the tracking page; return the review's refund total."""
    tee = line_card(page, "T-shirt")
    taps.choose(tee.get_by_label("Quantity"), "1")
    taps.choose(tee.get_by_label("Reason"), "too_small")
    if screenshots is not None:
        page.screenshot(path=screenshots / "items.png", full_page=True)
    # Refund, label and the cheapest carrier need no choice: the options step is skipped.
    taps.tap(page.get_by_role("button", name="Continue"))
    expect(page).to_have_url(re.compile(r"/return/review$"))
    total = page.locator("table.breakdown tr.total td").inner_text()
    taps.tap(page.get_by_role("button", name="Confirm return"))
    expect(page).to_have_url(re.compile(r"/returns/R-"))
    return total


def has_no_horizontal_scroll(page: Page) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= PHONE["width"])


def test_a_customer_on_a_phone_returns_an_item_and_downloads_the_label(phone, tmp_path):
    find_my_order(phone)
    taps = Taps()

    total = return_one_t_shirt(phone, taps, screenshots=tmp_path)
    number = phone.url.split("?")[0].rsplit("/", 1)[-1]
    phone.screenshot(path=tmp_path / "tracking.png", full_page=True)
    with phone.expect_download() as download_info:
        taps.tap(phone.get_by_role("link", name="Download the label (PDF)"))
    download = download_info.value

    assert taps.count <= MOST_TAPS_TO_THE_LABEL, f"{taps.count} taps from the order to the label"
    assert download.suggested_filename.endswith("label.pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    assert RMA.fullmatch(number)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Return {number}")
    refund = phone.locator("section.card").filter(has_text="Your money")
    expect(refund.locator(".big")).to_have_text(total)
    expect(refund).to_contain_text("Due")
    assert has_no_horizontal_scroll(phone)


def test_a_refused_line_explains_why_in_plain_words(phone):
    find_my_order(phone)

    kettle = line_card(phone, "Kettle")
    expect(kettle).to_contain_text("Can't be returned")
    expect(kettle).to_contain_text("return window ended on")
    expect(kettle.get_by_label("Quantity")).to_have_count(0)
    assert has_no_horizontal_scroll(phone)


def test_the_return_can_be_cancelled_before_it_ships(phone):
    find_my_order(phone)
    return_one_t_shirt(phone, Taps())

    phone.get_by_role("link", name="Cancel this return").tap()
    phone.get_by_role("button", name="Yes, cancel it").tap()

    expect(phone.locator(".status")).to_have_text("Cancelled")
    expect(phone.get_by_role("link", name="Download the label (PDF)")).to_have_count(0)
