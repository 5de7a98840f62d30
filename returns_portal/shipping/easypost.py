"""An EasyPost-style HTTP carrier: return shipments with rates inline, bought labels, refunds
of unused labels and trackers (https://docs.easypost.com/docs/shipments).

Buying costs money, so a purchase is never sent twice blindly: every shipment carries an
idempotency reference (RMA number, service and attempt), a lost reply is followed by a
look-up of the shipment by that reference, and the purchase is repeated only when the
look-up shows no label. Requests have timeouts; a rate limit (429) waits for Retry-After,
a bounded number of times. Every failure becomes a CarrierError whose message a customer
or staff member can read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from returns_portal.policy.money import minor_digits
from returns_portal.shipping.carriers import (
    Address,
    CarrierConfigError,
    CarrierError,
    Label,
    LabelRequest,
    Rate,
    TrackingUpdate,
    qr_payload,
)
from returns_portal.shipping.statuses import EASYPOST

DEFAULT_BASE_URL = "https://api.easypost.com/v2"
SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="
GRAMS_PER_OUNCE = Decimal("28.349523125")
# Quotes are asked for on every step of the customer's pages; a shipment per page view
# would cost the carrier a request each time, so quotes are kept for a few minutes.
QUOTE_SECONDS = 300
QUOTES_KEPT = 256

_REQUIRED = {"code", "name", "api_key"}
_OPTIONAL = frozenset(
    {
        "base_url", "carrier_accounts", "webhook_secret", "services", "timeout",
        "max_retries", "max_retry_after", "trust_env",
    }
)  # fmt: skip
_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class CarrierRefused(CarrierError):
    """The carrier answered and said no (bad input, bad key); its reason is the message."""


class _Lost(Exception):
    """The request may or may not have reached the carrier: no answer came back."""


def sign_webhook(body: bytes, secret: str) -> str:
    """Return the X-Hmac-Signature value EasyPost sends with `body`."""
    # EasyPost's own client libraries normalise the secret (NFKD) before using it as the key.
    key = unicodedata.normalize("NFKD", secret).encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_webhook(body: bytes, signature: str | None, secret: str) -> bool:
    """Tell whether `signature` is EasyPost's HMAC-SHA256 of `body` with `secret`."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(signature.strip().encode(), sign_webhook(body, secret).encode())


def service_code(carrier: str, service: str) -> str:
    """Return the portal's code for a carrier account's service: "usps-priority"."""
    code = re.sub(r"[^a-z0-9_-]+", "-", f"{carrier}-{service}".lower()).strip("-")
    return code[:64]


