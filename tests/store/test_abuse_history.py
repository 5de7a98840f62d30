"""The customer's history for the abuse rules, counted from the database, and a flagged
return's rules read back from its stored estimate (docs/policy.md "abuse")."""

from __future__ import annotations

import html
import json
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from returns_portal import policy
from returns_portal.api.schemas import EvaluationOut
from returns_portal.extensions import db
from returns_portal.orders.schemas import OrderIn
from returns_portal.orders.services import load_order, order_to_dict, upsert_order
from returns_portal.receiving import services as receiving
from returns_portal.receiving.models import Inspection, InspectionItem
from returns_portal.refunds.snapshots import breakdown_of, estimate_of
from returns_portal.returns.models import Return, ReturnItem, ReturnStatus
from returns_portal.returns.reasons import explain
from returns_portal.returns.services.links import signed_link_token
from returns_portal.store.models import PolicyVersion
from returns_portal.store.services import (
    active_policy,
    customer_history,
    dry_run,
    save_policy,
)
from returns_portal.types import utcnow
from tests.builders import open_portal_return, recent_order_document
from tests.refunds.conftest import INTACT_TEE

WORKER = "user:999 w@example.com"
EMAIL = "li.wei@example.com"


def set_abuse(abuse) -> policy.Policy:
    document = active_policy().document
    document["abuse"] = abuse
    save_policy(document, "test")
    return active_policy()


def an_order(number: str, email: str = EMAIL, **overrides) -> OrderIn:
    document = recent_order_document(number)
    document["email"] = email
    document.update(overrides)
    upsert_order(document)
    return OrderIn.model_validate(document)


def a_return(
    order_number: str,
    number: str,
    status: ReturnStatus = ReturnStatus.AWAITING_SHIPMENT,
    days_ago: int = 1,
    reason: str = "too_small",
    quantity: int = 1,
    line: str = "L1",
) -> Return:
    """Store a return in `status`, opened `days_ago` days ago."""
    order = load_order(order_number)
    assert order is not None
    lines = {line.line_ref: line for line in order.lines}
    rma = Return(
        number=number,
        order_id=order.id,
        method="label",
        status=status.value,
        requested_at=utcnow() - timedelta(days=days_ago),
    )
    rma.items.append(
        ReturnItem(
            order_line_id=lines[line].id, quantity=quantity, reason=reason, resolution="refund"
        )
    )
    db.session.add(rma)
    db.session.commit()
    return rma


def an_inspection(rma: Return, answers: dict[str, bool], completed: bool = True) -> None:
    inspection = Inspection(
        return_id=rma.id, inspector="w", completed_at=utcnow() if completed else None
    )
    db.session.add(inspection)
    db.session.flush()
    for item in rma.items:
        db.session.add(
            InspectionItem(
                inspection_id=inspection.id,
                return_item_id=item.id,
                received_qty=item.quantity,
                answers=answers,
            )
        )
    db.session.commit()


def history(rules: policy.Policy, order: OrderIn, before: Return | None = None):
    at = before.requested_at if before is not None else utcnow()
    return customer_history(rules, order, at, before)


EVERY_COUNT = {
    "returns_in_period": {"max_returns": 10, "within_days": 30},
    "value_in_period": {"max_value": 10**7, "within_days": 30},
    "share_returned": {"max_percent": 90, "min_orders": 1},
    "refuted_claims": {"max_refuted": 5, "within_days": 30},
}


# Counting ----------------------------------------------------------------------------------


def test_cancelled_rejected_and_expired_returns_do_not_count(session):
    rules = set_abuse(EVERY_COUNT)
    an_order("2001")
    this = an_order("2002")
    a_return("2001", "R-LIVE-01")
    for n, status in enumerate(
        (ReturnStatus.CANCELLED, ReturnStatus.REJECTED, ReturnStatus.EXPIRED)
    ):
        a_return("2001", f"R-VOID-0{n}", status)
    found = history(rules, this)
    assert found.returns == 1
    assert found.returned_value == 12900  # one T-shirt
    assert (found.other_orders, found.other_orders_returned) == (1, 1)


