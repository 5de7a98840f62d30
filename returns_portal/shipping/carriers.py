"""Carriers behind a small Protocol: rates, labels, voids and tracking; the built-in local carrier.

Tracking numbers follow the UPU S10 standard (two service letters, an eight-digit serial, a
check digit and the issuing country, e.g. RR473124829GB). The local carrier keeps no state:
it derives each serial from the request, so any process on any machine issues the same number
for the same request and no shared counter is needed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

QR_PAYLOAD_VERSION = "RP1"

_S10 = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_LETTERS2 = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class CarrierError(Exception):
    """The carrier refused a request or could not be reached."""


class CarrierConfigError(ValueError):
    """The carrier configuration is wrong; the message names the entry and the key."""


@dataclass(frozen=True)
class Address:
    """A postal address as printed on a label."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    line2: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Rate:
    """What one service of one carrier costs for a parcel, and how long it takes."""

    carrier: str
    carrier_name: str
    service: str
    service_name: str
    amount: int  # minor units
    currency: str
    days: int


@dataclass(frozen=True)
class LabelRequest:
    """Everything a carrier needs to issue a return label.

    `attempt` is 0 for the first label of a return. Serials are derived from the request, so
    two different returns can (rarely) be given the same number; when the database refuses the
    duplicate, ask again with attempt + 1 to get another number that is just as repeatable.
    """

    reference: str  # the RMA number
    service: str
    from_address: Address
    to_address: Address
    weight_grams: int
    currency: str
    qr_dropoff: bool = False
    attempt: int = 0


@dataclass(frozen=True)
class Label:
    """A label the carrier issued."""

    carrier: str
    carrier_name: str
    service: str
    service_name: str
    tracking_number: str
    amount: int  # minor units
    currency: str
    qr_payload: str | None  # for label-less drop-off; None when not asked for
    # HTTP carriers: the label files they made and their own id for the shipment.
    label_url: str | None = None
    label_zpl_url: str | None = None
    provider_id: str | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    """One status the carrier reports for a parcel.

    `code` is one of label_created, accepted, in_transit, out_for_delivery, delivered, voided.
    """

    code: str
    description: str
    occurred_at: datetime  # aware, UTC
    location: str = ""


class Carrier(Protocol):
    """What the portal needs from a carrier; an HTTP adapter fits without changing callers."""

    code: str
    name: str

    def rates(
        self, from_address: Address, to_address: Address, weight_grams: int, currency: str
    ) -> list[Rate]:
        """Quote every service that can carry the parcel, cheapest first."""
        ...

    def create_label(self, request: LabelRequest) -> Label:
        """Issue a label; the same request gives the same label."""
        ...

    def void_label(self, tracking_number: str) -> None:
        """Cancel an unused label, or raise CarrierError."""
        ...

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        """Return the parcel's statuses, oldest first."""
        ...


def s10_check_digit(serial: str) -> int:
    """Return the UPU S10 check digit of an eight-digit serial."""
    if len(serial) != 8 or not serial.isascii() or not serial.isdigit():
        raise ValueError(f"an S10 serial has eight digits, not {serial!r}")
    remainder = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    # UPU S10 §5.3: 10 becomes 0 and 11 becomes 5.
    return {10: 0, 11: 5}.get(check, check)


def validate_tracking_number(value: str) -> bool:
    """Tell whether `value` is an S10 tracking number (upper case) with a correct check digit."""
    if not _S10.fullmatch(value):
        return False
    return s10_check_digit(value[2:10]) == int(value[10])


def qr_payload(tracking_number: str, reference: str) -> str:
    """Return what the drop-off QR code holds: RP1:<tracking number>:<RMA number>."""
    return f"{QR_PAYLOAD_VERSION}:{tracking_number}:{reference}"


def read_qr_payload(payload: str) -> tuple[str, str] | None:
    """Return (tracking number, RMA number) from a drop-off QR code, or None if it is not one."""
    version, _, rest = payload.strip().partition(":")
    tracking_number, _, reference = rest.partition(":")
    if version != QR_PAYLOAD_VERSION or not reference:
        return None
    if not validate_tracking_number(tracking_number):
        return None
    return tracking_number, reference


@dataclass(frozen=True)
class _Service:
    code: str
    name: str
    price: int
    days: int


