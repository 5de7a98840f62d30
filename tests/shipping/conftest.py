"""The EasyPost stand-in server, one per test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from returns_portal.shipping.easypost import EasyPostCarrier
from tests.shipping.easypost_standin import StandIn, carrier_config, running


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with running() as server:
        yield server


@pytest.fixture
def waits() -> list[float]:
    """The seconds the adapter waited (Retry-After), instead of sleeping through them."""
    return []


@pytest.fixture
def easypost(standin: StandIn, waits: list[float]) -> Iterator[EasyPostCarrier]:
    config = {k: v for k, v in carrier_config(standin).items() if k != "type"}
    carrier = EasyPostCarrier(config, sleep=waits.append)
    yield carrier
    carrier.close()
