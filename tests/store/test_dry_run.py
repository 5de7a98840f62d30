"""The policy dry run: `flask policy explain` and POST /api/v1/policy/evaluate."""

from __future__ import annotations

import json

import pytest

from returns_portal import policy
from returns_portal.orders.services import parse_order, upsert_order
from returns_portal.store.services import DryRunInvalid, dry_run, order_facts
from tests.builders import make_order, make_return

# Delivered 3 Nov (L1) and 5 Nov (L2, L3) in Shanghai: L1's 7-day window ends 10 Nov.
INSIDE = "2026-11-09T12:00:00+08:00"
OUTSIDE = "2026-11-11T00:00:01+08:00"


def request(*lines, at=INSIDE, **extra):
    return {"requested_at": at, "lines": [dict(line) for line in lines], **extra}


def tee(qty=1, reason="changed_mind"):
    return {"line_id": "L1", "quantity": qty, "reason": reason}


def test_an_inline_order_is_decided_without_being_saved(session):
    evaluation, rules = dry_run({"order": make_order(), "return": request(tee())})
    assert evaluation.order_number == "1001"
    assert rules.pack == "cn-7day"
    decision = evaluation.decisions[0]
    assert decision.eligible and decision.statutory
    assert decision.last_day.isoformat() == "2026-11-10"
    assert evaluation.refund.total > 0


def test_a_stored_order_gives_the_same_answer_as_the_same_order_inline(session):
    upsert_order(make_order())
    stored, _ = dry_run({"order_number": "1001", "return": request(tee(2))})
    inline, _ = dry_run({"order": make_order(), "return": request(tee(2))})
    assert stored.to_dict() == inline.to_dict()


def test_the_dry_run_runs_the_engine_the_portal_uses(session):
    payload = {"order": make_order(), "return": request(tee(2))}
    evaluation, rules = dry_run(payload)
    direct = policy.evaluate(
        order_facts(parse_order(make_order())), policy.parse_request(payload["return"]), rules
    )
    assert evaluation.to_dict() == direct.to_dict()


def test_a_line_outside_its_window_is_refused_with_the_reason(session):
    evaluation, _ = dry_run({"order": make_order(), "return": request(tee(), at=OUTSIDE)})
    decision = evaluation.decisions[0]
    assert not decision.eligible
    assert "window_closed" in {reason.code for reason in decision.reasons}
    assert evaluation.refund.total == 0


def test_an_inline_policy_is_used_instead_of_the_active_one(session):
    longer = policy.default_document("cn-7day") | {
        "windows": {"categories": {"apparel": 30}, "products": {}}
    }
    evaluation, _ = dry_run(
        {"order": make_order(), "return": request(tee(), at=OUTSIDE), "policy": longer}
    )
    assert evaluation.decisions[0].eligible
    assert not evaluation.decisions[0].statutory


def test_units_already_in_returns_count_against_the_line(session):
    upsert_order(make_order())
    make_return("R-TEST-02", L1=2)
    with pytest.raises(DryRunInvalid) as info:
        dry_run({"order_number": "1001", "return": request(tee(1))})
    assert any(key.startswith("return.lines.0") for key in info.value.errors), info.value.errors


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"return": request(tee())}, "order"),
        ({"order": make_order(), "order_number": "1001", "return": request(tee())}, "order"),
        ({"order_number": "nope", "return": request(tee())}, "order_number"),
        ({"order": make_order()}, "return"),
        ({"order": make_order(email="x"), "return": request(tee())}, "order.email"),
        (
            {
                "order": make_order(),
                "return": request({"line_id": "L1", "quantity": 0, "reason": "changed_mind"}),
            },
            "return.lines.0.quantity",
        ),
        (
            {
                "order": make_order(),
                "return": request({"line_id": "L1", "quantity": 1, "reason": "bored"}),
            },
            "return.lines.0.reason",
        ),
        ({"order": make_order(), "return": request(tee()), "surprise": 1}, "surprise"),
    ],
)
def test_bad_dry_run_input_names_the_field(session, payload, field):
    with pytest.raises(DryRunInvalid) as info:
        dry_run(payload)
    assert field in info.value.errors, info.value.errors


def test_the_api_answers_with_decisions_and_the_refund_breakdown(client, auth):
    body = {"order": make_order(), "return": request(tee(2))}
    response = client.post("/api/v1/policy/evaluate", json=body, headers=auth)
    assert response.status_code == 200, response.json
    result = response.json
    assert result["decisions"][0]["line_id"] == "L1"
    assert result["decisions"][0]["eligible"] is True
    refund = result["refund"]
    assert refund["currency"] == "CNY"
    assert refund["total"] == sum(line["items"] + line["tax"] for line in refund["lines"]) + refund[
        "shipping"
    ] - sum(d["amount"] for d in refund["deductions"])


def test_the_api_refuses_bad_input_with_422_and_field_errors(client, auth):
    response = client.post("/api/v1/policy/evaluate", json={"order": make_order()}, headers=auth)
    assert response.status_code == 422
    assert "return" in response.json["errors"]


def test_the_api_refuses_a_policy_that_cuts_a_right_with_422(client, auth):
    bad = policy.default_document("cn-7day") | {
        "windows": {"categories": {"apparel": 3}, "products": {}}
    }
    body = {"order": make_order(), "return": request(tee()), "policy": bad}
    response = client.post("/api/v1/policy/evaluate", json=body, headers=auth)
    assert response.status_code == 422
    assert "windows.categories.apparel" in response.json["errors"]


def test_the_api_needs_a_token(client):
    response = client.post("/api/v1/policy/evaluate", json={})
    assert response.status_code == 401


def test_the_cli_explains_a_decision_a_merchant_can_read(cli, tmp_path):
    upsert_order(make_order())
    path = tmp_path / "dry-run.json"
    path.write_text(
        json.dumps(
            {
                "order_number": "1001",
                "return": request(
                    tee(), {"line_id": "L2", "quantity": 1, "reason": "changed_mind"}, at=OUTSIDE
                ),
            }
        )
    )
    result = cli.invoke(args=["policy", "explain", str(path)])
    assert result.exit_code == 0, result.output
    assert "Return evaluation for order 1001" in result.output
    assert "2026-11-10" in result.output  # L1's last day
    assert "CNY" in result.output
    assert "Total" in result.output


def test_the_cli_json_output_equals_the_api_answer(cli, client, auth, tmp_path):
    body = {"order": make_order(), "return": request(tee(2))}
    path = tmp_path / "dry-run.json"
    path.write_text(json.dumps(body))
    from_cli = json.loads(cli.invoke(args=["policy", "explain", "--json", str(path)]).output)
    from_api = client.post("/api/v1/policy/evaluate", json=body, headers=auth).json
    assert from_cli == from_api


def test_the_cli_lists_bad_input_fields(cli, tmp_path):
    path = tmp_path / "dry-run.json"
    path.write_text(json.dumps({"order": make_order()}))
    result = cli.invoke(args=["policy", "explain", str(path)])
    assert result.exit_code == 1
    assert "return: required" in result.output
