"""Store credit: codes, a ledger per customer (issue, bonus, redeem, expire), never a number.

A code is issued with each store-credit refund; its balance is the sum of its entries. The
shop's checkout redeems against a code with its own idempotency key, so a retried checkout
never spends twice; redemptions of one code take the code's row lock, so two checkouts at
once can never spend more than is there. Expired balances are written off by an `expire`
entry, once per code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.policy.money import format_money
from returns_portal.refunds.models import StoreCreditEntry
from returns_portal.types import utcnow

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"  # no 0/O, 1/I/L, U/V: easy to read out


class CreditError(Exception):
    """A store-credit action refused; `status` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CreditCode:
    """One code and what is left on it."""

    code: str
    currency: str
    issued: int  # issue + bonus
    balance: int
    expires_at: datetime | None
    customer_email: str

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


def normalise_code(code: str) -> str:
    """Accept a code however it was typed: case, spaces and dashes do not matter."""
    plain = "".join(ch for ch in code.upper() if ch.isalnum())
    if plain.startswith("SC"):
        plain = plain[2:]
    return f"SC-{plain[0:4]}-{plain[4:8]}-{plain[8:12]}" if len(plain) == 12 else code.strip()


def new_code() -> str:
    for _ in range(10):
        chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
        code = f"SC-{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"
        if (
            db.session.scalar(select(StoreCreditEntry.id).where(StoreCreditEntry.code == code))
            is None
        ):
            return code
    raise RuntimeError("could not find a free store-credit code")  # 29**12: practically never


def valid_until(issued_at: datetime) -> datetime | None:
    """Return when credit issued now expires (STORE_CREDIT_VALID_DAYS; 0 means never)."""
    days = int(current_app.config.get("STORE_CREDIT_VALID_DAYS") or 0)
    return issued_at + timedelta(days=days) if days > 0 else None


def issue(
    email: str, amount: int, bonus: int, currency: str, refund_id: int | None, actor: str
) -> str:
    """Add an issue entry (and a bonus entry) under a new code; return the code (not committed)."""
    code = new_code()
    now = utcnow()
    expires = valid_until(now)
    for kind, value in (("issue", amount), ("bonus", bonus)):
        if value > 0:
            db.session.add(
                StoreCreditEntry(
                    customer_email=email.lower(),
                    kind=kind,
                    amount=value,
                    currency=currency,
                    code=code,
                    refund_id=refund_id,
                    created_at=now,
                    expires_at=expires,
                )
            )
    record_event(actor, "credit.issued", "store_credit", code,
                 after={"amount": amount, "bonus": bonus, "currency": currency})  # fmt: skip
    return code


def _entries(code: str, lock: bool = False) -> list[StoreCreditEntry]:
    query = select(StoreCreditEntry).where(StoreCreditEntry.code == code)
    if lock:  # the issue entry is the code's lock: redemptions of one code queue up on it
        locked = query.where(StoreCreditEntry.kind == "issue").with_for_update()
        db.session.scalars(locked).all()
    return list(db.session.scalars(query.order_by(StoreCreditEntry.id)))


def _summary(code: str, entries: list[StoreCreditEntry]) -> CreditCode:
    granted = [e for e in entries if e.kind in ("issue", "bonus")]
    return CreditCode(
        code=code,
        currency=entries[0].currency,
        issued=sum(e.amount for e in granted),
        balance=sum(e.amount for e in entries),
        expires_at=min((e.expires_at for e in granted if e.expires_at), default=None),
        customer_email=entries[0].customer_email,
    )


def lookup(code: str) -> CreditCode | None:
    """Return the code's balance, or None when there is no such code."""
    code = normalise_code(code)
    entries = _entries(code)
    return _summary(code, entries) if entries else None