class LocalCarrier:
    """The built-in carrier: fixed prices per service, S10 numbers derived from the request.

    It keeps no state, so it cannot tell a voided or unused label from one in transit:
    `void_label` accepts any number of its own, and `track` has nothing to say (the local
    carrier's parcels are tracked by the warehouse's scans).
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        where = f"carrier {config.get('code', '?')!r}" if isinstance(config, Mapping) else "carrier"
        _check_keys(config, where, required={"code", "name", "prefix", "country", "services"})
        self.code: str = _text(config, "code", where, _CODE, "lower-case letters, digits, - or _")
        self.name: str = _text(config, "name", where)
        self.prefix: str = _text(config, "prefix", where, _LETTERS2, "two capital letters")
        self.country: str = _text(config, "country", where, _LETTERS2, "two capital letters")
        services = config["services"]
        if not isinstance(services, Sequence) or isinstance(services, str) or not services:
            raise CarrierConfigError(f"{where}: services must be a non-empty list")
        self._services: dict[str, _Service] = {}
        for index, entry in enumerate(services):
            service = _service(entry, f"{where} services[{index}]")
            if service.code in self._services:
                raise CarrierConfigError(f"{where}: service {service.code!r} is listed twice")
            self._services[service.code] = service

    def __repr__(self) -> str:
        return f"LocalCarrier(code={self.code!r}, services={list(self._services)!r})"

    def rates(
        self, from_address: Address, to_address: Address, weight_grams: int, currency: str
    ) -> list[Rate]:
        _check_parcel(weight_grams, currency)
        quotes = [
            Rate(self.code, self.name, s.code, s.name, s.price, currency, s.days)
            for s in self._services.values()
        ]
        return sorted(quotes, key=lambda rate: (rate.amount, rate.days, rate.service))

    def create_label(self, request: LabelRequest) -> Label:
        service = self._services.get(request.service)
        if service is None:
            known = ", ".join(self._services)
            raise CarrierError(
                f"{self.name} has no service {request.service!r} (it offers {known})"
            )
        if not request.reference.strip() or ":" in request.reference:
            raise CarrierError(f"label reference {request.reference!r} must be a plain RMA number")
        if request.attempt < 0:
            raise CarrierError("attempt counts up from 0")
        _check_parcel(request.weight_grams, request.currency)
        tracking_number = self.tracking_number(request.reference, service.code, request.attempt)
        return Label(
            carrier=self.code,
            carrier_name=self.name,
            service=service.code,
            service_name=service.name,
            tracking_number=tracking_number,
            amount=service.price,
            currency=request.currency,
            qr_payload=qr_payload(tracking_number, request.reference)
            if request.qr_dropoff
            else None,
        )

    def void_label(self, tracking_number: str) -> None:
        if not self.issued(tracking_number):
            raise CarrierError(f"{tracking_number!r} is not a {self.name} tracking number")

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        if not self.issued(tracking_number):
            raise CarrierError(f"{tracking_number!r} is not a {self.name} tracking number")
        return []

    def tracking_number(self, reference: str, service: str, attempt: int = 0) -> str:
        """Return the S10 number for a request: the same inputs always give the same number."""
        # Hashing the unique RMA number spreads serials evenly over 10^8 values without a shared
        # counter. Distinct returns can still meet (about a 1 in 20,000 chance per new label once
        # 5,000 labels exist); `attempt` lets the caller step past a number already taken.
        key = "\x1f".join((self.code, reference, service, str(attempt))).encode()
        serial = f"{int.from_bytes(hashlib.sha256(key).digest()[:8], 'big') % 10**8:08d}"
        return f"{self.prefix}{serial}{s10_check_digit(serial)}{self.country}"

    def issued(self, tracking_number: str) -> bool:
        """Tell whether `tracking_number` is a valid number of this carrier's form."""
        return (
            validate_tracking_number(tracking_number)
            and tracking_number.startswith(self.prefix)
            and tracking_number.endswith(self.country)
        )


# Two carriers with different services and prices, so rate choice can be seen working
# without configuration. Prices are minor units in the store's currency.
DEFAULT_CARRIERS: tuple[Mapping[str, Any], ...] = (
    {
        "code": "swift",
        "name": "Swift Post",
        "prefix": "SP",
        "country": "CN",
        "services": [
            {"code": "standard", "name": "Standard", "price": 800, "days": 3},
            {"code": "express", "name": "Express", "price": 1500, "days": 1},
        ],
    },
    {
        "code": "blue",
        "name": "Blue Parcel",
        "prefix": "BP",
        "country": "CN",
        "services": [
            {"code": "economy", "name": "Economy", "price": 600, "days": 5},
            {"code": "standard", "name": "Standard", "price": 1000, "days": 3},
        ],
    },
)


