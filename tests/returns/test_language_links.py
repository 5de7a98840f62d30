"""The header's language links lead to a page that answers GET, even from a form's answer."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

LANGUAGES = {"en": "en", "zh_Hans": "zh-Hans", "es": "es", "ro": "ro"}


def language_links(response) -> dict[str, str]:
    """The switcher's links, resolved against the address that gave the page."""
    nav = re.search(r'<nav class="lang".*?</nav>', response.text, re.S)
    assert nav, response.text[:300]
    links = re.findall(r'<a href="([^"]*)" lang="([^"]+)"', nav.group(0))
    base = response.request.url
    return {tag: urljoin(base, html.unescape(href)) for href, tag in links}


def assert_every_link_shows_the_page_in_its_language(client, response) -> None:
    links = language_links(response)
    assert set(links) == set(LANGUAGES.values())
    for tag, url in links.items():
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        assert f'<html lang="{tag}">' in page.text, url


def test_switching_language_on_the_failed_lookup_page_answers(customer):
    failed = customer.find("1001", "not.me@example.com")
    assert failed.status_code == 200 and "find an order" in failed.text
    assert_every_link_shows_the_page_in_its_language(customer.client, failed)


def test_switching_language_on_the_too_many_tries_page_answers(customer):
    for attempt in range(5):  # LOOKUP_ORDER_FAILURE_LIMIT: five guesses an hour
        customer.find("1001", f"guess{attempt}@example.com")
    blocked = customer.find("1001", "another.guess@example.com")
    assert blocked.status_code == 429
    assert_every_link_shows_the_page_in_its_language(customer.client, blocked)


def test_switching_language_after_the_address_limit_answers(app, customer, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "2 per minute")
    codes = [customer.find("1001", f"guess{n}@example.com").status_code for n in range(3)]
    assert codes[-1] == 429
    limited = customer.find("1001", "li.wei@example.com")
    assert limited.status_code == 429 and "Too many tries" in limited.text
    assert_every_link_shows_the_page_in_its_language(customer.client, limited)


def test_a_page_that_answers_get_keeps_its_address_and_query(customer):
    customer.find()
    page = customer.client.get("/return/items?x=1")
    links = language_links(page)
    assert links["es"].endswith("/return/items?x=1&lang=es")
    assert_every_link_shows_the_page_in_its_language(customer.client, page)
