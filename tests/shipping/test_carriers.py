"""The local carrier's prices, drop-off QR codes and configuration checks."""

from __future__ import annotations

import pytest

from returns_portal.shipping.carriers import (
    DEFAULT_CARRIERS,
    CarrierConfigError,
    CarrierError,
    LocalCarrier,
    carriers_from_config,
    qr_payload,
    read_qr_payload,
)
from tests.shipping.builders import make_address, make_carrier_config, make_request


def test_the_default_config_has_two_carriers_with_different_services_and_prices():
    carriers = carriers_from_config(DEFAULT_CARRIERS)
    assert set(carriers) == {"swift", "blue"}
    quotes = [
        (rate.carrier, rate.service, rate.amount)
        for carrier in carriers.values()
        for rate in carrier.rates(make_address(), make_address(), 1200, "CNY")
    ]
    assert quotes == [
        ("swift", "standard", 800),
        ("swift", "express", 1500),
        ("blue", "economy", 600),
        ("blue", "standard", 1000),
    ]


def test_rates_are_in_the_asked_currency_cheapest_first():
    carrier = carriers_from_config(DEFAULT_CARRIERS)["blue"]
    rates = carrier.rates(make_address(), make_address(), 500, "EUR")
    assert [(r.service_name, r.amount, r.currency, r.days) for r in rates] == [
        ("Economy", 600, "EUR", 5),
        ("Standard", 1000, "EUR", 3),
    ]
    assert {r.carrier_name for r in rates} == {"Blue Parcel"}


def test_a_label_costs_its_service_price():
    label = LocalCarrier(DEFAULT_CARRIERS[0]).create_label(make_request(service="express"))
    assert (label.carrier, label.service_name, label.amount, label.currency) == (
        "swift",
        "Express",
        1500,
        "CNY",
    )


def test_a_drop_off_label_carries_a_qr_payload_naming_the_tracking_and_rma_numbers():
    label = LocalCarrier(DEFAULT_CARRIERS[0]).create_label(make_request(qr_dropoff=True))
    assert label.qr_payload == f"RP1:{label.tracking_number}:R-7K3M-Q9"
    assert read_qr_payload(label.qr_payload) == (label.tracking_number, "R-7K3M-Q9")


def test_a_printed_label_has_no_qr_payload():
    assert LocalCarrier(DEFAULT_CARRIERS[0]).create_label(make_request()).qr_payload is None


@pytest.mark.parametrize(
    "payload",
    ["", "SP123", "RP2:RR473124829GB:R-1", "RP1:RR473124828GB:R-1", "RP1:RR473124829GB:"],
)
def test_a_scan_that_is_not_a_drop_off_code_reads_as_none(payload):
    assert read_qr_payload(payload) is None


def test_reading_a_payload_gives_back_what_was_written():
    assert read_qr_payload(qr_payload("RR473124829GB", "R-AB12-CD")) == (
        "RR473124829GB",
        "R-AB12-CD",
    )


def test_an_unknown_service_is_a_carrier_error_that_names_the_offered_ones():
    with pytest.raises(CarrierError, match="standard, express"):
        LocalCarrier(DEFAULT_CARRIERS[0]).create_label(make_request(service="overnight"))


@pytest.mark.parametrize(
    "overrides",
    [{"weight_grams": 0}, {"currency": "cny"}, {"reference": ""}, {"reference": "R:1"}],
)
def test_a_bad_label_request_is_a_carrier_error(overrides):
    with pytest.raises(CarrierError):
        LocalCarrier(DEFAULT_CARRIERS[0]).create_label(make_request(**overrides))


def test_voiding_or_tracking_another_carriers_number_is_refused():
    swift, blue = carriers_from_config(DEFAULT_CARRIERS).values()
    number = blue.create_label(make_request(service="economy")).tracking_number
    with pytest.raises(CarrierError):
        swift.void_label(number)
    with pytest.raises(CarrierError):
        swift.track(number)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": ""}, "code must be"),
        ({"code": "Swift Post"}, "code must be lower-case"),
        ({"prefix": "S"}, "prefix must be two capital letters"),
        ({"country": "china"}, "country must be two capital letters"),
        ({"services": []}, "services must be a non-empty list"),
        (
            {"services": [{"code": "std", "name": "Std", "price": 8.5, "days": 3}]},
            r"services\[0\]: price must be a whole number",
        ),
        (
            {"services": [{"code": "std", "name": "Std", "price": -1, "days": 3}]},
            "price must be a whole number >= 0",
        ),
        ({"services": [{"code": "std", "name": "Std", "price": 800}]}, "missing days"),
        ({"services": [{"code": "std", "name": "Std", "price": 800, "days": 0}]}, "days must be"),
        ({"colour": "blue"}, "unknown key colour"),
        ({"type": "pigeon"}, "type 'pigeon' is not one of local"),
    ],
)
def test_a_bad_carrier_entry_is_refused_with_a_message_naming_the_mistake(overrides, message):
    with pytest.raises(CarrierConfigError, match=message):
        carriers_from_config([make_carrier_config(**overrides)])


def test_a_missing_key_is_named():
    config = make_carrier_config()
    del config["prefix"]
    with pytest.raises(CarrierConfigError, match=r"carriers\[0\].*missing prefix"):
        carriers_from_config([config])


def test_a_service_listed_twice_is_refused():
    service = {"code": "std", "name": "Std", "price": 800, "days": 3}
    with pytest.raises(CarrierConfigError, match="'std' is listed twice"):
        carriers_from_config([make_carrier_config(services=[service, service])])


def test_two_carriers_may_not_share_a_code():
    with pytest.raises(CarrierConfigError, match="'swift' is used twice"):
        carriers_from_config([make_carrier_config(), make_carrier_config(prefix="SQ")])


def test_two_carriers_may_not_share_a_prefix_in_the_same_country():
    with pytest.raises(CarrierConfigError, match="prefix 'SP' in CN is already used by 'swift'"):
        carriers_from_config([make_carrier_config(), make_carrier_config(code="other")])


@pytest.mark.parametrize("entries", [[], {"code": "swift"}, "swift", [["swift"]]])
def test_the_carrier_list_itself_must_be_a_non_empty_list_of_mappings(entries):
    with pytest.raises(CarrierConfigError):
        carriers_from_config(entries)


def test_http_carriers_are_built_beside_the_local_ones():
    from returns_portal.shipping.easypost import EasyPostCarrier

    built = carriers_from_config(
        [make_carrier_config(), {"type": "easypost", "code": "ep", "name": "EasyPost",
                                 "api_key": "EZTK_x", "trust_env": False}],
        kinds={"easypost": EasyPostCarrier},
    )  # fmt: skip
    assert isinstance(built["swift"], LocalCarrier) and isinstance(built["ep"], EasyPostCarrier)
    assert built["ep"].base_url == "https://api.easypost.com/v2"
    built["ep"].close()
    with pytest.raises(CarrierConfigError, match="type 'easypost' is not one of local"):
        carriers_from_config([{"type": "easypost", "code": "ep"}])  # without the adapter
