"""The payment provider behind a small Protocol: Stripe (real) and an in-process fake."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app


class GatewayError(Exception):
    """The payment provider refused a call or could not be reached."""


@dataclass(frozen=True)
class PaymentRecord:
    """A payment as the provider sees it."""

    reference: str
    amount: int
    currency: str  # upper-case ISO 4217
    status: str  # provider's status, "succeeded" when captured
    metadata: dict[str, str]


class PaymentGateway(Protocol):
    """What the portal needs from a payment provider."""

    def create_payment(self, amount: int, currency: str, metadata: dict[str, str]) -> PaymentRecord:
        """Capture a test card payment (demo data and tests only)."""
        ...

    def get_payment(self, reference: str) -> PaymentRecord | None:
        """Return the payment, or None when the provider does not know it."""
        ...


def _record(data: dict[str, Any]) -> PaymentRecord:
    status = str(data["status"])
    # localstripe leaves amount_received out; a succeeded intent has received its amount.
    amount = int(data.get("amount_received") or (data["amount"] if status == "succeeded" else 0))
    return PaymentRecord(
        reference=str(data["id"]),
        amount=amount,
        currency=str(data["currency"]).upper(),
        status=status,
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
    )


class StripeGateway:
    """Stripe through the official library; `api_base` points it at localstripe in development."""

    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        import stripe

        self._stripe = stripe
        addresses = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=2)  # type: ignore[arg-type]

    def create_payment(self, amount: int, currency: str, metadata: dict[str, str]) -> PaymentRecord:
        try:
            # Stripe's documented test card; only test keys and localstripe accept it.
            method = self._client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {
                        "number": "4242424242424242",
                        "exp_month": 12,
                        "exp_year": 2034,
                        "cvc": "123",
                    },
                }
            )
            intent = self._client.v1.payment_intents.create(
                # Card only and confirmed at once; the library's typed params omit
                # payment_method_types, which the API (and localstripe) still take.
                params={  # type: ignore[typeddict-unknown-key]
                    "amount": amount,
                    "currency": currency.lower(),
                    "payment_method": method.id,
                    "payment_method_types": ["card"],
                    "confirm": True,
                    "metadata": metadata,
                }
            )
        except self._stripe.StripeError as exc:
            raise GatewayError(f"Stripe refused the payment: {exc.user_message or exc}") from exc
        return _record(intent.to_dict())

    def get_payment(self, reference: str) -> PaymentRecord | None:
        try:
            intent = self._client.v1.payment_intents.retrieve(reference)
        except self._stripe.InvalidRequestError:
            return None
        except self._stripe.StripeError as exc:
            raise GatewayError(f"Stripe could not be reached: {exc}") from exc
        return _record(intent.to_dict())


class FakeGateway:
    """An in-process provider with the same behaviour, for tests and offline use."""

    def __init__(self) -> None:
        self._payments: dict[str, PaymentRecord] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def create_payment(self, amount: int, currency: str, metadata: dict[str, str]) -> PaymentRecord:
        if amount <= 0:
            raise GatewayError("The amount must be positive.")
        with self._lock:
            reference = f"pi_fake_{next(self._ids):06d}"
            record = PaymentRecord(reference, amount, currency.upper(), "succeeded", dict(metadata))
            self._payments[reference] = record
        return record

    def get_payment(self, reference: str) -> PaymentRecord | None:
        return self._payments.get(reference)


def init_app(app: Flask) -> None:
    """Create the gateway the configuration names and keep it on the app."""
    kind = app.config["PAYMENT_GATEWAY"]
    gateway: PaymentGateway
    if kind == "stripe":
        gateway = StripeGateway(app.config["STRIPE_API_KEY"], app.config.get("STRIPE_API_BASE"))
    elif kind == "fake":
        gateway = FakeGateway()
    else:
        raise RuntimeError(f"PAYMENT_GATEWAY={kind!r}: expected 'stripe' or 'fake'")
    app.extensions["payment_gateway"] = gateway


def payment_gateway() -> PaymentGateway:
    """Return the current app's payment gateway."""
    gateway: PaymentGateway = current_app.extensions["payment_gateway"]
    return gateway