def test_only_the_period_and_the_customer_count(session):
    rules = set_abuse(EVERY_COUNT)
    an_order("2001")
    an_order("3001", email="someone.else@example.com")
    this = an_order("2002")
    a_return("2001", "R-OLD-001", days_ago=31)
    a_return("2001", "R-NEW-001", days_ago=29, line="L2")
    a_return("3001", "R-OTHR-01")
    found = history(rules, this)
    assert found.returns == 1
    assert found.returned_value == 19900  # the kettle, not the old T-shirt
    assert found.email == EMAIL
    assert found.address == "1 Nanjing Road, 200000"


def test_the_value_is_the_price_after_the_lines_own_discount(session):
    rules = set_abuse(EVERY_COUNT)
    document = recent_order_document("2001")
    document["lines"][0]["line_discount"] = 5800  # 2 × 12900 − 5800 = 20000
    document["email"] = EMAIL
    upsert_order(document)
    this = an_order("2002")
    a_return("2001", "R-DISC-01", quantity=1)
    assert history(rules, this).returned_value == 10000


def test_another_currency_than_the_stores_is_not_added_to_the_value(session):
    rules = set_abuse(EVERY_COUNT)
    an_order("2001", currency="EUR")
    this = an_order("2002")
    a_return("2001", "R-EURO-01")
    found = history(rules, this)
    assert (found.returns, found.returned_value, found.currency) == (1, 0, "CNY")


def test_refuted_claims_count_only_when_a_completed_inspection_refuted_them(session):
    rules = set_abuse(EVERY_COUNT)
    an_order("2001")
    this = an_order("2002")
    refuted = a_return("2001", "R-REF-001", ReturnStatus.REJECTED, reason="wrong_item")
    an_inspection(refuted, {"wrong_item_confirmed": False})  # counts, although rejected
    confirmed = a_return("2001", "R-CNF-001", ReturnStatus.INSPECTED, reason="wrong_item")
    an_inspection(confirmed, {"wrong_item_confirmed": True})
    unfinished = a_return("2001", "R-UNF-001", ReturnStatus.RECEIVED, reason="not_as_described")
    an_inspection(unfinished, {"not_as_described_confirmed": False}, completed=False)
    unanswered = a_return("2001", "R-UNA-001", ReturnStatus.INSPECTED, reason="not_as_described")
    an_inspection(unanswered, {})
    other = a_return("2001", "R-OTR-001", ReturnStatus.INSPECTED, reason="too_small")
    an_inspection(other, {"wrong_item_confirmed": False})  # not a claim it could refute
    assert history(rules, this).refuted_claims == 1


def test_a_return_decided_again_counts_only_the_returns_before_it(session):
    rules = set_abuse(EVERY_COUNT)
    this = an_order("2001")
    first = a_return("2001", "R-FRST-01", days_ago=3)
    decided = a_return("2001", "R-DCID-01", days_ago=2)
    a_return("2001", "R-LATR-01", days_ago=1)
    found = history(rules, this, before=decided)
    assert found.returns == 1
    assert found.returned_value == 12900
    assert first.id < decided.id


def count_statements(app):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", seen)


def test_the_history_takes_two_statements_and_none_without_rules_that_count(app, session):
    an_order("2001")
    this = an_order("2002")
    for n in range(5):
        a_return("2001", f"R-MANY-0{n}")
    counting = set_abuse(EVERY_COUNT)
    blocklist_only = set_abuse({"blocklist": {"emails": [EMAIL]}})
    store_currency_read = 1  # the store's currency, for the money thresholds
    statements, stop = count_statements(app)
    try:
        history(counting, this)
        assert len(statements) == 2 + store_currency_read, statements
        statements.clear()
        history(blocklist_only, this)
        assert statements == []
    finally:
        stop()


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="query plans are PostgreSQL's",
)
def test_the_history_reads_every_table_through_an_index(app, session):
    an_order("2001")
    this = an_order("2002")
    a_return("2001", "R-PLAN-01", reason="wrong_item")
    rules = set_abuse(EVERY_COUNT)
    captured: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, *args):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        history(rules, this)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    counting = [(q, p) for q, p in captured if "return_items" in q]
    assert len(counting) == 2
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    for statement, parameters in counting:
        plan = "\n".join(
            row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        )
        assert "Seq Scan" not in plan, plan


