"""The store's settings as the admin sees and changes them: what the portal reads from the
store settings row (currency, returns address) and what it reads from configuration only
(name, time zone, public URL), and the carriers' price list.

A setting the portal reads from configuration is shown, not edited: saving it in the
database would change nothing the customer or the staff see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import is_currency
from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.shipping.carriers import CarrierError
from returns_portal.shipping.services import DEFAULT_WEIGHT_GRAMS, carriers, warehouse_address
from returns_portal.store.identity import forget, store_timezone
from returns_portal.store.services import ensure_store

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

# The returns address as shipping.services.warehouse_address reads it, with its limits.
ADDRESS_FIELDS: dict[str, tuple[bool, int]] = {  # key: (required, max length)
    "name": (True, 200),
    "line1": (True, 200),
    "line2": (False, 200),
    "city": (True, 100),
    "postal_code": (True, 20),
    "country": (True, 2),
    "phone": (False, 40),
}
_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class SettingsInvalid(Exception):
    """The settings can't be saved; `errors` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[LazyString]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ConfiguredSetting:
    """A setting the portal reads from configuration, and the variable that sets it."""

    label: LazyString
    value: str
    variable: str


@dataclass(frozen=True)
class StoreSettingsPage:
    """What the store settings page shows: editable values and configured ones."""

    currency: str
    return_address: dict[str, str]
    configured: tuple[ConfiguredSetting, ...]
    # Set here (blank: the configured value of `configured` applies).
    store_name: str = ""
    time_zone: str = ""
    public_url: str = ""


def check_timezone(name: str) -> ZoneInfo:
    """Return the IANA time zone `name`, or raise ValueError: unknown names, a folder of the
    zone database ("America") and names too long for a file are all refused, as the policy's
    time zone check refuses them."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def store_zone() -> ZoneInfo:
    """Return the store's time zone: the one staff pages show times in."""
    return check_timezone(store_timezone())


def store_settings() -> StoreSettingsPage:
    """Return the settings as the portal uses them now."""
    row = ensure_store()
    config = current_app.config
    address = {key: "" for key in ADDRESS_FIELDS}
    address.update({k: str(v) for k, v in (row.return_address or config["RETURN_ADDRESS"]).items()})
    return StoreSettingsPage(
        currency=row.currency,
        return_address=address,
        store_name=row.name or "",
        time_zone=row.timezone or "",
        public_url=row.public_url or "",
        configured=(
            ConfiguredSetting(_l("Store name"), str(config["STORE_NAME"]), "STORE_NAME"),
            ConfiguredSetting(_l("Time zone"), str(config["STORE_TIMEZONE"]), "STORE_TIMEZONE"),
            ConfiguredSetting(_l("Public URL"), str(config["PUBLIC_URL"]), "PUBLIC_URL"),
        ),
    )


def _checked_address(address: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[Any]]]:
    errors: dict[str, list[Any]] = {}
    clean: dict[str, str] = {}
    for key, (required, longest) in ADDRESS_FIELDS.items():
        value = str(address.get(key) or "").strip()
        if key == "country":
            value = value.upper()
        if required and not value:
            errors[key] = [_l("Required.")]
        elif key == "country" and not _COUNTRY.fullmatch(value):
            errors[key] = [_l("Two capital letters (ISO 3166-1), e.g. CN or DE.")]
        elif len(value) > longest:
            errors[key] = [_l("At most %(num)d characters.", num=longest)]
        if value:
            clean[key] = value
    return clean, errors


def _checked_identity(
    name: str, zone: str, url: str
) -> tuple[dict[str, str | None], dict[str, list[Any]]]:
    """The store's name, time zone and public URL as typed, checked; blank: None (the
    configured value)."""
    errors: dict[str, list[Any]] = {}
    name, zone, url = name.strip(), zone.strip(), url.strip().rstrip("/")
    if len(name) > 200:
        errors["store_name"] = [_l("At most %(num)d characters.", num=200)]
    if zone:
        try:
            check_timezone(zone)
        except ValueError:
            errors["time_zone"] = [_l("Not a time zone: use an IANA name such as Asia/Shanghai.")]
    if url:
        parts = urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
            or len(url) > 300
        ):
            errors["public_url"] = [
                _l("An address starting with https:// (or http://), without ? or #.")
            ]
    return {"name": name or None, "timezone": zone or None, "public_url": url or None}, errors