def to_minor_units(amount: str, currency: str) -> int:
    """Convert the carrier's "8.25" in `currency` to minor units (825)."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise CarrierError(f"the carrier quoted {amount!r}, which is not an amount") from None
    if not value.is_finite() or value < 0:
        raise CarrierError(f"the carrier quoted {amount!r}, which is not an amount")
    return int(value.scaleb(minor_digits(currency)).to_integral_value())


def _when(value: object) -> datetime:
    if not isinstance(value, str):
        raise CarrierError("the carrier sent a tracking event without a time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CarrierError(f"the carrier sent a tracking time {value!r} we cannot read") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def tracking_updates(tracker: Mapping[str, Any]) -> list[TrackingUpdate]:
    """Return a Tracker's details in the portal's vocabulary, oldest first (unmapped left out)."""
    updates = []
    for detail in tracker.get("tracking_details") or []:
        code = EASYPOST.get(str(detail.get("status", "")))
        if code is None:
            continue
        where = detail.get("tracking_location") or {}
        location = ", ".join(str(where[k]) for k in ("city", "state", "country") if where.get(k))
        updates.append(
            TrackingUpdate(
                code=code.value,
                description=str(detail.get("message") or "")[:300],
                occurred_at=_when(detail.get("datetime")),
                location=location[:200],
            )
        )
    return sorted(updates, key=lambda update: update.occurred_at)


class EasyPostCarrier:
    """A carrier reached through an EasyPost-style API (configured with type "easypost")."""

    def __init__(
        self,
        config: Mapping[str, Any],
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        where = f"carrier {config.get('code', '?')!r}" if isinstance(config, Mapping) else "carrier"
        if not isinstance(config, Mapping):
            raise CarrierConfigError(f"{where} must be a mapping, not {config!r}")
        missing = sorted(_REQUIRED - config.keys())
        if missing:
            raise CarrierConfigError(f"{where}: missing {', '.join(missing)}")
        unknown = sorted(str(k) for k in config.keys() - _REQUIRED - _OPTIONAL)
        if unknown:
            raise CarrierConfigError(f"{where}: unknown key {', '.join(unknown)}")
        for key in ("code", "name", "api_key"):
            if not isinstance(config[key], str) or not config[key].strip():
                raise CarrierConfigError(f"{where}: {key} must be a non-empty string")
        if not _CODE.fullmatch(config["code"]):
            raise CarrierConfigError(
                f"{where}: code must be lower-case letters, digits, - or _, not {config['code']!r}"
            )
        self.code: str = config["code"]
        self.name: str = config["name"]
        self.base_url = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        if not self.base_url.startswith(("https://", "http://")):
            raise CarrierConfigError(f"{where}: base_url must be an http(s) address")
        accounts = config.get("carrier_accounts") or []
        if isinstance(accounts, str) or not isinstance(accounts, Sequence):
            raise CarrierConfigError(f"{where}: carrier_accounts must be a list of account ids")
        self.carrier_accounts: list[str] = [str(a) for a in accounts]
        services = config.get("services")
        if services is not None and (
            isinstance(services, str) or not isinstance(services, Sequence)
        ):
            raise CarrierConfigError(f"{where}: services must be a list of service codes")
        # The merchant's allow-list ("usps-priority", …); None offers every quoted service.
        self.services: frozenset[str] | None = (
            frozenset(str(s) for s in services) if services is not None else None
        )
        self.webhook_secret: str = str(config.get("webhook_secret") or "")
        self.max_retries = _number(config, "max_retries", where, 2, int)
        self.max_retry_after = _number(config, "max_retry_after", where, 30.0, float)
        timeout = _number(config, "timeout", where, 10.0, float)
        self._sleep = sleep
        self._trust_env = bool(config.get("trust_env", True))
        self._client = httpx.Client(
            base_url=self.base_url,
            auth=(config["api_key"], ""),  # HTTP basic: the key is the user name
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            trust_env=self._trust_env,
            headers={"Accept": "application/json", "User-Agent": "returns-portal"},
        )
        self._quotes: dict[tuple[Any, ...], tuple[float, list[Rate]]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connections kept open to the carrier."""
        self._client.close()

    def __repr__(self) -> str:
        return f"EasyPostCarrier(code={self.code!r}, base_url={self.base_url!r})"

    # --- the Carrier Protocol ----------------------------------------------------------------

    def rates(
        self, from_address: Address, to_address: Address, weight_grams: int, currency: str
    ) -> list[Rate]:
        key = (from_address, to_address, weight_grams, currency)
        with self._lock:
            kept = self._quotes.get(key)
        if kept is not None and time.monotonic() - kept[0] < QUOTE_SECONDS:
            return list(kept[1])
        shipment = self._create_shipment(None, from_address, to_address, weight_grams, currency)
        quotes = self._rates_of(shipment, currency)
        with self._lock:
            if len(self._quotes) >= QUOTES_KEPT:
                self._quotes.pop(next(iter(self._quotes)))
            self._quotes[key] = (time.monotonic(), quotes)
        return list(quotes)

    def create_label(self, request: LabelRequest) -> Label:
        if not request.reference.strip() or ":" in request.reference:
            raise CarrierError(f"label reference {request.reference!r} must be a plain RMA number")
        if request.attempt < 0:
            raise CarrierError("attempt counts up from 0")
        if isinstance(request.weight_grams, bool) or request.weight_grams <= 0:
            raise CarrierError(
                f"weight must be a positive number of grams, not {request.weight_grams!r}"
            )
        reference = self.purchase_reference(request)
        shipment = self._find_shipment(reference)
        if shipment is None:
            shipment = self._create_shipment(
                reference, request.from_address, request.to_address,
                request.weight_grams, request.currency,
            )  # fmt: skip
        if not shipment.get("postage_label"):
            shipment = self._buy(shipment, reference, request.service, request.currency)
        return self._label(shipment, request)

    def void_label(self, tracking_number: str) -> None:
        tracker = self._tracker(tracking_number)
        shipment_id = tracker.get("shipment_id")
        if not shipment_id:
            raise CarrierError(f"{self.name} has no label for {tracking_number!r} to refund")
        try:
            shipment = self._request("POST", f"/shipments/{shipment_id}/refund", {})
        except _Lost:
            raise CarrierError(
                f"{self.name} did not answer the refund of {tracking_number}; please try again"
            ) from None
        status = shipment.get("refund_status")
        if status in ("rejected", "not_applicable"):
            raise CarrierRefused(f"{self.name} refused to refund the label {tracking_number}")

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return tracking_updates(self._tracker(tracking_number))

    # --- more than the Protocol --------------------------------------------------------------

    def purchase_reference(self, request: LabelRequest) -> str:
        """Return the idempotency reference of a purchase: the same request, the same one."""
        return f"{request.reference}-{request.service}-{request.attempt}"

    def download(self, url: str) -> bytes:
        """Fetch a label file the carrier made (label_url / label_zpl_url)."""
        for attempt in range(self.max_retries + 1):
            try:
                # Label files live on the carrier's file store, not behind the API key.
                with httpx.Client(
                    timeout=self._client.timeout, trust_env=self._trust_env
                ) as client:
                    answer = client.get(url, follow_redirects=True)
            except httpx.TransportError:
                if attempt == self.max_retries:
                    raise CarrierError(f"{self.name}'s label file could not be fetched") from None
                continue
            if answer.status_code == 200:
                return answer.content
            break
        raise CarrierError(f"{self.name}'s label file could not be fetched")

    def verify(self, body: bytes, signature: str | None) -> bool:
        """Tell whether a webhook body carries this carrier's signature."""
        return verify_webhook(body, signature, self.webhook_secret)

    # --- the API ------------------------------------------------------------------------------

    def _create_shipment(
        self,
        reference: str | None,
        from_address: Address,
        to_address: Address,
        weight_grams: int,
        currency: str,
    ) -> dict[str, Any]:
        ounces = (Decimal(weight_grams) / GRAMS_PER_OUNCE).quantize(Decimal("0.1"))
        body: dict[str, Any] = {
            # is_return: EasyPost swaps the two addresses on the label, so the customer is
            # given as to_address and the warehouse as from_address.
            "is_return": True,
            "to_address": _address(from_address),
            "from_address": _address(to_address),
            "parcel": {"weight": float(max(ounces, Decimal("0.1")))},
            "options": {"currency": currency, "label_format": "PDF"},
        }
        if reference is not None:
            body["reference"] = reference
        if self.carrier_accounts:
            body["carrier_accounts"] = [{"id": account} for account in self.carrier_accounts]
        for _attempt in range(self.max_retries + 1):
            try:
                return self._request("POST", "/shipments", {"shipment": body})
            except _Lost:
                # A shipment costs nothing until bought; with a reference, use the one made.
                found = self._find_shipment(reference) if reference else None
                if found is not None:
                    return found
        raise CarrierError(f"{self.name} could not be reached; please try again in a minute")

    def _find_shipment(self, reference: str) -> dict[str, Any] | None:
        """Look a shipment up by its reference (EasyPost takes one in place of an id)."""
        try:
            return self._get(f"/shipments/{reference}")
        except _NotFound:
            return None

    def _buy(
        self, shipment: dict[str, Any], reference: str, service: str, currency: str
    ) -> dict[str, Any]:
        rate = next(
            (r for r in shipment.get("rates") or [] if self._service_of(r) == service), None
        )
        if rate is None or not self._offered(service):
            known = ", ".join(r.service for r in self._rates_of(shipment, currency))
            raise CarrierRefused(f"{self.name} has no service {service!r} (it offers {known})")
        for _attempt in range(self.max_retries + 1):
            try:
                return self._request(
                    "POST",
                    f"/shipments/{shipment['id']}/buy",
                    {"rate": {"id": rate["id"]}},
                    headers={"Idempotency-Key": reference},
                )
            except _Lost:
                pass
            except CarrierRefused:
                # Bought already (by the lost attempt, or another worker): take that label.
                found = self._find_shipment(reference)
                if found is not None and found.get("postage_label"):
                    return found
                raise
            # The reply was lost: the carrier may have bought it. Look before buying again.
            try:
                found = self._find_shipment(reference)
            except _Lost:
                found = None
            if found is None:
                break  # we cannot tell: stop here; the next try looks the reference up first
            if found.get("postage_label"):
                return found
        raise CarrierError(
            f"{self.name} did not confirm the label purchase; please try again in a minute"
        )

    def _label(self, shipment: Mapping[str, Any], request: LabelRequest) -> Label:
        bought = shipment.get("selected_rate") or {}
        postage = shipment.get("postage_label") or {}
        tracking_number = str(shipment.get("tracking_code") or "")
        if not bought or not postage or not tracking_number:
            raise CarrierError(f"{self.name} sent a label without its tracking number or rate")
        currency = str(bought.get("currency") or request.currency)
        return Label(
            carrier=self.code,
            carrier_name=self.name,
            service=self._service_of(bought),
            service_name=f"{bought.get('carrier', '')} {bought.get('service', '')}".strip(),
            tracking_number=tracking_number,
            amount=to_minor_units(str(bought.get("rate")), currency),
            currency=currency,
            qr_payload=qr_payload(tracking_number, request.reference)
            if request.qr_dropoff
            else None,
            label_url=postage.get("label_url") or postage.get("label_pdf_url"),
            label_zpl_url=postage.get("label_zpl_url"),
            provider_id=str(shipment.get("id") or "") or None,
        )

    def _rates_of(self, shipment: Mapping[str, Any], currency: str) -> list[Rate]:
        quotes = []
        for rate in shipment.get("rates") or []:
            code = self._service_of(rate)
            # Quotes in another currency can't be compared or charged as asked: left out.
            if rate.get("currency") != currency or not self._offered(code):
                continue
            days = rate.get("delivery_days") or rate.get("est_delivery_days") or 1
            quotes.append(
                Rate(
                    carrier=self.code,
                    carrier_name=self.name,
                    service=code,
                    service_name=f"{rate.get('carrier', '')} {rate.get('service', '')}".strip(),
                    amount=to_minor_units(str(rate.get("rate")), currency),
                    currency=currency,
                    days=max(1, int(days)),
                )
            )
        return sorted(quotes, key=lambda r: (r.amount, r.days, r.service))

    def _service_of(self, rate: Mapping[str, Any]) -> str:
        return service_code(str(rate.get("carrier", "")), str(rate.get("service", "")))

    def _offered(self, service: str) -> bool:
        return self.services is None or service in self.services

    def _tracker(self, tracking_number: str) -> dict[str, Any]:
        found = self._get("/trackers", params={"tracking_code": tracking_number})
        trackers = found.get("trackers") or []
        if not trackers:
            raise CarrierError(f"{tracking_number!r} is not a {self.name} tracking number")
        tracker: dict[str, Any] = trackers[0]
        return tracker

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GET with retries: reading twice is harmless."""
        for attempt in range(self.max_retries + 1):
            try:
                return self._request("GET", path, params=params)
            except _Lost:
                if attempt == self.max_retries:
                    raise CarrierError(
                        f"{self.name} could not be reached; please try again in a minute"
                    ) from None
        raise AssertionError("unreachable")

    def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one request; a 429 is waited out and sent again (the carrier did nothing).

        Raises _Lost when no answer came (the carrier may have acted), _NotFound for 404,
        CarrierRefused for any other refusal and CarrierError when the carrier is unwell.
        """
        for attempt in range(self.max_retries + 1):
            try:
                answer = self._client.request(
                    method, path, json=body, params=params, headers=headers
                )
            except httpx.TransportError:  # a timeout too: the carrier may have acted
                raise _Lost() from None
            if answer.status_code == 429 and attempt < self.max_retries:
                wait = _retry_after(answer.headers.get("Retry-After"))
                if wait > self.max_retry_after:
                    break
                self._sleep(wait)
                continue
            return self._answer(answer)
        raise CarrierError(f"{self.name} is busy (too many requests); please try again in a minute")

    def _answer(self, answer: httpx.Response) -> dict[str, Any]:
        if 200 <= answer.status_code < 300:
            try:
                data = answer.json()
            except ValueError:
                raise CarrierError(f"{self.name} sent an answer we cannot read") from None
            return data if isinstance(data, dict) else {"items": data}
        if answer.status_code == 404:
            raise _NotFound()
        reason = _error_message(answer)
        if answer.status_code in (401, 403):
            raise CarrierRefused(
                f"{self.name} refused the portal's API key ({reason}); check the carrier settings"
            )
        if answer.status_code == 429:
            raise CarrierError(
                f"{self.name} is busy (too many requests); please try again in a minute"
            )
        if answer.status_code >= 500:
            raise CarrierError(
                f"{self.name} had a problem ({answer.status_code}); please try again"
            )
        raise CarrierRefused(f"{self.name}: {reason}")


class _NotFound(CarrierError):
    """The carrier has no such object (404)."""


def _address(address: Address) -> dict[str, str]:
    return {
        "name": address.name,
        "street1": address.line1,
        "street2": address.line2,
        "city": address.city,
        "zip": address.postal_code,
        "country": address.country,
        "phone": address.phone,
    }


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0  # an HTTP date: wait a moment rather than parse clocks


def _error_message(answer: httpx.Response) -> str:
    """EasyPost's {"error": {"code", "message", "errors": [{"field", "message"}]}} in words."""
    try:
        error = answer.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    message = str(error.get("message") or f"the carrier answered {answer.status_code}")
    details = [
        f"{item.get('field')}: {item.get('message')}"
        if item.get("field")
        else str(item.get("message"))
        for item in error.get("errors") or []
        if isinstance(item, Mapping) and item.get("message")
    ]
    return f"{message} ({'; '.join(details)})" if details else message


def _number(config: Mapping[str, Any], key: str, where: str, default: Any, kind: type) -> Any:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise CarrierConfigError(f"{where}: {key} must be a number >= 0, not {value!r}")
    return kind(value)