# A flagged return, end to end ----------------------------------------------------------------


def page_of(app, rma: Return) -> str:
    with app.test_request_context():
        token = signed_link_token(rma)
    answer = app.test_client().get(f"/returns/{rma.number}?t={token}")
    assert answer.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


def test_a_flagged_return_keeps_its_rules_and_figures_and_the_customer_sees_neither(app, session):
    set_abuse({"returns_in_period": {"max_returns": 1, "within_days": 90}})
    an_order("1001")
    an_order("1002")
    a_return("1002", "R-PREV-01", days_ago=10)
    a_return("1002", "R-GONE-01", ReturnStatus.CANCELLED, days_ago=5)  # does not count
    rma = open_portal_return("1001", items=(("L1", 1, "too_small", "refund"),))
    assert rma.status == ReturnStatus.NEEDS_REVIEW
    (flag,) = estimate_of(rma.estimate).abuse
    assert flag.code == "returns_in_period"
    assert flag.thresholds == {"max_returns": 1, "within_days": 90}
    assert flag.figures == {"returns": 2}
    with app.test_request_context():
        sentence = explain(flag.why)
    assert sentence == (
        "With this one the customer has made 2 returns in the last 90 days, more than the 1 "
        "the shop allows before a person checks the return."
    )
    page = page_of(app, rma)
    assert "Being checked by our team" in page
    assert "returns in the last" not in page and "returns_in_period" not in page


def test_a_return_that_fires_nothing_stores_an_empty_list(session):
    set_abuse({"returns_in_period": {"max_returns": 1, "within_days": 90}})
    an_order("1001")
    rma = open_portal_return("1001", items=(("L1", 1, "too_small", "refund"),))
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT
    assert rma.estimate["abuse"] == [] and estimate_of(rma.estimate).abuse == []


def test_a_return_stored_before_the_rule_set_reads_its_rule_from_its_reason(session):
    old = {
        "needs_review": True,
        "reasons": [
            {
                "code": "abuse_review",
                "message": policy.reasons.ABUSE_REVIEW,
                "params": {"count": 5, "days": 90},
                "text": "",
            }
        ],
    }
    (flag,) = estimate_of(old).abuse
    assert flag.code == "returns_in_period"
    assert flag.figures == {"earlier_returns": 5} and flag.thresholds == {"within_days": 90}
    assert flag.why.text.startswith("This customer made 5 returns in the last 90 days")


def inspect_claim(rma: Return, refuted: bool):
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    (expected,) = receiving.expected_items(inspection)
    codes = [q.code for q in receiving.questions_for(inspection, expected)]
    assert codes[-1] == "wrong_item_confirmed"
    answers = {**INTACT_TEE, "wrong_item_confirmed": not refuted}
    receiving.record_inspection(inspection, expected.finding, answers, "A", None, "", "", 0, WORKER)
    return receiving.complete_inspection(inspection, WORKER)


def test_a_claim_refuted_at_inspection_flags_the_customers_next_return(session):
    set_abuse({"refuted_claims": {"max_refuted": 0, "within_days": 365}})
    an_order("1001")
    an_order("1002")
    first = open_portal_return("1001", items=(("L1", 1, "wrong_item", "refund"),))
    assert first.status == ReturnStatus.AWAITING_SHIPMENT
    refund = inspect_claim(first, refuted=True)
    # Refuted at this very inspection: the refund waits for a person.
    (flag,) = breakdown_of(refund.breakdown).abuse
    assert (flag.code, flag.figures) == ("refuted_claims", {"refuted": 1})
    assert refund.status != "succeeded"
    second = open_portal_return("1002", items=(("L1", 1, "too_small", "refund"),))
    assert second.status == ReturnStatus.NEEDS_REVIEW
    (flag,) = estimate_of(second.estimate).abuse
    assert flag.figures == {"refuted": 1}


