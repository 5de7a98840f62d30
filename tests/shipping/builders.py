"""Small builders for carrier tests."""

from __future__ import annotations

from typing import Any

from returns_portal.shipping.carriers import Address, LabelRequest


def make_address(**overrides: Any) -> Address:
    fields: dict[str, Any] = {
        "name": "Li Wei",
        "line1": "88 Century Avenue",
        "city": "Shanghai",
        "postal_code": "200120",
        "country": "CN",
    }
    fields.update(overrides)
    return Address(**fields)


def make_request(**overrides: Any) -> LabelRequest:
    fields: dict[str, Any] = {
        "reference": "R-7K3M-Q9",
        "service": "standard",
        "from_address": make_address(),
        "to_address": make_address(name="Returns desk", line1="1 Warehouse Road"),
        "weight_grams": 1200,
        "currency": "CNY",
    }
    fields.update(overrides)
    return LabelRequest(**fields)


def make_carrier_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "code": "swift",
        "name": "Swift Post",
        "prefix": "SP",
        "country": "CN",
        "services": [{"code": "standard", "name": "Standard", "price": 1200, "days": 3}],
    }
    config.update(overrides)
    return config
