"""Everything a thumb taps in the header is at least 44×44 CSS pixels on a 360 px phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tests.browser.conftest import phone_page

NARROW_PHONE: ViewportSize = {
    "width": 360,
    "height": 740,
}  # the narrowest phone the portal is built for
MIN_TARGET = 44  # CSS px: WCAG 2.5.5 (AAA) and Apple's and Google's guidelines


@pytest.fixture
def narrow_phone(browser: Browser, live_server: str) -> Iterator[Page]:
    yield from phone_page(browser, live_server, NARROW_PHONE)


def small_targets(page: Page) -> list[str]:
    """Return the header's links and buttons smaller than MIN_TARGET, with their sizes."""
    small = []
    targets = page.locator(".site-header a, .site-header button")
    assert targets.count() >= 5  # the store's name and four languages
    for index in range(targets.count()):
        target = targets.nth(index)
        box = target.bounding_box()
        assert box is not None, target.inner_text()
        if box["width"] < MIN_TARGET or box["height"] < MIN_TARGET:
            small.append(f"{target.inner_text()!r}: {box['width']:.1f}×{box['height']:.1f}")
    return small


@pytest.mark.parametrize("language", ["en", "zh_Hans", "es", "ro"])
def test_header_tap_targets_are_at_least_44_px_at_360_px_wide(narrow_phone, language):
    narrow_phone.goto(f"/?lang={language}")
    assert small_targets(narrow_phone) == []


def test_header_tap_targets_stay_large_on_a_form_s_answer(narrow_phone):
    narrow_phone.goto("/")
    narrow_phone.locator("#order_number").fill("0000")
    narrow_phone.locator("#contact").fill("nobody@example.com")
    with narrow_phone.expect_navigation():
        narrow_phone.locator("button[type=submit]").tap()
    assert "/lookup" in narrow_phone.url
    assert small_targets(narrow_phone) == []