def test_a_claim_the_inspection_confirmed_flags_nothing(session):
    set_abuse({"refuted_claims": {"max_refuted": 0, "within_days": 365}})
    an_order("1001")
    an_order("1002")
    first = open_portal_return("1001", items=(("L1", 1, "wrong_item", "refund"),))
    refund = inspect_claim(first, refuted=False)
    assert breakdown_of(refund.breakdown).abuse == []
    second = open_portal_return("1002", items=(("L1", 1, "too_small", "refund"),))
    assert second.status == ReturnStatus.AWAITING_SHIPMENT


def test_at_inspection_the_return_does_not_count_itself(session):
    set_abuse({"returns_in_period": {"max_returns": 1, "within_days": 90}})
    an_order("1001")
    rma = open_portal_return("1001", items=(("L1", 1, "too_small", "refund"),))
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    (expected,) = receiving.expected_items(inspection)
    receiving.record_inspection(
        inspection, expected.finding, INTACT_TEE, "A", None, "", "", 0, WORKER
    )
    refund = receiving.complete_inspection(inspection, WORKER)
    breakdown = breakdown_of(refund.breakdown)
    assert breakdown.abuse == [] and breakdown.needs_review is False


def test_a_first_shape_policy_version_still_flags_as_before(session):
    document = active_policy().document
    document["abuse"] = {"max_returns": 1, "within_days": 90}  # as stored before the rule set
    db.session.add(
        PolicyVersion(
            version=1,
            pack="cn-7day",
            document=document,
            digest="0" * 64,
            active=True,
            created_by="test",
        )
    )
    db.session.commit()
    assert active_policy().abuse.returns_in_period == policy.abuse.ReturnsInPeriod(1, 90)
    an_order("1001")
    an_order("1002")
    a_return("1002", "R-PREV-01", days_ago=10)
    rma = open_portal_return("1001", items=(("L1", 1, "too_small", "refund"),))
    assert rma.status == ReturnStatus.NEEDS_REVIEW
    assert [f.code for f in estimate_of(rma.estimate).abuse] == ["returns_in_period"]


# The dry run ------------------------------------------------------------------------------------

WATCHFUL = {
    "returns_in_period": {"max_returns": 1, "within_days": 90},
    "high_value_line": {"above": 10000},
    "blocklist": {"addresses": ["1 nanjing road 200000"]},
}


