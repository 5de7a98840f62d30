"""Every cent of a return is conserved, from the policy's total to the money that moves.

Hypothesis builds orders (lines, quantities, prices in minor units, line and order
discounts, tax, delivery, free gifts, parcels signed for on different days) in CNY, EUR and
the zero-decimal JPY and VND, a policy (cn-7day or eu-14day with fees, windows, bonus and
approval rules) and a return (items, quantities, reasons, refund / store credit / exchange,
a drop-off method), then drives them through the services the pages call: the customer opens
the return, the warehouse receives, scans and inspects it (short counts, failed checks,
diminished value, gifts missing), the inspection is completed, finance approves and the money
is paid through the in-process fake gateway (the one tests/refunds/test_gateway_contract.py
holds to Stripe's behaviour; localstripe would make the run ten times slower).

For every return:
- the policy's total = the settlement's parts (card + store credit - charge + new items);
- each part = what moved: refunds at the provider, the store-credit ledger, the charge;
- the customer's return page, the finance page and the refunds CSV show those figures.

The examples are seeded (derandomize) and bounded; MONEY_MAX_EXAMPLES raises the count:
    MONEY_MAX_EXAMPLES=3000 .venv/bin/python -m pytest tests/refunds/test_money_conservation.py
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import get_currency_precision
from flask_babel import force_locale, gettext
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from returns_portal import policy
from returns_portal.accounts.models import User
from returns_portal.accounts.services import create_user
from returns_portal.extensions import db, limiter
from returns_portal.filters import money
from returns_portal.orders.models import StockLevel
from returns_portal.orders.services import upsert_order
from returns_portal.policy.decisions import decide_line
from returns_portal.receiving import services as receiving
from returns_portal.refunds import services as refunds
from returns_portal.refunds.forms import METHOD_LABELS
from returns_portal.refunds.gateway import PAID, payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus, StoreCreditEntry
from returns_portal.refunds.settlement import PART_OF_METHOD, part_entries
from returns_portal.returns.models import ReturnStatus
from returns_portal.returns.services import (
    exchange_options,
    line_choices,
    load_customer_order,
    order_context,
)
from returns_portal.returns.services.links import signed_link_token
from returns_portal.store.services import save_policy
from returns_portal.types import utcnow
from tests.builders import open_portal_return
from tests.conftest import BoundSession
from tests.refunds.conftest import PASSWORD

MAX_EXAMPLES = int(os.environ.get("MONEY_MAX_EXAMPLES", "200"))
CONSERVED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same examples on every run and machine: a failure reproduces
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
WORKER = "user:7 warehouse@example.com"
CURRENCIES = ("CNY", "EUR", "JPY", "VND")
LANGUAGES = ("en", "zh_Hans", "es", "ro")
CATEGORIES = ("apparel", "electronics", "home", "toys", "cosmetics", "other")
ANSWER = st.sampled_from([True] * 9 + [False])  # most checks pass
NUMBERS = itertools.count(1)
LONGER = dict.fromkeys(CATEGORIES, 30)  # the shop's 30 days for everything: fees apply after 7


def scale(currency: str) -> int:
    """Minor units per major unit, as ISO 4217 (and so the reader) counts them."""
    return int(10 ** get_currency_precision(currency))


def to_minor(text: str, currency: str) -> int:
    """Read an amount the reader sees in major units (12.34) back into minor units."""
    value = Decimal(text) * scale(currency)
    assert value == value.to_integral_value(), f"{text} {currency} is not a whole minor unit"
    return int(value)


# --- what Hypothesis builds --------------------------------------------------------------


@st.composite
def order_documents(draw) -> dict[str, Any]:
    """An order document as the shop sends it, with the gateway's payment still to attach."""
    currency = draw(st.sampled_from(CURRENCIES))
    unit = 1 if scale(currency) == 1 else 100  # keep amounts in a plausible range
    count = draw(st.integers(min_value=1, max_value=4))
    lines: list[dict[str, Any]] = []
    for i in range(count):
        quantity = draw(st.integers(min_value=1, max_value=3))
        if i > 0 and draw(st.integers(min_value=0, max_value=2)) == 0:
            lines.append({
                "line_id": f"L{i}", "sku": f"GIFT-{i}", "name": f"Free gift {i}",
                "category": "gift", "quantity": quantity, "unit_price": 0, "line_discount": 0,
                "gift_of": "L0", "gift_value": draw(st.integers(0, 30)) * unit,
            })  # fmt: skip
            continue
        price = draw(st.integers(min_value=1, max_value=600)) * unit + draw(st.integers(0, 99))
        lines.append({
            "line_id": f"L{i}", "sku": f"SKU-{i}", "name": f"Item {i}",
            "category": draw(st.sampled_from(CATEGORIES)), "quantity": quantity,
            "unit_price": price, "product_group": f"GROUP-{i}",
            "line_discount": draw(st.sampled_from([0, 0, draw(st.integers(0, price * quantity))])),
            "tax": draw(st.sampled_from([0, 0, draw(st.integers(0, 40 * unit))])),
        })  # fmt: skip
    goods = sum(x["unit_price"] * x["quantity"] - x["line_discount"] for x in lines)
    discount = draw(st.sampled_from([0, 0, draw(st.integers(0, goods))]))
    shipping = draw(st.sampled_from([0, 0, 10 * unit, draw(st.integers(0, 20 * unit))]))
    now = utcnow()
    # Two parcels, signed for some days ago (some lines may be out of their window).
    days = st.sampled_from([1, 2, 4, 6, 8, 9, 11, 13, 15, 17])
    signed = [now - timedelta(days=draw(days), hours=draw(st.integers(0, 23))) for _ in range(2)]
    parcels: dict[int, dict[str, int]] = {0: {}, 1: {}}
    for line in lines:
        parcels[draw(st.integers(0, 1))][line["line_id"]] = line["quantity"]
    return {
        "number": f"M{next(NUMBERS):06d}",
        "email": "money@example.com",
        "customer_name": "Li Wei",
        "postal_code": "200000",
        "country": "CN",
        "currency": currency,
        "placed_at": (now - timedelta(days=20)).isoformat(),
        "order_discount": discount,
        "coupon_code": "WELCOME" if discount else None,
        "shipping_paid": shipping,
        "standard_shipping": draw(st.sampled_from([shipping, 10 * unit, 0])),
        "free_shipping_threshold": draw(st.sampled_from([None, goods // 3, goods // 2, goods])),
        "withdrawal_info_given": draw(st.sampled_from([True, True, False])),
        "return_costs_disclosed": draw(st.booleans()),
        "lines": lines,
        "parcels": [
            {"parcel_id": f"P{n}", "delivered_at": signed[n].isoformat(), "lines": held}
            for n, held in parcels.items()
            if held
        ],
        "shipping_address": {"name": "Li Wei", "line1": "1 Nanjing Road", "city": "Shanghai",
                             "postal_code": "200000", "country": "CN"},
    }  # fmt: skip


@st.composite
def policy_documents(draw, currency: str) -> dict[str, Any]:
    """A merchant policy over one of the packs; never below the law (save_policy checks)."""
    unit = 1 if scale(currency) == 1 else 100
    pack = draw(st.sampled_from(["cn-7day", "eu-14day"]))
    days = policy.PACKS[pack].days
    fee = draw(
        st.sampled_from([None, {"percent": draw(st.integers(1, 30))},
                         {"fixed": draw(st.integers(1, 30)) * unit}])
    )  # fmt: skip
    return {
        "pack": pack,
        "timezone": "Asia/Shanghai" if pack == "cn-7day" else "Europe/Berlin",
        "windows": {"categories": draw(st.sampled_from([{}, {"apparel": 30}, LONGER])),
                    "products": {}},
        "defect": {"window_days": draw(st.sampled_from([days, 30])), "photos_required": False},
        "restocking_fee": {"categories": {}, "default": fee},
        "return_shipping": {
            "paid_by": draw(st.sampled_from(["customer", "customer", "merchant"])),
            "label_cost": draw(st.integers(0, 15)) * unit,
            "free_above": draw(st.sampled_from([None, None, 300 * unit])),
        },
        "resolutions": {
            "allowed": ["refund", "store_credit", "exchange"],
            "store_credit_bonus_percent": draw(st.sampled_from([0, 5, 10, 13])),
            "exchange_only_categories": draw(st.sampled_from([[], ["toys"]])),
        },
        "approval": {
            "auto_approve_below": draw(st.sampled_from([None, 100 * unit])),
            "two_approvers_above": draw(st.sampled_from([None, 500 * unit])),
        },
    }  # fmt: skip


# --- running one example in a transaction of its own --------------------------------------


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint of the test's connection, rolled back afterwards."""
    outer = db.session
    connection = outer.get_bind()
    savepoint = connection.begin_nested()
    db.session = db._make_scoped_session(
        {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
    )
    try:
        yield
    finally:
        db.session.remove()
        db.session = outer
        savepoint.rollback()


@dataclass(frozen=True)
class Staff:
    finance: int
    finance2: int


def paid_order(document: dict[str, Any]) -> str:
    """Capture the order's total at the gateway and store the order; return the payment."""
    total = (
        sum(x["unit_price"] * x["quantity"] - x["line_discount"] + x.get("tax", 0)
            for x in document["lines"])
        - document["order_discount"]
        + document["shipping_paid"]
    )  # fmt: skip
    assume(total > 0)
    payment = payment_gateway().create_payment(total, document["currency"], {})
    document["payments"] = [{"reference": payment.reference, "amount": payment.amount}]
    upsert_order(document)
    return payment.reference


def other(group: str) -> str:
    """The product group of another product than `group`'s, for exchanges into it."""
    return f"{group}-OTHER"


def choose_items(data, document: dict[str, Any]) -> tuple[list[tuple], dict[str, str]]:
    """Pick what the customer returns, the way the pages allow: only what the policy accepts."""
    order = load_customer_order(document["number"])
    assert order is not None
    context = order_context(order)
    now = utcnow()
    items: list[tuple[str, int, str, str]] = []
    exchanges: dict[str, str] = {}
    for choice in line_choices(context, now):
        decision = choice.decision
        if not decision.eligible or not decision.remaining_qty or not data.draw(st.booleans()):
            continue
        reasons = sorted(decision.allowed_reasons)
        no_fault = [r for r in reasons if r not in policy.FAULT_REASONS]
        if no_fault and data.draw(st.integers(0, 3)):  # mostly a change of mind
            reasons = no_fault
        reason = data.draw(st.sampled_from(reasons), "reason")
        line = context.facts.line(choice.line.line_ref)
        decided = decide_line(context.facts, line, context.rules, now,
                              context.previously_returned, reason)  # fmt: skip
        options = [s for s in exchange_options(choice.line) if s.available >= 1]
        if choice.line.product_group:
            # The pages offer variants of the same product only; the services also price
            # another product, so the money of those exchanges is checked here too.
            options += db.session.scalars(
                select(StockLevel).where(
                    StockLevel.product_group == other(choice.line.product_group),
                    StockLevel.on_hand >= 1,
                )
            ).all()
        allowed = [r for r in decided.allowed_resolutions
                   if r != policy.Resolution.EXCHANGE or options]  # fmt: skip
        if not decided.eligible or not allowed:
            continue
        resolution = data.draw(st.sampled_from(allowed), "resolution")
        quantity = data.draw(st.integers(1, decision.remaining_qty), "quantity")
        if resolution == policy.Resolution.EXCHANGE:
            options = [s for s in options if s.available >= quantity]
            if not options:
                continue
            exchanges[choice.line.line_ref] = data.draw(st.sampled_from(options)).sku
        items.append((choice.line.line_ref, quantity, reason.value, resolution.value))
    return items, exchanges


def inspect(data, rma) -> None:
    """Receive, count in and inspect every item, with what Hypothesis says was found."""
    inspection = receiving.receive_parcel(rma, WORKER)
    for expected in receiving.expected_items(inspection):
        announced = expected.item.quantity
        received = data.draw(st.sampled_from([announced] * 3 + list(range(announced))), "received")
        for _ in range(received):
            receiving.scan_item(inspection, expected.line.sku, WORKER)
    for expected in receiving.expected_items(inspection):
        if not expected.finding.received_qty and data.draw(st.booleans()):
            continue  # nothing came: the worker need not inspect it
        answers = {
            q.code: data.draw(ANSWER, q.code) for q in receiving.questions_for(inspection, expected)
        }
        worth = expected.line.unit_price * expected.item.quantity
        diminished = data.draw(st.sampled_from([0, 0, 0, data.draw(st.integers(0, worth))]))
        grade = data.draw(st.sampled_from(receiving.GRADES), "grade")
        receiving.record_inspection(
            inspection, expected.finding, answers, grade, None, "", "", diminished, WORKER
        )
    receiving.complete_inspection(inspection, WORKER)


def approve_all(rma, staff: Staff) -> list[Refund]:
    """Finance approves every part that moves money, with a second approver where needed."""
    for row in refunds.return_refunds(rma.id):
        for user_id in (staff.finance, staff.finance2):
            current = db.session.get(Refund, row.id)
            assert current is not None
            if current.status != RefundStatus.PROPOSED:
                break
            user = db.session.get(User, user_id)
            assert user is not None
            refunds.approve_refund(row.id, user)
    rows = refunds.return_refunds(rma.id)
    for row in rows:
        db.session.refresh(row)
    return rows


# --- reading the figures back -----------------------------------------------------------


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def formatted(lang: str, amount: int, currency: str) -> str:
    """The app's own money filter, in the page's language."""
    with force_locale(lang):
        return " ".join(money(amount, currency).split())


def translated(lang: str, message: str, **params: str) -> str:
    """The app's own translation, in the page's language."""
    with force_locale(lang):
        return " ".join(gettext(message, **params).split())


def check_conservation(rows: list[Refund], reference: str) -> dict[str, Any]:
    """The policy's total, the settlement's parts and the money that moved all agree."""
    breakdown = rows[0].breakdown
    money_ = breakdown["refund"]
    parts = breakdown["settlement"]
    total = money_["total"]
    lines = sum(x["items"] + x["tax"] for x in money_["lines"])
    assert total == lines + money_["shipping"] - sum(d["amount"] for d in money_["deductions"])
    assert total >= 0 and all(d["amount"] >= 0 for d in money_["deductions"])
    assert min(parts["card"], parts["credit"], parts["charge"], parts["bonus"]) >= 0
    assert parts["card"] + parts["credit"] - parts["charge"] + parts["exchange_price"] == total, (
        f"the parts {parts} do not add up to the policy's total {total}"
    )
    assert all(row.breakdown == breakdown for row in rows)
    by_method = {row.method: row for row in rows}
    assert len(by_method) == len(rows)
    for method, key in PART_OF_METHOD.items():
        row = by_method.get(method)
        assert (row.amount if row else 0) == parts[key], f"{method} row vs settlement {parts}"

    gateway = payment_gateway()
    card = by_method.get("original_payment")
    sent = sum(r.amount for r in gateway.list_refunds(reference) if r.status == PAID)
    if card is not None:  # a zero card part too is settled, without the provider
        assert card.status == RefundStatus.SUCCEEDED, (card.status, card.failure_message)
    assert sent == (card.amount if card is not None else 0)
    credit = by_method.get("store_credit")
    issued = {"issue": 0, "bonus": 0}
    if credit is not None:
        assert credit.status == RefundStatus.SUCCEEDED, (credit.status, credit.failure_message)
        for entry in db.session.scalars(
            select(StoreCreditEntry).where(StoreCreditEntry.refund_id == credit.id)
        ):
            issued[entry.kind] += entry.amount
    assert issued == {"issue": parts["credit"], "bonus": parts["bonus"]}
    charge = by_method.get("exchange_charge")
    if charge is not None:
        assert charge.status == RefundStatus.SUCCEEDED, (charge.status, charge.failure_message)
        taken = gateway.get_payment(charge.provider_refund_id or "")
        assert taken is not None and taken.amount == parts["charge"] == charge.amount
    return parts


def check_customer_page(client, lang, rma, rows, parts) -> None:
    """The customer's return page shows each part, its bonus and the credit's balance."""
    page = client.get(f"/returns/{rma.number}?t={signed_link_token(rma)}&lang={lang}")
    assert page.status_code == 200
    currency = rows[0].currency
    shown = [text_of(x) for x in re.findall(r'<p class="big">(.*?)</p>', page.text, re.S)]
    expected = []
    for row in rows:
        want = formatted(lang, row.amount, currency)
        if row.method == "exchange_charge" and row.status != RefundStatus.SUCCEEDED:
            want = f"{translated(lang, 'To pay:')} {want}"
        if row.method == "store_credit" and parts["bonus"]:
            bonus = formatted(lang, parts["bonus"], currency)
            want += " + " + translated(lang, "bonus %(amount)s", amount=bonus)
        expected.append(want)
    assert shown == expected
    balances = re.findall(r'<span class="mono">SC-[^<]*</span> · ([^·<]*)', page.text)
    if parts["credit"]:
        left = formatted(lang, parts["credit"] + parts["bonus"], currency)
        assert [text_of(b) for b in balances] == [translated(lang, "%(left)s left", left=left)]
    else:
        assert balances == []


def check_finance_pages(client, lang, rows, parts) -> None:
    """Each part's finance page shows its amount, the policy's total, the parts and the bonus."""
    money_ = rows[0].breakdown["refund"]
    currency = rows[0].currency
    for row in rows:
        page = client.get(f"/finance/refunds/{row.id}?lang={lang}")
        assert page.status_code == 200
        big = re.search(r'<p class="big" data-amount>(.*?)</p>', page.text, re.S)
        assert big is not None
        assert text_of(big.group(1)) == formatted(lang, row.amount, currency)
        label = re.escape(translated(lang, "Total by the policy"))
        total = re.search(rf'<th scope="row">{label}</th><td>(.*?)</td>', page.text)
        assert total is not None
        assert text_of(total.group(1)) == formatted(lang, money_["total"], currency)
        moves = page.text.split("<h3>", 1)[1].split("</table>", 1)[0]
        for method, key in PART_OF_METHOD.items():
            if not parts[key] and method != row.method:
                continue
            with force_locale(lang):
                name = re.escape(" ".join(str(METHOD_LABELS[method]).split()))
            found = re.search(rf'<th scope="row">{name}(.*?)</th>\s*<td>(.*?)</td>', moves, re.S)
            assert found is not None, f"no {method} row on the finance page"
            assert text_of(found.group(2)) == formatted(lang, parts[key], currency)
            if method == "store_credit" and parts["bonus"]:
                bonus = formatted(lang, parts["bonus"], currency)
                assert translated(lang, "(+ %(amount)s bonus)", amount=bonus) in text_of(
                    found.group(1)
                )
        # The bonus sentence names the bonus issued, as the page writes money.
        sentence = translated(lang, policy.reasons.STORE_CREDIT_BONUS)
        before, _, after = (re.escape(x) for x in sentence.partition("{amount}"))
        named = re.findall(rf"{before}(.+?){after}(?=\s|$)", text_of(page.text))
        bonus = [formatted(lang, parts["bonus"], currency)] if parts["bonus"] else []
        assert named == bonus, "the bonus sentence names another amount than the one issued"


def check_csv(client, rows) -> None:
    """The CSV's rows of each part add up to it, under the right labels and amounts."""
    today = utcnow().date()
    body = client.get(
        f"/finance/exports/refunds.csv?from={today - timedelta(days=1)}"
        f"&to={today + timedelta(days=1)}"
    )
    assert body.status_code == 200
    found = list(csv.DictReader(io.StringIO(body.data.decode("utf-8-sig"))))
    money_ = rows[0].breakdown["refund"]
    reasons = {(d["code"], d["line_id"]): d["reason"]["text"] for d in money_["deductions"]}
    for row in rows:
        mine = [r for r in found if r["refund_key"] == row.key]
        assert mine, f"no CSV rows for the {row.method} part"
        assert {(r["method"], r["currency"]) for r in mine} == {(row.method, row.currency)}
        assert sum(to_minor(r["amount"], row.currency) for r in mine) == row.amount
        codes = {d["code"] for d in money_["deductions"]}
        for r in mine:
            code = r["line_or_deduction"]
            if code in codes:
                assert r["description"] in {t for (c, _l), t in reasons.items() if c == code}
            assert code != "adjustment", "nobody adjusted this refund"
            if "exchange" in r["description"].lower():
                assert any(x["resolution"] == "exchange" for x in money_["lines"]), (
                    f"{code} is labelled {r['description']!r}, but nothing was exchanged"
                )


# --- the property ----------------------------------------------------------------------


@pytest.fixture
def staff(session) -> Staff:
    one = create_user("fin-money@example.com", PASSWORD, "finance")
    two = create_user("fin-money2@example.com", PASSWORD, "finance")
    return Staff(one.id, two.id)


def test_every_cent_of_a_return_is_conserved_and_shown_as_stored(client, staff):
    limiter.reset()
    login = client.post("/staff/login", data={"email": "fin-money@example.com",
                                              "password": PASSWORD})  # fmt: skip
    assert login.status_code == 302

    @CONSERVED
    @given(data=st.data())
    def example(data):
        document = data.draw(order_documents(), "order")
        rules = data.draw(policy_documents(document["currency"]), "policy")
        lang = data.draw(st.sampled_from(LANGUAGES), "language")
        with rolled_back():
            limiter.reset()
            save_policy(rules, "test")
            reference = paid_order(document)
            for line in document["lines"]:
                if line.get("product_group"):
                    # Another variant (it costs what was paid, whatever its list price) and
                    # another product: dearer, cheaper, the same, or unpriced (like for like).
                    price = line["unit_price"]
                    prices = st.sampled_from([price * 2, price // 2, price, 0])
                    db.session.add_all([
                        StockLevel(sku=f"X-{line['sku']}", product_group=line["product_group"],
                                   name="Other variant", on_hand=5, unit_price=data.draw(prices)),
                        StockLevel(sku=f"Y-{line['sku']}", product_group=other(line["product_group"]),
                                   name="Other product", on_hand=5, unit_price=data.draw(prices),
                                   currency=document["currency"]),
                    ])  # fmt: skip
            db.session.commit()
            items, exchanges = choose_items(data, document)
            assume(items)
            rma = open_portal_return(
                document["number"],
                items=tuple(items),
                method=data.draw(st.sampled_from(["label", "qr_dropoff"]), "method"),
                exchanges=exchanges,
            )
            assert rma.status == ReturnStatus.AWAITING_SHIPMENT
            inspect(data, rma)
            rows = approve_all(rma, Staff(staff.finance, staff.finance2))
            parts = check_conservation(rows, reference)
            check_customer_page(client, lang, rma, rows, parts)
            check_finance_pages(client, lang, rows, parts)
            check_csv(client, rows)
            seen.update(features(document, rules, rma, rows, parts))

    seen: Counter[str] = Counter()
    example()
    # What the run went through, for whoever raises MONEY_MAX_EXAMPLES (pytest -s shows it).
    print(f"\n{seen['returns']} returns settled:", dict(sorted(seen.items())))
    assert seen["returns"] >= min(MAX_EXAMPLES, 20) // 2


def features(document, rules, rma, rows, parts) -> Iterator[str]:
    """Name what one example exercised."""
    yield "returns"
    yield f"currency {document['currency']}"
    yield f"pack {rules['pack']}"
    money_ = rows[0].breakdown["refund"]
    resolutions = {line["resolution"] for line in money_["lines"]}
    yield from (f"resolution {r}" for r in resolutions)
    yield from (f"deduction {d['code']}" for d in money_["deductions"])
    credit = part_entries(money_, parts["exchange_prices"], "credit")
    if any((code != "line" and line_id is None) or code == "exchange_new_items"
           for code, line_id, _amount in credit):  # fmt: skip
        yield "store credit pays what the card part owes"
    if parts["charge"] and any(
        line["resolution"] == "store_credit" and line["items"] + line["tax"]
        for line in money_["lines"]
    ):
        yield "a charge that used up the credit due"
    if any(line.get("gift_of") for line in document["lines"]):
        yield "order with a gift"
    if any(item.line.gift_of for item in rma.items):
        yield "gift returned as a line"
    for row in rows:
        yield f"part {row.method}" if row.amount else "zero card part"
    if parts["bonus"]:
        yield "bonus"
    if parts["exchange_price"] and parts["credit"] and "exchange" in resolutions:
        yield "exchange and store credit together"
    if document["order_discount"]:
        yield "order discount"
    if any(r.status == RefundStatus.SUCCEEDED and not r.approvals for r in rows):
        yield "auto-approved"
    if any(len(r.approvals) == 2 for r in rows):
        yield "two approvers"
