"""The policy chooses which carrier services customers are offered (`return_shipping.services`,
`max_rate`); it can narrow the choice but never leave a customer without a way to return."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.orders.models import Order
from returns_portal.policy import PolicyInputError, load_policy
from returns_portal.shipping.services import all_rates, rates_for
from returns_portal.store.services import active_policy, save_policy
from tests.refunds.conftest import paid_order


def shipping(**rules) -> None:
    document = dict(active_policy().document)
    document["return_shipping"] = {**document["return_shipping"], **rules}
    save_policy(document, "test")


@pytest.fixture
def order(app, session) -> Order:
    paid_order()
    return db.session.scalars(select(Order)).one()


def test_every_service_is_offered_by_default(order):
    assert rates_for(order) == all_rates(order) and len(all_rates(order)) >= 2


def test_the_policy_lists_the_services_customers_may_choose(order):
    every = all_rates(order)
    chosen = sorted(every)[-1]
    shipping(services=[chosen])
    assert list(rates_for(order)) == [chosen]


def test_a_rate_above_the_policy_s_most_is_not_offered(order):
    every = all_rates(order)
    cheapest = min(rate.amount for rate in every.values())
    shipping(max_rate=cheapest)
    assert {rate.amount for rate in rates_for(order).values()} == {cheapest}


def test_a_policy_that_allows_nothing_still_leaves_the_cheapest(order):
    shipping(services=["nobody:nothing"])
    (only,) = rates_for(order).values()
    assert only.amount == min(rate.amount for rate in all_rates(order).values())


def test_in_the_canonical_document_and_checked():
    document = load_policy({"return_shipping": {"services": [" sp:std ", "sp:std", "ex:x"],
                                                "max_rate": 1500}}).document  # fmt: skip
    assert document["return_shipping"]["services"] == ["ex:x", "sp:std"]
    assert document["return_shipping"]["max_rate"] == 1500
    with pytest.raises(PolicyInputError, match=r"return_shipping\.max_rate"):
        load_policy({"return_shipping": {"max_rate": -1}})
