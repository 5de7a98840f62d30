"""One contract, two adapters: the in-process fake and Stripe (against localstripe)."""

from __future__ import annotations

import pytest

from returns_portal.orders.demo import pay_with_test_card
from returns_portal.refunds.gateway import (
    FakeGateway,
    GatewayError,
    PaymentGateway,
    StripeGateway,
    held,
    standing,
)


@pytest.fixture(params=["fake", "stripe"])
def gateway(request) -> PaymentGateway:
    if request.param == "fake":
        return FakeGateway()
    return StripeGateway("sk_test_contract", request.getfixturevalue("localstripe_url"))


def test_a_payment_is_captured_for_its_amount_and_currency(gateway):
    record = pay_with_test_card(gateway, 12900, "CNY", {"order_number": "1001"})
    assert record.status == "succeeded"
    assert record.amount == 12900
    assert record.currency == "CNY"
    assert record.metadata == {"order_number": "1001"}


def test_a_payment_can_be_looked_up_by_its_reference(gateway):
    record = pay_with_test_card(gateway, 5000, "CNY", {"order_number": "1002"})
    found = gateway.get_payment(record.reference)
    assert found is not None
    assert (found.reference, found.amount, found.currency) == (record.reference, 5000, "CNY")


def test_an_unknown_payment_is_none(gateway):
    assert gateway.get_payment("pi_does_not_exist") is None


def test_a_refund_carries_the_portal_s_key_and_can_be_found_by_it(gateway):
    payment = pay_with_test_card(gateway, 12900, "CNY", {"order_number": "1003"})
    refund = gateway.refund(payment.reference, 2900, "key-1003-a")
    assert (refund.payment, refund.amount, refund.currency, refund.key) == (
        payment.reference,
        2900,
        "CNY",
        "key-1003-a",
    )
    assert refund.status == "succeeded"
    assert gateway.find_refund(payment.reference, "key-1003-a") == refund
    assert gateway.find_refund(payment.reference, "key-1003-b") is None


def test_partial_refunds_are_all_listed(gateway):
    payment = pay_with_test_card(gateway, 10000, "CNY", {"order_number": "1004"})
    first = gateway.refund(payment.reference, 1000, "k1")
    second = gateway.refund(payment.reference, 2000, "k2")
    assert {r.reference for r in gateway.list_refunds(payment.reference)} == {
        first.reference,
        second.reference,
    }


def test_a_prepared_charge_takes_no_money_until_confirmed(gateway):
    payment = pay_with_test_card(gateway, 8900, "CNY", {"order_number": "1005"})
    prepared = gateway.prepare_charge(payment.reference, 1000, "charge-1005")
    assert prepared.reference != payment.reference
    assert prepared.status != "succeeded"
    assert (prepared.amount, prepared.currency) == (0, "CNY")  # nothing received yet
    assert prepared.metadata["charge_key"] == "charge-1005"
    confirmed = gateway.confirm_charge(prepared.reference)
    assert (confirmed.reference, confirmed.status, confirmed.amount) == (
        prepared.reference,
        "succeeded",
        1000,
    )
    found = gateway.get_payment(prepared.reference)
    assert found is not None and found.status == "succeeded"


def test_a_succeeded_charge_cannot_be_confirmed_again(gateway):
    payment = pay_with_test_card(gateway, 8900, "CNY", {"order_number": "1006"})
    prepared = gateway.prepare_charge(payment.reference, 500, "charge-1006")
    gateway.confirm_charge(prepared.reference)
    with pytest.raises(GatewayError):
        gateway.confirm_charge(prepared.reference)


def test_a_payment_s_refunds_hold_what_was_refunded_and_decide_by_the_paid_one(gateway):
    payment = pay_with_test_card(gateway, 10000, "CNY", {"order_number": "1007"})
    gateway.refund(payment.reference, 3000, "k-1007")
    listed = gateway.list_refunds(payment.reference)
    assert held(listed) == 3000
    found = standing([r for r in listed if r.key == "k-1007"])
    assert found is not None
    assert (found.status, found.failure_reason) == ("succeeded", None)
