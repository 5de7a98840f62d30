"""S10 tracking numbers: the check digit, and numbers derived from the request."""

from __future__ import annotations

import pytest

from returns_portal.shipping.carriers import (
    DEFAULT_CARRIERS,
    LocalCarrier,
    s10_check_digit,
    validate_tracking_number,
)
from tests.shipping.builders import make_request


@pytest.fixture
def swift() -> LocalCarrier:
    return LocalCarrier(DEFAULT_CARRIERS[0])


def test_the_upu_example_number_is_valid():
    assert validate_tracking_number("RR473124829GB")


def test_a_wrong_check_digit_is_refused():
    assert not validate_tracking_number("RR473124828GB")


@pytest.mark.parametrize(
    "value",
    ["", "RR47312482GB", "RR4731248290GB", "rr473124829gb", "R1473124829GB", " RR473124829GB"],
)
def test_anything_not_shaped_like_s10_is_refused(value):
    assert not validate_tracking_number(value)


def test_a_check_of_ten_becomes_zero_and_eleven_becomes_five():
    # Weights 8 6 4 2 3 5 9 7: 6 * 2 = 12 gives 11 - 1 = 10; a sum of 0 gives 11 - 0 = 11.
    assert s10_check_digit("00060000") == 0
    assert s10_check_digit("00000000") == 5


def test_a_label_number_has_the_carrier_prefix_and_country_and_a_valid_check_digit(swift):
    number = swift.create_label(make_request()).tracking_number
    assert number.startswith("SP") and number.endswith("CN")
    assert validate_tracking_number(number)


def test_the_same_request_gets_the_same_number_so_a_retried_create_is_idempotent(swift):
    assert swift.create_label(make_request()) == swift.create_label(make_request())


def test_a_fresh_carrier_object_issues_the_same_number_as_another_process_would(swift):
    again = LocalCarrier(DEFAULT_CARRIERS[0])
    request = make_request()
    assert (
        again.create_label(request).tracking_number == swift.create_label(request).tracking_number
    )


def test_different_references_get_different_numbers(swift):
    numbers = {
        swift.create_label(make_request(reference=f"R-{i:04d}")).tracking_number for i in range(500)
    }
    assert len(numbers) == 500


def test_a_different_service_gets_a_different_number(swift):
    standard = swift.create_label(make_request(service="standard")).tracking_number
    express = swift.create_label(make_request(service="express")).tracking_number
    assert standard != express


def test_a_new_attempt_gets_another_valid_number_that_is_repeatable_too(swift):
    first = swift.create_label(make_request()).tracking_number
    second = swift.create_label(make_request(attempt=1)).tracking_number
    assert second != first
    assert validate_tracking_number(second)
    assert swift.create_label(make_request(attempt=1)).tracking_number == second
