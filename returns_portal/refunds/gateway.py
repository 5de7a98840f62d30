"""The payment provider behind a small Protocol: Stripe (real) and an in-process fake."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, replace
from typing import Any, Protocol

from flask import Flask, current_app


class GatewayError(Exception):
    """The payment provider refused a call or could not be reached."""


class RefundOutcomeUnknown(GatewayError):
    """A refund request was sent but no reply came back: the provider may have made it.

    Never retried blindly: the caller looks the refund up by its key first (see
    services._call_provider and reconcile).
    """


# Stripe's refund statuses (https://docs.stripe.com/api/refunds/object#refund_object-status).
PAID = "succeeded"
WAITING = frozenset({"pending", "requires_action"})  # money may still move: wait, ask later
DECLINED = frozenset({"failed", "canceled"})  # no money moved (or it came back)


@dataclass(frozen=True)
class PaymentRecord:
    """A payment as the provider sees it."""

    reference: str
    amount: int
    currency: str  # upper-case ISO 4217
    status: str  # provider's status, "succeeded" when captured
    metadata: dict[str, str]


@dataclass(frozen=True)
class RefundRecord:
    """A refund as the provider sees it; `key` is the portal's refund key, from metadata."""

    reference: str
    payment: str
    amount: int
    currency: str
    status: str  # succeeded, pending, requires_action, failed, canceled
    key: str | None
    failure_reason: str | None = None  # Stripe's failure_reason when failed/canceled


def standing(refunds: list[RefundRecord]) -> RefundRecord | None:
    """Return the refund that decides the outcome: a paid one, else a waiting one, else any."""
    for wanted in ({PAID}, WAITING):
        found = next((r for r in refunds if r.status in wanted), None)
        if found is not None:
            return found
    return refunds[0] if refunds else None


def held(refunds: list[RefundRecord]) -> int:
    """Return what the refunds hold of their payment: paid or still waiting, not declined."""
    return sum(r.amount for r in refunds if r.status not in DECLINED)


def declined_reason(record: RefundRecord) -> str:
    """Say why the provider declined a refund, for the finance queue."""
    reason = record.failure_reason or "no reason given"
    return (
        f"Stripe reports the refund {record.status} ({reason}); it is not sent again: "
        "refund the customer another way."
    )


class PaymentGateway(Protocol):
    """What the portal needs from a payment provider."""

    def refund(self, payment: str, amount: int, key: str) -> RefundRecord:
        """Refund `amount` of a payment; `key` is both the idempotency key and metadata."""
        ...

    def find_refund(self, payment: str, key: str) -> RefundRecord | None:
        """Return the payment's refund made with `key`, if the provider has one."""
        ...

    def list_refunds(self, payment: str) -> list[RefundRecord]:
        """Return every refund of a payment (in no particular order)."""
        ...

    def prepare_charge(self, payment: str, amount: int, key: str) -> PaymentRecord:
        """Prepare, without confirming, a new payment of `amount` by the card behind
        `payment`; `key` is the idempotency key and metadata. No money moves yet."""
        ...

    def confirm_charge(self, reference: str) -> PaymentRecord:
        """Confirm a prepared payment, taking the money; report its status."""
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


def _refund_record(data: dict[str, Any]) -> RefundRecord:
    metadata = data.get("metadata") or {}
    return RefundRecord(
        reference=str(data["id"]),
        payment=str(data.get("payment_intent") or ""),
        amount=int(data["amount"]),
        currency=str(data["currency"]).upper(),
        status=str(data.get("status") or "pending"),
        key=str(metadata["refund_key"]) if "refund_key" in metadata else None,
        failure_reason=str(data["failure_reason"]) if data.get("failure_reason") else None,
    )


