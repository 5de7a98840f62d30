"""A warehouse worker receives a return at the scan station, with the keyboard only.

A keyboard-wedge barcode scanner is a keyboard: it types the code into the focused field and
presses Enter. So after `page.goto` these tests touch the page only through `page.keyboard`
(no clicks, no `fill`), as a worker with a scanner and a keyboard would, and count the keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Download, Page, Route, ViewportSize, expect

from tests.browser.conftest import new_page
from tests.builders import open_portal_return, recent_order_document

HANDHELD: ViewportSize = {"width": 480, "height": 800}  # a warehouse handheld, in CSS pixels
ORDER_NUMBER = "2002"  # the scan station's own order: order 2001's T-shirts are the customers'
SKU = "APP-TEE-BLK-M"
UNITS = 2
WORKER_EMAIL = "scan-station@example.com"
WORKER_PASSWORD = "correct horse battery staple"
# The most Tab presses each step may take to reach its control: a station that needs more is
# one a worker cannot drive from the keyboard in a hurry.
MOST_TABS = 4


class Keys:
    """Drive the page with the keyboard only, counting the keys pressed for each step.

    Typing a code is one scan (the scanner types it), counted as one key like its Enter.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.steps: dict[str, int] = {}
        self.step = ""

    def begin(self, step: str) -> None:
        self.step = step
        self.steps[step] = 0

    def press(self, key: str) -> None:
        self.steps[self.step] += 1
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.steps[self.step] += 1
        self.page.keyboard.type(text)

    def focused(self) -> dict[str, str]:
        return self.page.evaluate(
            """() => {
                const el = document.activeElement;
                return {id: el.id, text: (el.innerText || el.value || "").trim()};
            }"""
        )

    def tab_to(self, target: str, key: str = "Tab") -> None:
        """Press Tab (or Shift+Tab) until the focused element has id `target` or says it."""
        for _ in range(MOST_TABS):
            self.press(key)
            if target in self.focused().values():
                return
        pytest.fail(f"{target!r} is not reached in {MOST_TABS} × {key}: {self.focused()}")

    def submit(self, key: str = "Enter") -> None:
        """Press a key that loads a new page, and wait until it has loaded."""
        with self.page.expect_navigation():
            self.press(key)

    def scan(self, code: str) -> None:
        """What a wedge scanner does: type the code into the focused field, then Enter."""
        self.type(code)
        self.submit()


@pytest.fixture(scope="module")
def warehouse_worker(live_app: Flask) -> str:
    """A warehouse user of the live portal; their email."""
    from returns_portal.accounts.services import create_user
    from returns_portal.extensions import db

    with live_app.app_context():
        create_user(WORKER_EMAIL, WORKER_PASSWORD, "warehouse")  # commits
        db.session.remove()
    return WORKER_EMAIL


@pytest.fixture(scope="module")
def rma_number(live_app: Flask, warehouse_worker: str) -> str:
    """A return of two T-shirts on its way to the warehouse, on an order of its own."""
    from returns_portal.extensions import db
    from returns_portal.orders.services import upsert_order

    with live_app.app_context():
        upsert_order(recent_order_document(ORDER_NUMBER))
        db.session.commit()
        rma = open_portal_return(ORDER_NUMBER, items=(("L1", UNITS, "too_small", "refund"),))
        number = rma.number
        db.session.remove()
    return str(number)


@pytest.fixture
def handheld(browser: Browser, live_server: str) -> Iterator[Page]:
    """A warehouse handheld (480×800) with no cookies; downloads allowed."""
    yield from new_page(browser, live_server, viewport=HANDHELD, accept_downloads=True)


def has_no_horizontal_scroll(page: Page) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= HANDHELD["width"])


def focus_is_in_the_scan_field(page: Page) -> bool:
    return bool(page.evaluate("document.activeElement.id") == "code")