def customer_codes(email: str) -> list[CreditCode]:
    """Return a customer's codes, newest first."""
    codes = db.session.scalars(
        select(StoreCreditEntry.code)
        .where(StoreCreditEntry.customer_email == email.lower(), StoreCreditEntry.code.is_not(None))
        .group_by(StoreCreditEntry.code)
        .order_by(func.max(StoreCreditEntry.id).desc())
    ).all()
    return [_summary(code, _entries(code)) for code in codes if code]


@dataclass(frozen=True)
class Redemption:
    code: str
    amount: int
    currency: str
    balance: int  # left on the code after this redemption
    key: str
    replayed: bool  # True when the key had been used: nothing was spent this time


def redeem(code: str, amount: int, currency: str, key: str, reference: str = "") -> Redemption:
    """Spend `amount` of a code at checkout, once per `key`, never more than its balance."""
    code = normalise_code(code)
    key = key.strip()
    if not key or len(key) > 64:
        raise CreditError(str(_l("Give an idempotency key of 1 to 64 characters.")))
    entries = _entries(code, lock=True)
    if not entries:
        db.session.rollback()
        raise CreditError(str(_l("There is no store credit with that code.")), 404)
    earlier = db.session.scalar(select(StoreCreditEntry).where(StoreCreditEntry.key == key))
    if earlier is not None:
        db.session.rollback()
        if earlier.code != code or -earlier.amount != amount or earlier.kind != "redeem":
            raise CreditError(
                str(_l("That idempotency key was used for a different redemption.")), 409
            )
        return Redemption(code, amount, earlier.currency, _summary(code, entries).balance, key,
                          True)  # fmt: skip
    summary = _summary(code, entries)
    if currency.upper() != summary.currency:
        db.session.rollback()
        raise CreditError(
            str(_l("This credit is in %(currency)s.", currency=summary.currency)), 422
        )
    if amount <= 0:
        db.session.rollback()
        raise CreditError(str(_l("The amount must be positive.")))
    if summary.expired:
        db.session.rollback()
        raise CreditError(str(_l("This store credit has expired.")), 410)
    if amount > summary.balance:
        db.session.rollback()
        left = format_money(summary.balance, summary.currency)
        raise CreditError(str(_l("Only %(balance)s is left on this code.", balance=left)), 409)
    db.session.add(
        StoreCreditEntry(
            customer_email=summary.customer_email,
            kind="redeem",
            amount=-amount,
            currency=summary.currency,
            code=code,
            key=key,
            note=reference.strip()[:200],
        )
    )
    record_event("api", "credit.redeemed", "store_credit", code,
                 after={"amount": amount, "key": key, "reference": reference})  # fmt: skip
    try:
        db.session.commit()
    except IntegrityError:  # the same key at the same moment on another code: it won
        db.session.rollback()
        raise CreditError(
            str(_l("That idempotency key was used for a different redemption.")), 409
        ) from None
    return Redemption(code, amount, summary.currency, summary.balance - amount, key, False)


def expire(now: datetime | None = None) -> list[tuple[str, int, str]]:
    """Write off what is left on every expired code; return (code, amount, currency)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(StoreCreditEntry.code)
        .where(
            StoreCreditEntry.kind == "issue",
            StoreCreditEntry.expires_at.is_not(None),
            StoreCreditEntry.expires_at <= now,
        )
        .distinct()
    ).all()
    written_off: list[tuple[str, int, str]] = []
    for code in due:
        if code is None:
            continue
        summary = _summary(code, _entries(code, lock=True))
        if summary.balance <= 0 or db.session.scalar(
            select(StoreCreditEntry.id).where(StoreCreditEntry.key == f"expire:{code}")
        ):
            db.session.commit()
            continue
        db.session.add(
            StoreCreditEntry(
                customer_email=summary.customer_email,
                kind="expire",
                amount=-summary.balance,
                currency=summary.currency,
                code=code,
                key=f"expire:{code}",
            )
        )
        record_event("system", "credit.expired", "store_credit", code,
                     after={"amount": summary.balance})  # fmt: skip
        db.session.commit()
        written_off.append((code, summary.balance, summary.currency))
    return written_off
