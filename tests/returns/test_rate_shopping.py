"""The customer's options show every configured carrier's rate, the cheapest and the
fastest marked in words; the review shows the chosen rate and its price."""

from __future__ import annotations

import html
import re

import pytest

from returns_portal.shipping.easypost import EasyPostCarrier
from tests.shipping.easypost_standin import carrier_config, running


def choices(page: str) -> list[str]:
    labels = re.findall(r'<label for="carrier-\d+">(.*?)</label>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", label)).split()) for label in labels]


@pytest.fixture
def http_carrier(app, monkeypatch):
    """The EasyPost stand-in's carrier, configured beside the two local ones."""
    with running() as standin:
        config = {k: v for k, v in carrier_config(standin).items() if k != "type"}
        carrier = EasyPostCarrier(config)
        monkeypatch.setitem(app.extensions["carriers"], "ep", carrier)
        yield carrier
        carrier.close()


def test_the_cheapest_and_the_fastest_rate_are_marked_in_words(customer):
    customer.find()
    customer.choose()
    assert choices(customer.client.get("/return/options").text) == [
        "Blue Parcel · Economy CN¥6.00 5 days Cheapest",
        "Swift Post · Standard CN¥8.00 3 days",
        "Blue Parcel · Standard CN¥10.00 3 days",
        "Swift Post · Express CN¥15.00 1 day Fastest",
    ]


def test_the_http_carriers_rates_are_shopped_beside_the_local_ones(customer, http_carrier):
    customer.find()
    customer.choose()
    rates = choices(customer.client.get("/return/options").text)
    assert rates[0] == "EasyPost Test · USPS GroundAdvantage CN¥5.93 5 days Cheapest"
    # As fast as the dearer overnight service: the cheaper of the two is the fastest.
    assert "Swift Post · Express CN¥15.00 1 day Fastest" in rates
    assert "EasyPost Test · UPS NextDayAir CN¥29.75 1 day" in rates
    customer.options({"carrier": "ep:usps-priority"})
    review = html.unescape(customer.client.get("/return/review").text)
    assert "EasyPost Test · USPS Priority · CN¥8.25" in review


def test_an_http_carrier_that_fails_leaves_the_other_carriers_rates(app, customer, monkeypatch):
    with running() as standin:
        config = {
            k: v for k, v in carrier_config(standin, api_key="EZTK_wrong").items() if k != "type"
        }
        carrier = EasyPostCarrier(config)
        monkeypatch.setitem(app.extensions["carriers"], "ep", carrier)
        customer.find()
        customer.choose()
        rates = choices(customer.client.get("/return/options").text)
        carrier.close()
    assert [rate.split(" · ")[0] for rate in rates] == [
        "Blue Parcel",
        "Swift Post",
        "Blue Parcel",
        "Swift Post",
    ]
