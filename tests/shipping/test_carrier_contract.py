"""One contract every Carrier keeps: run against each built-in local carrier and against the
EasyPost-style HTTP adapter talking to the local stand-in server."""

from __future__ import annotations

from datetime import UTC

import pytest

from returns_portal.shipping.carriers import (
    DEFAULT_CARRIERS,
    Carrier,
    CarrierError,
    Label,
    LocalCarrier,
    carriers_from_config,
    validate_tracking_number,
)
from returns_portal.shipping.statuses import TrackingCode
from tests.shipping.builders import make_address, make_request


@pytest.fixture(params=[*(entry["code"] for entry in DEFAULT_CARRIERS), "easypost"])
def carrier(request) -> Carrier:
    if request.param == "easypost":
        return request.getfixturevalue("easypost")
    return carriers_from_config(DEFAULT_CARRIERS)[request.param]


def first_label(carrier: Carrier, **overrides) -> Label:
    rate = carrier.rates(make_address(), make_address(), 1200, "CNY")[0]
    return carrier.create_label(make_request(service=rate.service, **overrides))


def test_a_carrier_quotes_at_least_one_service_in_the_asked_currency(carrier):
    rates = carrier.rates(make_address(), make_address(), 1200, "CNY")
    assert rates
    for rate in rates:
        assert (rate.carrier, rate.carrier_name, rate.currency) == (
            carrier.code,
            carrier.name,
            "CNY",
        )
        assert isinstance(rate.amount, int) and rate.amount >= 0
        assert rate.days >= 1
    assert [r.amount for r in rates] == sorted(r.amount for r in rates)


def test_a_label_matches_the_quote_for_its_service(carrier):
    quotes = {r.service: r for r in carrier.rates(make_address(), make_address(), 1200, "CNY")}
    for service, quote in quotes.items():
        label = carrier.create_label(make_request(service=service))
        assert (label.carrier, label.service, label.service_name) == (
            carrier.code,
            service,
            quote.service_name,
        )
        assert (label.amount, label.currency) == (quote.amount, quote.currency)
        assert label.tracking_number
        if isinstance(carrier, LocalCarrier):  # S10 numbers; an HTTP carrier's are its own
            assert validate_tracking_number(label.tracking_number)


def test_creating_the_same_label_twice_gives_the_same_label(carrier):
    assert first_label(carrier) == first_label(carrier)


def test_a_drop_off_label_has_a_qr_payload_containing_its_tracking_number(carrier):
    label = first_label(carrier, qr_dropoff=True)
    assert label.qr_payload is not None
    assert label.tracking_number in label.qr_payload


def test_an_issued_label_can_be_voided(carrier):
    carrier.void_label(first_label(carrier).tracking_number)


def test_voiding_a_number_that_is_not_a_tracking_number_is_a_carrier_error(carrier):
    with pytest.raises(CarrierError):
        carrier.void_label("not-a-number")


def test_tracking_an_issued_label_gives_aware_utc_updates_oldest_first(carrier):
    updates = carrier.track(first_label(carrier).tracking_number)
    times = [u.occurred_at for u in updates]
    assert times == sorted(times)
    assert all(t.tzinfo is not None and t.utcoffset() == UTC.utcoffset(t) for t in times)
    assert {u.code for u in updates} <= {code.value for code in TrackingCode}


def test_tracking_a_number_that_is_not_a_tracking_number_is_a_carrier_error(carrier):
    with pytest.raises(CarrierError):
        carrier.track("RR473124828GB")