def update_store_settings(
    currency: str,
    return_address: dict[str, Any],
    actor: str = "cli",
    store_name: str | None = None,
    time_zone: str | None = None,
    public_url: str | None = None,
) -> StoreSettingsPage:
    """Save the store's currency and returns address (and, when given, its name, time
    zone and public URL; blank: the configured one), audited; raise SettingsInvalid.

    Stock rows priced before prices carried a currency are in the store's currency
    (StockLevel.currency is NULL): a new currency first writes the old one onto them, so that
    no price silently changes its currency.
    """
    row = ensure_store()
    code = currency.strip().upper()
    errors: dict[str, list[Any]] = {}
    if not _CURRENCY.fullmatch(code) or not is_currency(code):
        errors["currency"] = [_l("A three-letter ISO 4217 currency code, e.g. CNY or EUR.")]
    address, address_errors = _checked_address(return_address)
    errors.update({f"return_address.{key}": value for key, value in address_errors.items()})
    given = store_name is not None or time_zone is not None or public_url is not None
    identity, identity_errors = _checked_identity(
        store_name if store_name is not None else (row.name or ""),
        time_zone if time_zone is not None else (row.timezone or ""),
        public_url if public_url is not None else (row.public_url or ""),
    )
    errors.update(identity_errors)
    if errors:
        raise SettingsInvalid(errors)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if code != row.currency:
        stamped = cast(
            "CursorResult[Any]",
            db.session.execute(
                update(StockLevel)
                .where(StockLevel.currency.is_(None))
                .values(currency=row.currency)
            ),
        ).rowcount
        before["currency"], after["currency"] = row.currency, code
        if stamped:
            after["stock_prices_kept_in"] = {"currency": row.currency, "rows": stamped}
        row.currency = code
    if address != (row.return_address or {}):
        before["return_address"], after["return_address"] = row.return_address or None, address
        row.return_address = address
    for key, value in identity.items() if given else ():
        if getattr(row, key) != value:
            before[key], after[key] = getattr(row, key), value
            setattr(row, key, value)
    if after:
        record_event(actor, "store.settings_changed", "store_settings", row.id, before, after)
        db.session.commit()
        forget()  # this request's pages show the new name and zone at once
    return store_settings()


@dataclass(frozen=True)
class ServicePrice:
    """One carrier service as customers are offered it."""

    code: str
    name: str
    amount: int  # minor units
    currency: str
    days: int


@dataclass(frozen=True)
class CarrierPrices:
    """A configured carrier and the prices of its services (or why they couldn't be read)."""

    code: str
    name: str
    services: tuple[ServicePrice, ...]
    error: str = ""


def carrier_prices() -> list[CarrierPrices]:
    """Return each configured carrier's services with the price for a typical return parcel.

    Prices are asked of each carrier as labels are priced (its `rates`), for a parcel of
    DEFAULT_WEIGHT_GRAMS to the returns address in the store's currency; they come from the
    configuration (CARRIERS, or the built-in carriers), not from the database.
    """
    to = warehouse_address()
    currency = ensure_store().currency
    listed = []
    for carrier in carriers().values():
        try:
            rates = carrier.rates(to, to, DEFAULT_WEIGHT_GRAMS, currency)
        except CarrierError as exc:
            listed.append(CarrierPrices(carrier.code, carrier.name, (), str(exc)))
            continue
        services = tuple(
            ServicePrice(r.service, r.service_name, r.amount, r.currency, r.days) for r in rates
        )
        listed.append(CarrierPrices(carrier.code, carrier.name, services))
    return listed