def sign_in_to_the_scan_station(page: Page, keys: Keys) -> None:
    """Open the scan station signed out, sign in from the keyboard, land on the scan page."""
    page.goto("/warehouse/scan")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    keys.begin("sign in")
    # The email field has the focus when the page opens (autofocus applies on the next frame).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'email'")
    keys.type(WORKER_EMAIL)
    keys.press("Tab")
    assert keys.focused()["id"] == "password"
    keys.type(WORKER_PASSWORD)
    keys.submit()
    expect(page).to_have_url(re.compile(r"/warehouse/scan$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Scan a parcel")
    assert focus_is_in_the_scan_field(page)
    assert has_no_horizontal_scroll(page)


def save_the_bin_label(page: Page, keys: Keys, tmp_path: Path) -> tuple[str, bytes]:
    """Press Enter on the focused "Bin label (PDF)" link; say how the PDF came, and its bytes.

    Chromium may download the PDF or open it in the tab, where its viewer, not the PDF, is
    what the page holds; so the bytes are taken from the response on its way to the browser.
    """
    bodies: list[bytes] = []

    def keep_the_body(route: Route) -> None:
        response = route.fetch()
        bodies.append(response.body())
        route.fulfill(response=response)

    downloads: list[Download] = []
    page.on("download", lambda download: downloads.append(download))
    page.route(re.compile(r"/bin\.pdf$"), keep_the_body)
    with page.expect_response(re.compile(r"/bin\.pdf$")) as response_info:
        keys.press("Enter")
    response = response_info.value
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    for _ in range(100):  # a download, or the tab showing the PDF: whichever comes
        if downloads or page.url == response.url:
            break
        page.wait_for_timeout(100)
    if downloads:
        target = tmp_path / "bin.pdf"
        downloads[0].save_as(target)
        assert target.read_bytes() == bodies[0]
        return "downloaded", bodies[0]
    assert page.url == response.url
    return "opened in the tab", bodies[0]


def test_a_warehouse_user_receives_a_return_from_scan_to_bin_label_with_the_keyboard_only(
    handheld, rma_number, tmp_path
):
    page, rma = handheld, rma_number
    keys = Keys(page)
    sign_in_to_the_scan_station(page, keys)

    keys.begin("scan the parcel")
    keys.scan(rma)
    expect(page).to_have_url(re.compile(r"/warehouse/receipts/\d+$"))
    inspection_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Return {rma}")
    expect(page.locator("[data-feedback=ok]")).to_have_text(f"Return {rma}: parcel 1.")
    tee = page.locator("table.receipt tbody tr").filter(has_text="T-shirt")
    expect(tee.locator(".count")).to_contain_text(f"0 / {UNITS}")
    assert focus_is_in_the_scan_field(page)
    assert has_no_horizontal_scroll(page)

    for unit in range(1, UNITS + 1):
        keys.begin(f"count T-shirt {unit}")
        keys.scan(SKU)
        assert page.url == inspection_url
        expect(tee.locator(".count")).to_contain_text(f"{unit} / {UNITS}")
        if unit < UNITS:
            expect(tee.locator(".count")).to_contain_text(f"{UNITS - unit} short")
        else:
            expect(tee.locator(".flag")).to_have_count(0)
        assert focus_is_in_the_scan_field(page)
    assert has_no_horizontal_scroll(page)

    keys.begin("open the inspection")
    keys.tab_to("Inspect")  # from the scan field: past its Enter button
    keys.submit()
    expect(page).to_have_url(re.compile(r"/warehouse/receipts/\d+/items/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("T-shirt")
    first_yes = page.locator("fieldset.check input[type=radio]").first
    expect(first_yes).to_be_focused()  # autofocus: Chromium applies it at the next frame
    expect(first_yes).to_be_checked()
    assert has_no_horizontal_scroll(page)

    keys.begin("save the inspection as it is")
    keys.submit()  # Enter on the first "Yes": every check yes, grade A, disposition as suggested
    assert page.url == inspection_url
    expect(page.locator("[data-feedback=ok]")).to_contain_text("T-shirt: grade A")
    expect(tee).to_contain_text("Grade A")
    assert focus_is_in_the_scan_field(page)

    keys.begin("complete the receipt")
    keys.tab_to("Complete receipt")  # past the scan field's Enter button and "Change"
    keys.submit()
    assert page.url == inspection_url
    expect(page.locator(".notice")).to_contain_text("Refund proposed")
    expect(page.locator("[data-feedback=ok]")).to_contain_text("Receipt complete.")
    # Nothing more to scan into this inspection: the focused field takes the next parcel.
    expect(page.locator("form.scan-form")).to_have_attribute("action", "/warehouse/scan")
    assert focus_is_in_the_scan_field(page)
    assert has_no_horizontal_scroll(page)

    keys.begin("print the bin label")
    keys.tab_to("Bin label (PDF)", key="Shift+Tab")  # back past "ZPL"
    how, pdf = save_the_bin_label(page, keys, tmp_path)

    assert pdf.startswith(b"%PDF")
    print(f"\nKeys per step: {keys.steps}; the bin label was {how}")


def test_an_unknown_code_is_flagged_and_offered_the_unidentified_queue(handheld, warehouse_worker):
    page = handheld
    keys = Keys(page)
    sign_in_to_the_scan_station(page, keys)

    keys.begin("scan an unknown parcel")
    keys.scan("MYSTERY-42")

    expect(page).to_have_url(re.compile(r"/warehouse/unidentified\?code=MYSTERY-42$"))
    expect(page.locator("[data-feedback=bad]")).to_have_text("No return matches MYSTERY-42.")
    expect(page.get_by_role("heading", name="Register a parcel")).to_be_visible()
    expect(page.get_by_label("Code on the parcel")).to_have_value("MYSTERY-42")
    expect(page.get_by_label("Sender's name")).to_be_focused()  # the next thing to type
    assert keys.steps["scan an unknown parcel"] == 2  # the scan and its Enter
    assert has_no_horizontal_scroll(page)
    print(f"\nKeys per step: {keys.steps}")
