"""The EasyPost-style HTTP carrier against the local stand-in: labels bought once, refunds,
trackers, and every way the carrier can fail, in words a person can read."""

from __future__ import annotations

import time

import pytest

from returns_portal.shipping.carriers import CarrierConfigError, CarrierError, carriers_from_config
from returns_portal.shipping.easypost import (
    CarrierRefused,
    EasyPostCarrier,
    service_code,
    sign_webhook,
    to_minor_units,
    verify_webhook,
)
from tests.shipping.builders import make_address, make_request
from tests.shipping.easypost_standin import carrier_config


def adapter(standin, waits=None, **overrides) -> EasyPostCarrier:
    config = {k: v for k, v in carrier_config(standin, **overrides).items() if k != "type"}
    return EasyPostCarrier(config, sleep=(waits.append if waits is not None else lambda _s: None))


def purchases_of(standin) -> list[str]:
    return [path for method, path in standin.requests if path.endswith("/buy")]


def test_rates_come_inline_with_a_return_shipment_in_the_asked_currency(easypost, standin):
    rates = easypost.rates(make_address(), make_address(), 1200, "CNY")
    assert [(r.service, r.service_name, r.amount, r.currency, r.days) for r in rates] == [
        ("usps-groundadvantage", "USPS GroundAdvantage", 593, "CNY", 5),
        ("usps-priority", "USPS Priority", 825, "CNY", 2),
        ("ups-nextdayair", "UPS NextDayAir", 2975, "CNY", 1),
    ]
    shipment = next(iter(standin.shipments.values()))
    assert shipment["is_return"] is True
    assert shipment["options"]["currency"] == "CNY"
    # Asked again for the same parcel: the quotes are kept, no second shipment.
    easypost.rates(make_address(), make_address(), 1200, "CNY")
    assert len(standin.shipments) == 1


def test_a_bought_label_has_its_files_its_tracker_and_the_bought_rates_cost(easypost, standin):
    label = easypost.create_label(make_request(service="usps-priority"))
    assert (label.service, label.amount, label.currency) == ("usps-priority", 825, "CNY")
    assert label.tracking_number in standin.trackers
    assert label.provider_id in standin.shipments
    assert easypost.download(label.label_url).startswith(b"%PDF")
    assert easypost.download(label.label_zpl_url).startswith(b"^XA")
    assert [u.code for u in easypost.track(label.tracking_number)] == ["label_created"]


def test_the_merchant_can_offer_only_some_services(standin):
    carrier = adapter(standin, services=["usps-priority"])
    try:
        assert [r.service for r in carrier.rates(make_address(), make_address(), 900, "CNY")] == [
            "usps-priority"
        ]
        with pytest.raises(CarrierRefused, match="has no service 'ups-nextdayair'"):
            carrier.create_label(make_request(service="ups-nextdayair"))
        assert standin.purchases == 0
    finally:
        carrier.close()


def test_a_wrong_api_key_is_refused_in_words(standin):
    carrier = adapter(standin, api_key="EZTK_wrong")
    try:
        with pytest.raises(CarrierRefused) as refused:
            carrier.rates(make_address(), make_address(), 900, "CNY")
        assert str(refused.value) == (
            "EasyPost Test refused the portal's API key (The API key provided is not valid.);"
            " check the carrier settings"
        )
    finally:
        carrier.close()


def test_bad_input_is_refused_with_the_carriers_message_and_the_field(easypost, standin):
    request = make_request(service="usps-priority", from_address=make_address(line1=""))
    with pytest.raises(CarrierRefused) as refused:
        easypost.create_label(request)
    # The customer's address goes as to_address: EasyPost swaps a return's addresses.
    assert str(refused.value) == (
        "EasyPost Test: Unable to create shipment, one or more parameters were invalid."
        " (to_address.street1: cannot be blank)"
    )
    assert standin.purchases == 0


def test_a_rate_limit_is_waited_out_as_retry_after_says(standin, waits):
    carrier = adapter(standin, waits)
    try:
        standin.rate_limit(2, retry_after="1")
        assert carrier.rates(make_address(), make_address(), 900, "CNY")
        assert waits == [1.0, 1.0]
    finally:
        carrier.close()


def test_a_rate_limit_is_retried_a_bounded_number_of_times(standin, waits):
    carrier = adapter(standin, waits, max_retries=2)
    try:
        standin.rate_limit(10, retry_after="1")
        with pytest.raises(CarrierError, match="is busy"):
            carrier.rates(make_address(), make_address(), 900, "CNY")
        assert waits == [1.0, 1.0]  # two waits, three requests, then it gives up
        assert len(standin.requests) == 3
    finally:
        carrier.close()


def test_a_retry_after_longer_than_the_limit_is_not_waited_for(standin, waits):
    carrier = adapter(standin, waits, max_retry_after=5)
    try:
        standin.rate_limit(1, retry_after="600")
        with pytest.raises(CarrierError, match="is busy"):
            carrier.rates(make_address(), make_address(), 900, "CNY")
        assert waits == []
    finally:
        carrier.close()