def dry_run_input(order_number: str = "1001") -> dict:
    return {
        "order_number": order_number,
        "return": {"lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]},
        "policy": {"abuse": WATCHFUL},
    }


def test_the_dry_run_counts_the_stored_customers_history(session):
    an_order("1001")
    an_order("1002")
    a_return("1002", "R-PREV-01")
    evaluation, _ = dry_run(dry_run_input())
    assert evaluation.needs_review
    assert [(f.code, dict(f.figures)) for f in evaluation.abuse] == [
        ("returns_in_period", {"returns": 2}),
        (
            "high_value_line",
            {"line_id": "L1", "sku": "APP-TEE-BLK-M", "value": policy.Money(12900, "CNY")},
        ),
        ("blocklist", {"address": "1 Nanjing Road, 200000"}),
    ]


def test_the_dry_run_of_an_inline_order_counts_its_customers_history(session):
    an_order("1002")
    a_return("1002", "R-PREV-01")
    payload = dry_run_input()
    del payload["order_number"]
    payload["order"] = order_to_dict(load_order("1002")) | {"number": "9999"}
    evaluation, _ = dry_run(payload)
    assert evaluation.abuse[0].figures == {"returns": 2}


def test_flask_policy_explain_names_each_fired_rule_with_its_figures(cli, tmp_path, session):
    an_order("1001")
    an_order("1002")
    a_return("1002", "R-PREV-01")
    path = tmp_path / "dry-run.json"
    path.write_text(json.dumps(dry_run_input()), encoding="utf-8")
    report = cli.invoke(args=["policy", "explain", str(path)])
    assert report.exit_code == 0, report.output
    assert "Review\n" in report.output
    assert (
        "  - abuse rule returns_in_period: With this one the customer has made 2 returns in the "
        "last 90 days" in report.output
    )
    assert (
        "  - abuse rule high_value_line: The returned APP-TEE-BLK-M (L1) is worth CNY 129.00, "
        "more than CNY 100.00" in report.output
    )
    assert "  - abuse rule blocklist: The customer's address 1 Nanjing Road, 200000" in (
        report.output
    )
    answer = cli.invoke(args=["policy", "explain", "--json", str(path)])
    flags = json.loads(answer.output)["abuse"]
    assert [f["code"] for f in flags] == ["returns_in_period", "high_value_line", "blocklist"]
    assert flags[0]["thresholds"] == {"max_returns": 1, "within_days": 90}
    assert flags[0]["figures"] == {"returns": 2}


def test_the_api_dry_run_reports_the_fired_rules_as_documented(client, auth, session):
    an_order("1001")
    an_order("1002")
    a_return("1002", "R-PREV-01")
    response = client.post("/api/v1/policy/evaluate", json=dry_run_input(), headers=auth)
    assert response.status_code == 200, response.json
    evaluation = EvaluationOut.model_validate_json(response.get_data())
    assert evaluation.needs_review
    assert [f.code for f in evaluation.abuse] == [
        "returns_in_period",
        "high_value_line",
        "blocklist",
    ]
    assert evaluation.abuse[1].figures["value"] == {"amount": 12900, "currency": "CNY"}
    assert evaluation.abuse[1].thresholds == {"above": {"amount": 10000, "currency": "CNY"}}


def test_the_api_refuses_bad_rule_values_field_by_field(client, auth, session):
    an_order("1001")
    payload = dry_run_input()
    payload["policy"] = {"abuse": {"share_returned": {"max_percent": "half"}}}
    response = client.post("/api/v1/policy/evaluate", json=payload, headers=auth)
    assert response.status_code == 422
    assert response.json["errors"] == {
        "policy.abuse.share_returned.max_percent": ["must be an integer"]
    }


@pytest.mark.parametrize("path", ["docs/examples/policy-demo.json"])
def test_the_documented_example_policy_loads_with_its_abuse_rules(path):
    from pathlib import Path

    document = json.loads((Path(__file__).parents[2] / path).read_text(encoding="utf-8"))
    rules = policy.load_policy(document).abuse
    assert rules.returns_in_period is not None and rules.needs_history


def test_the_figures_read_back_typed_and_text_exactly_as_written():
    stored = {
        "abuse": [
            {
                "code": "blocklist",
                "thresholds": {"above": {"amount": 100, "currency": "CNY"}},
                "figures": {"address": "APT 12", "returns": 3},
                "reason": {"code": "abuse_blocklist", "message": "{address}", "params": {}},
            }
        ]
    }
    (flag,) = estimate_of(stored).abuse
    assert flag.thresholds == {"above": policy.Money(100, "CNY")}
    assert flag.figures == {"address": "APT 12", "returns": 3}
    assert flag.params == {"above": policy.Money(100, "CNY"), "address": "APT 12", "returns": 3}


def test_a_dry_run_asked_about_the_first_days_of_year_one_still_counts(session):
    an_order("1001")
    payload = dry_run_input()
    payload["return"]["requested_at"] = "0001-01-02T00:00:00+00:00"
    payload["policy"] = {"abuse": EVERY_COUNT}
    evaluation, _ = dry_run(payload)
    # Nothing returned before then; this order is the customer's one order, and returned.
    assert [f.code for f in evaluation.abuse] == ["share_returned"]
