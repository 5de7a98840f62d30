"""Failed lookups are limited per order number too, so guesses spread over many addresses
run out; a blocked number reads the same whether the order exists or not."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import limits.storage.memory
import pytest

from returns_portal.extensions import db
from returns_portal.orders.services import upsert_order
from tests.accounts.test_limits_without_redis import app_without_redis as app_without_redis
from tests.builders import recent_order_document
from tests.returns.conftest import csrf
from tests.test_migrations import empty_database as empty_database  # for app_without_redis

LIMIT = 5  # the default: five failed lookups per order number an hour
NOT_FOUND = "We couldn&#39;t find an order with those details."  # as the page escapes it
BLOCKED = "Too many tries for this order number."


class Addresses:
    """A new client address for every request: the per-address limit never applies."""

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"10.{self.count // 250}.{self.count % 250}.1"


class Customers:
    """Customers looking orders up, each from an address of their own."""

    def __init__(self, client) -> None:
        self.client = client
        self.addresses = Addresses()

    def find(self, number: str = "1001", contact: str = "li.wei@example.com"):
        environ = {"REMOTE_ADDR": self.addresses.next()}
        page = self.client.get("/", environ_base=environ)
        return self.client.post(
            "/lookup",
            data={"order_number": number, "contact": contact, "csrf_token": csrf(page.text)},
            environ_base=environ,
        )

    def guess(self, number: str = "1001", times: int = LIMIT) -> list[int]:
        return [self.find(number, f"guess{i}@example.com").status_code for i in range(times)]


class Clock:
    """The rate-limit storage's clock (limits' memory storage reads time.time())."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def customers(customer) -> Customers:
    return Customers(customer.client)


@pytest.fixture
def clock(monkeypatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    yield clock


def test_failed_lookups_from_many_addresses_block_the_order_number(customers):
    assert customers.guess(times=LIMIT) == [200] * LIMIT
    blocked = customers.find("1001", "another.guess@example.com")
    assert blocked.status_code == 429
    assert BLOCKED in blocked.text and NOT_FOUND not in blocked.text
    assert 'action="/lookup"' in blocked.text  # the lookup page, to try again from
    assert int(blocked.headers["Retry-After"]) > 60


def test_a_blocked_order_number_refuses_the_right_contact_until_the_window_passes(customers, clock):
    customers.guess(times=LIMIT)
    assert customers.find().status_code == 429
    assert customers.find(contact="200000").status_code == 429  # the postal code as well
    clock.advance(30 * 60)
    assert customers.find().status_code == 429
    clock.advance(31 * 60)
    found = customers.find()
    assert found.status_code == 302 and found.headers["Location"].endswith("/return/items")


def test_blocking_one_order_number_leaves_the_others_alone(customers, session):
    upsert_order(recent_order_document("1002"))
    db.session.commit()
    customers.guess("1001", times=LIMIT + 2)
    assert customers.find("1002").status_code == 302
    other = customers.find("1003", "li.wei@example.com")
    assert other.status_code == 200 and NOT_FOUND in other.text


def test_a_blocked_number_reads_the_same_whether_the_order_exists_or_not(customers):
    customers.guess("1001", times=LIMIT)
    customers.guess("9999", times=LIMIT)
    real = customers.find("1001", "li.wei@example.com")
    unknown = customers.find("9999", "li.wei@example.com")
    assert real.status_code == unknown.status_code == 429
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 - differs only by echoed input and token
    assert strip(real.text) == strip(unknown.text)


def test_successful_lookups_do_not_count_as_failures(customers):
    for _ in range(LIMIT + 2):
        assert customers.find().status_code == 302
    assert customers.guess(times=LIMIT - 1) == [200] * (LIMIT - 1)
    assert customers.find().status_code == 302


def test_the_order_number_counts_as_the_lookup_reads_it(customers):
    for number in (" 1001", "1001 ", "\t1001", " 1001 ", "1001"):
        assert customers.find(number, "guess@example.com").status_code == 200
    assert customers.find("1001").status_code == 429


def test_an_incomplete_form_is_not_a_guess(customers):
    for _ in range(LIMIT + 1):
        assert customers.find("1001", "").status_code == 200
    assert customers.find().status_code == 302


def test_the_order_number_limit_holds_while_redis_is_down(app_without_redis):
    client = app_without_redis.test_client()  # CSRF is off in this app
    addresses = Addresses()

    def guess(contact: str) -> int:
        form = {"order_number": "1001", "contact": contact}
        return client.post(
            "/lookup", data=form, environ_base={"REMOTE_ADDR": addresses.next()}
        ).status_code

    assert [guess(f"guess{i}@example.com") for i in range(LIMIT)] == [200] * LIMIT
    assert guess("li.wei@example.com") == 429