def test_a_carrier_that_does_not_answer_times_out(standin):
    carrier = adapter(standin, timeout=0.3, max_retries=1)
    standin.hang_requests()
    try:
        started = time.monotonic()
        with pytest.raises(CarrierError, match="could not be reached"):
            carrier.rates(make_address(), make_address(), 900, "CNY")
        assert time.monotonic() - started < 3
    finally:
        standin.release()
        carrier.close()


def test_a_purchase_whose_reply_was_lost_is_looked_up_not_bought_again(easypost, standin):
    standin.drop_after_buy = 1
    label = easypost.create_label(make_request(service="usps-priority"))
    assert standin.purchases == 1
    assert len(purchases_of(standin)) == 1  # looked up by reference, not sent again
    shipment = standin.shipment("R-7K3M-Q9-usps-priority-0")
    assert shipment is not None and label.tracking_number == shipment["tracking_code"]
    assert easypost.create_label(make_request(service="usps-priority")) == label
    assert standin.purchases == 1


def test_a_lost_reply_and_no_answer_to_the_look_up_buys_nothing_more(standin):
    carrier = adapter(standin, max_retries=1)
    try:
        standin.drop_after_buy = 1
        standin.lost_lookups = 2  # the look-up and its one retry
        with pytest.raises(CarrierError, match="could not be reached"):
            carrier.create_label(make_request(service="usps-priority"))
        assert standin.purchases == 1
        # Asked again later: the reference finds the label bought the first time.
        label = carrier.create_label(make_request(service="usps-priority"))
        assert standin.purchases == 1
        assert len(purchases_of(standin)) == 1
        assert (
            label.tracking_number == standin.shipment("R-7K3M-Q9-usps-priority-0")["tracking_code"]
        )
    finally:
        carrier.close()


def test_an_unused_label_is_refunded(easypost, standin):
    label = easypost.create_label(make_request(service="usps-priority"))
    easypost.void_label(label.tracking_number)
    assert [r["tracking_code"] for r in standin.refunds] == [label.tracking_number]
    assert standin.shipment(label.provider_id)["refund_status"] == "submitted"


def test_a_used_label_is_not_refunded(easypost, standin):
    label = easypost.create_label(make_request(service="usps-priority"))
    standin.advance(label.tracking_number, "in_transit", "Accepted at USPS Origin Facility")
    with pytest.raises(CarrierRefused, match="has been used and cannot be refunded"):
        easypost.void_label(label.tracking_number)
    assert standin.refunds == []


def test_tracking_details_come_in_the_portals_words_oldest_first(easypost, standin):
    label = easypost.create_label(make_request(service="usps-priority"))
    standin.advance(label.tracking_number, "in_transit", "Accepted")
    standin.advance(label.tracking_number, "unknown", "Something")
    standin.advance(label.tracking_number, "delivered", "Delivered, In/At Mailbox")
    updates = easypost.track(label.tracking_number)
    assert [u.code for u in updates] == ["label_created", "in_transit", "delivered"]
    assert updates[-1].location == "Shanghai, CN"


def test_the_config_names_what_is_wrong(standin):
    with pytest.raises(CarrierConfigError, match=r"carriers\[0\]: carrier .ep.: missing api_key"):
        carriers_from_config(
            [{"type": "easypost", "code": "ep", "name": "EP"}], kinds={"easypost": EasyPostCarrier}
        )
    with pytest.raises(CarrierConfigError, match="unknown key colour"):
        EasyPostCarrier({"code": "ep", "name": "EP", "api_key": "k", "colour": "red"})
    with pytest.raises(CarrierConfigError, match="base_url must be an http"):
        EasyPostCarrier({"code": "ep", "name": "EP", "api_key": "k", "base_url": "ftp://x"})
    built = carriers_from_config(
        [carrier_config(standin), {"code": "swift", "name": "Swift", "prefix": "SP",
                                   "country": "CN", "services": [{"code": "standard",
                                   "name": "Standard", "price": 800, "days": 3}]}],
        kinds={"easypost": EasyPostCarrier},
    )  # fmt: skip
    assert isinstance(built["ep"], EasyPostCarrier)
    built["ep"].close()


def test_webhook_signatures_are_easyposts_hmac_sha256_hex():
    body = b'{"id": "evt_1"}'
    signature = sign_webhook(body, "s3cret")
    assert signature.startswith("hmac-sha256-hex=") and len(signature) == 16 + 64
    assert verify_webhook(body, signature, "s3cret")
    assert not verify_webhook(body + b" ", signature, "s3cret")
    assert not verify_webhook(body, signature, "other")
    assert not verify_webhook(body, None, "s3cret")
    assert not verify_webhook(body, signature, "")


def test_amounts_and_service_codes():
    assert to_minor_units("8.25", "USD") == 825
    assert to_minor_units("1200", "JPY") == 1200
    assert service_code("USPS", "GroundAdvantage") == "usps-groundadvantage"
    assert service_code("DHL Express", "Express Worldwide") == "dhl-express-express-worldwide"
    with pytest.raises(CarrierError):
        to_minor_units("NaN", "USD")