def carriers_from_config(
    entries: Sequence[Mapping[str, Any]],
    kinds: Mapping[str, Callable[[Mapping[str, Any]], Carrier]] | None = None,
) -> dict[str, Carrier]:
    """Build the configured carriers by code, or raise CarrierConfigError naming the mistake.

    An entry's `type` picks its class from `kinds` (the local carrier, plus whatever the
    caller adds: shipping.services gives the HTTP adapter); the default is "local".
    """
    builders: dict[str, Callable[[Mapping[str, Any]], Carrier]] = {"local": LocalCarrier}
    builders.update(kinds or {})
    if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Sequence):
        raise CarrierConfigError("carriers must be a list of carrier entries")
    if not entries:
        raise CarrierConfigError("carriers: configure at least one carrier")
    carriers: dict[str, Carrier] = {}
    prefixes: dict[tuple[str, str], str] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise CarrierConfigError(f"carriers[{index}] must be a mapping, not {entry!r}")
        kind = entry.get("type", "local")
        if kind not in builders:
            raise CarrierConfigError(
                f"carriers[{index}]: type {kind!r} is not one of {', '.join(builders)}"
            )
        try:
            carrier = builders[kind]({k: v for k, v in entry.items() if k != "type"})
        except CarrierConfigError as exc:
            raise CarrierConfigError(f"carriers[{index}]: {exc}") from None
        if carrier.code in carriers:
            raise CarrierConfigError(f"carriers[{index}]: code {carrier.code!r} is used twice")
        if not isinstance(carrier, LocalCarrier):
            carriers[carrier.code] = carrier
            continue
        # Two carriers issuing the same S10 prefix could hand out the same tracking number.
        owner = prefixes.setdefault((carrier.prefix, carrier.country), carrier.code)
        if owner != carrier.code:
            raise CarrierConfigError(
                f"carriers[{index}]: prefix {carrier.prefix!r} in {carrier.country} "
                f"is already used by {owner!r}"
            )
        carriers[carrier.code] = carrier
    return carriers


def _check_parcel(weight_grams: int, currency: str) -> None:
    if isinstance(weight_grams, bool) or not isinstance(weight_grams, int) or weight_grams <= 0:
        raise CarrierError(f"weight must be a positive number of grams, not {weight_grams!r}")
    if not _CURRENCY.fullmatch(currency):
        raise CarrierError(f"currency must be an upper-case ISO 4217 code, not {currency!r}")


def _check_keys(
    entry: object, where: str, required: set[str], optional: frozenset[str] = frozenset()
) -> None:
    if not isinstance(entry, Mapping):
        raise CarrierConfigError(f"{where} must be a mapping, not {entry!r}")
    missing = sorted(required - entry.keys())
    if missing:
        raise CarrierConfigError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(str(key) for key in entry.keys() - required - optional)
    if unknown:
        raise CarrierConfigError(f"{where}: unknown key {', '.join(unknown)}")


def _text(
    entry: Mapping[str, Any],
    key: str,
    where: str,
    pattern: re.Pattern[str] | None = None,
    expected: str = "",
) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise CarrierConfigError(f"{where}: {key} must be a non-empty string, not {value!r}")
    if pattern is not None and not pattern.fullmatch(value):
        raise CarrierConfigError(f"{where}: {key} must be {expected}, not {value!r}")
    return value


def _whole(entry: Mapping[str, Any], key: str, where: str, minimum: int) -> int:
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CarrierConfigError(
            f"{where}: {key} must be a whole number >= {minimum}, not {value!r}"
        )
    return value


def _service(entry: object, where: str) -> _Service:
    _check_keys(entry, where, required={"code", "name", "price", "days"})
    assert isinstance(entry, Mapping)
    return _Service(
        code=_text(entry, "code", where, _CODE, "lower-case letters, digits, - or _"),
        name=_text(entry, "name", where),
        # Minor units, never a float: 8.00 is written 800.
        price=_whole(entry, "price", where, 0),
        days=_whole(entry, "days", where, 1),
    )