class StripeGateway:
    """Stripe through the official library; `api_base` points it at localstripe in development."""

    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        import stripe  # here: the library takes ~0.2 s to import, and the fake needs none of it

        self._stripe = stripe
        addresses = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=2)  # type: ignore[arg-type]

    @property
    def client(self) -> Any:
        """The library's client, for what the portal itself never does (demo payments)."""
        return self._client

    def refund(self, payment: str, amount: int, key: str) -> RefundRecord:
        try:
            # https://docs.stripe.com/api/idempotent_requests: the same key returns the first
            # result. Not every server honours it (localstripe does not), so the library must
            # not resend on its own (max_network_retries=0): a lost reply is reported, and
            # callers look the refund up by metadata before any retry.
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": payment,
                    "amount": amount,
                    "metadata": {"refund_key": key},
                },
                options={"idempotency_key": key, "max_network_retries": 0},
            )
        except self._stripe.APIConnectionError as exc:
            raise RefundOutcomeUnknown(
                f"No reply from Stripe to the refund; its outcome is not known yet: {exc}"
            ) from exc
        except self._stripe.StripeError as exc:
            raise GatewayError(f"Stripe refused the refund: {exc.user_message or exc}") from exc
        return _refund_record(refund.to_dict())

    def find_refund(self, payment: str, key: str) -> RefundRecord | None:
        return next((r for r in self.list_refunds(payment) if r.key == key), None)

    def prepare_charge(self, payment: str, amount: int, key: str) -> PaymentRecord:
        try:
            original = self._client.v1.payment_intents.retrieve(payment).to_dict()
            params: dict[str, Any] = {
                "amount": amount,
                "currency": original["currency"],
                "payment_method_types": ["card"],
                "metadata": {"charge_key": key, "original_payment": payment},
            }
            # The same card (and customer, when the shop saved one) as the order's payment.
            for field in ("payment_method", "customer"):
                value = original.get(field)
                if value:
                    params[field] = value if isinstance(value, str) else value["id"]
            # The library may resend this one: preparing moves no money (the intent is not
            # confirmed), and a resend a server ignoring the key turns into a second intent
            # is one that nothing ever confirms. Only confirm_charge moves money: no resends.
            intent = self._client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": key},
            )
        except self._stripe.StripeError as exc:
            raise GatewayError(f"Stripe refused the charge: {exc.user_message or exc}") from exc
        return _record(intent.to_dict())

    def confirm_charge(self, reference: str) -> PaymentRecord:
        try:
            # No blind resend: a retry reads the payment first (services._submit_charge).
            intent = self._client.v1.payment_intents.confirm(
                reference, options={"max_network_retries": 0}
            )
        except self._stripe.StripeError as exc:
            raise GatewayError(f"Stripe refused the charge: {exc.user_message or exc}") from exc
        return _record(intent.to_dict())

    def list_refunds(self, payment: str) -> list[RefundRecord]:
        try:
            page = self._client.v1.refunds.list(params={"payment_intent": payment, "limit": 100})
        except self._stripe.StripeError as exc:
            raise GatewayError(f"Stripe could not be reached: {exc}") from exc
        return [_refund_record(item.to_dict()) for item in page.data]

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
        self._refunds: dict[str, list[RefundRecord]] = {}
        self._pending: dict[str, int] = {}  # prepared charges: the amount to take
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.down = False  # tests: the provider cannot be reached
        self.refund_calls = 0
        self.charge_calls = 0  # confirmed charges asked for
        self.decline = False  # tests: the card is declined when a charge is confirmed
        # tests: the status new refunds get, and why they fail (Stripe's failure_reason)
        self.refund_status = PAID
        self.failure_reason = "expired_or_canceled_card"
        self.lost_replies = 0  # tests: this many refunds are made but their reply is lost

    def create_payment(self, amount: int, currency: str, metadata: dict[str, str]) -> PaymentRecord:
        """Tests and demo data: a captured card payment, as the shop's checkout would make."""
        if amount <= 0:
            raise GatewayError("The amount must be positive.")
        with self._lock:
            reference = f"pi_fake_{next(self._ids):06d}"
            record = PaymentRecord(reference, amount, currency.upper(), "succeeded", dict(metadata))
            self._payments[reference] = record
        return record

    def get_payment(self, reference: str) -> PaymentRecord | None:
        if self.down:
            raise GatewayError("The payment provider could not be reached.")
        return self._payments.get(reference)

    def prepare_charge(self, payment: str, amount: int, key: str) -> PaymentRecord:
        with self._lock:
            if self.down:
                raise GatewayError("The payment provider could not be reached.")
            original = self._payments.get(payment)
            if original is None:
                raise GatewayError(f"No such payment: {payment}")
            same = next(
                (p for p in self._payments.values() if p.metadata.get("charge_key") == key), None
            )
            if same is not None:  # idempotency: the same key, the same payment
                return same
            reference = f"pi_fake_{next(self._ids):06d}"
            # Like Stripe: nothing is received until the payment is confirmed.
            record = PaymentRecord(reference, 0, original.currency, "requires_confirmation",
                                   {"charge_key": key, "original_payment": payment})  # fmt: skip
            self._payments[reference] = record
            self._pending[reference] = amount
        return record

    def confirm_charge(self, reference: str) -> PaymentRecord:
        with self._lock:
            self.charge_calls += 1
            if self.down:
                raise GatewayError("The payment provider could not be reached.")
            record = self._payments.get(reference)
            if record is None:
                raise GatewayError(f"No such payment: {reference}")
            if record.status == "succeeded":
                raise GatewayError("This payment has already succeeded.")
            status = "requires_payment_method" if self.decline else "succeeded"
            received = self._pending[reference] if status == "succeeded" else 0
            record = PaymentRecord(record.reference, received, record.currency, status,
                                   record.metadata)  # fmt: skip
            self._payments[reference] = record
        return record

    def refund(self, payment: str, amount: int, key: str) -> RefundRecord:
        with self._lock:
            self.refund_calls += 1
            if self.down:
                raise GatewayError("The payment provider could not be reached.")
            record = self._payments.get(payment)
            if record is None:
                raise GatewayError(f"No such payment: {payment}")
            done = self._refunds.setdefault(payment, [])
            same = next((r for r in done if r.key == key), None)
            if same is not None:  # Stripe's idempotency: the same key, the same refund
                return same
            if amount <= 0 or held(done) + amount > record.amount:
                raise GatewayError("Refund amount exceeds what remains of the charge.")
            status = self.refund_status
            reason = self.failure_reason if status in DECLINED else None
            refund = RefundRecord(f"re_fake_{next(self._ids):06d}", payment, amount,
                                  record.currency, status, key, reason)  # fmt: skip
            done.insert(0, refund)
            if self.lost_replies > 0:
                self.lost_replies -= 1
                raise RefundOutcomeUnknown("No reply from the payment provider to the refund.")
            return refund

    def settle_refund(self, reference: str, status: str, reason: str | None = None) -> RefundRecord:
        """Tests: the provider moves a refund on (pending to succeeded or failed)."""
        with self._lock:
            for done in self._refunds.values():
                for n, r in enumerate(done):
                    if r.reference == reference:
                        done[n] = replace(r, status=status, failure_reason=reason)
                        return done[n]
        raise GatewayError(f"No such refund: {reference}")

    def find_refund(self, payment: str, key: str) -> RefundRecord | None:
        if self.down:
            raise GatewayError("The payment provider could not be reached.")
        return next((r for r in self._refunds.get(payment, []) if r.key == key), None)

    def list_refunds(self, payment: str) -> list[RefundRecord]:
        if self.down:
            raise GatewayError("The payment provider could not be reached.")
        return list(self._refunds.get(payment, []))


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
