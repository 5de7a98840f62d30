"""Receiving a return: identify the parcel, count items in, inspect, propose the refund."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.orders.services import upsert_order
from returns_portal.receiving import services as receiving
from returns_portal.refunds.models import RefundStatus
from returns_portal.returns.models import ReturnStatus
from returns_portal.returns.services import cancel_return
from returns_portal.shipping.models import Shipment
from tests.builders import open_portal_return, recent_order_document

WORKER = "user:7 warehouse@example.com"
INTACT_TEE = {"brand_tag_attached": True, "clean_and_undamaged": True, "accessories_complete": True,
              "gifts_returned": True}  # fmt: skip


@pytest.fixture
def rma(session):
    upsert_order(recent_order_document())
    return open_portal_return()


def tracking(rma) -> str:
    return db.session.scalars(
        select(Shipment.tracking_number).where(Shipment.return_id == rma.id)
    ).one()


def inspect_all(inspection, answers=INTACT_TEE, grade="A"):
    for expected in receiving.expected_items(inspection):
        receiving.record_inspection(
            inspection, expected.finding, answers, grade, None, "", "", 0, WORKER
        )


# Identifying the parcel ---------------------------------------------------------------------


def test_a_parcel_is_identified_by_its_rma_tracking_number_or_qr_code(rma):
    shipment = db.session.scalars(select(Shipment)).one()
    assert receiving.identify(rma.number) == rma
    assert receiving.identify(rma.number.lower()) == rma
    assert receiving.identify(tracking(rma)) == rma
    assert receiving.identify(f"RP1:{tracking(rma)}:{rma.number}") == rma
    assert receiving.identify("SP000000000CN") is None
    assert shipment.tracking_number == tracking(rma)


def test_a_scanned_code_receives_the_return_it_names_or_names_none(rma):
    assert receiving.receive_scan("SP000000000CN", WORKER) is None
    inspection = receiving.receive_scan(f" {tracking(rma)} ", WORKER)
    assert inspection is not None and inspection.return_id == rma.id
    assert rma.status == ReturnStatus.RECEIVED


def test_receiving_a_parcel_marks_the_return_received_and_opens_its_inspection(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    assert rma.status == ReturnStatus.RECEIVED
    assert [e.item.quantity for e in receiving.expected_items(inspection)] == [2]
    assert inspection.parcels == 1


def test_a_second_parcel_continues_the_same_inspection(rma):
    first = receiving.receive_parcel(rma, WORKER)
    second = receiving.receive_parcel(rma, WORKER)
    assert first.id == second.id
    assert second.parcels == 2


def test_a_cancelled_return_cannot_be_received(rma):
    cancel_return(rma)
    with pytest.raises(receiving.ReceivingError, match="cannot be received"):
        receiving.receive_parcel(rma, WORKER)


# Counting items in ------------------------------------------------------------------------


def test_expected_items_are_counted_by_sku_or_gtin(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    assert receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER).kind == "counted"
    assert receiving.scan_item(inspection, "6900000000011", WORKER).kind == "counted"
    (expected,) = receiving.expected_items(inspection)
    assert expected.finding.received_qty == 2 and expected.short == 0


def test_one_more_than_announced_is_an_extra_item(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    for _ in range(3):
        result = receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    assert result.kind == "extra"
    assert inspection.unexpected == [{"code": "APP-TEE-BLK-M", "kind": "extra", "qty": 1}]


def test_an_item_not_in_the_return_is_a_wrong_item(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    result = receiving.scan_item(inspection, "APL-KETTLE", WORKER)
    assert result.kind == "wrong"
    assert "not part of this return" in result.message


def test_a_short_shipment_shows_what_is_missing(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    (expected,) = receiving.expected_items(inspection)
    assert expected.short == 1


def test_every_scan_is_audited(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    receiving.scan_item(inspection, "NOPE", WORKER)
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor == WORKER)))
    assert actions[-3:] == ["receipt.started", "receipt.scan.counted", "receipt.scan.wrong"]


# Inspecting ---------------------------------------------------------------------------------


def test_the_checklist_comes_from_the_pack_for_the_item_s_category(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    (expected,) = receiving.expected_items(inspection)
    codes = {q.code for q in receiving.questions_for(inspection, expected)}
    assert {"brand_tag_attached", "clean_and_undamaged"} <= codes


def test_a_disposition_is_suggested_and_an_override_needs_a_reason(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    (expected,) = receiving.expected_items(inspection)
    finding = receiving.record_inspection(
        inspection, expected.finding, INTACT_TEE, "A", None, "", "", 0, WORKER
    )
    assert finding.suggested_disposition == finding.disposition == "restock"
    with pytest.raises(receiving.ReceivingError, match="Say why"):
        receiving.record_inspection(
            inspection, expected.finding, INTACT_TEE, "A", "liquidate", "", "", 0, WORKER
        )
    finding = receiving.record_inspection(
        inspection, expected.finding, INTACT_TEE, "A", "liquidate", "end of season", "", 0, WORKER
    )
    assert finding.disposition == "liquidate" and finding.disposition_reason == "end of season"


@pytest.mark.parametrize(
    ("grade", "category", "reason", "intact", "expected"),
    [
        ("A", "apparel", "too_small", True, "restock"),
        ("B", "apparel", "too_small", True, "restock"),
        ("B", "electronics", "changed_mind", True, "refurbish"),
        ("C", "electronics", "changed_mind", True, "refurbish"),
        ("C", "apparel", "changed_mind", True, "liquidate"),
        ("A", "apparel", "too_small", False, "refurbish"),
        ("D", "apparel", "too_small", True, "recycle"),
        ("A", "electronics", "defective", True, "return_to_vendor"),
    ],
)
def test_disposition_rules(grade, category, reason, intact, expected):
    assert receiving.suggest_disposition(grade, category, reason, intact) == expected


def test_every_check_must_be_answered(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    (expected,) = receiving.expected_items(inspection)
    with pytest.raises(receiving.ReceivingError, match="Answer every check"):
        receiving.record_inspection(
            inspection, expected.finding, {"brand_tag_attached": True}, "A", None, "", "", 0, WORKER
        )


def test_a_grade_outside_a_to_d_is_refused(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    (expected,) = receiving.expected_items(inspection)
    with pytest.raises(receiving.ReceivingError, match="grade"):
        receiving.record_inspection(
            inspection, expected.finding, INTACT_TEE, "E", None, "", "", 0, WORKER
        )


# Completing: stock and the refund proposal --------------------------------------------------


def test_completing_restocks_marks_inspected_and_proposes_the_refund(rma):
    db.session.add(
        StockLevel(sku="APP-TEE-BLK-M", product_group="APP-TEE", name="T-shirt", on_hand=5)
    )
    db.session.commit()
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    inspect_all(inspection)
    refund = receiving.complete_inspection(inspection, WORKER)
    assert refund.status == RefundStatus.PROPOSED
    assert refund.amount == refund.breakdown["refund"]["total"] > 0
    assert rma.status == ReturnStatus.INSPECTED
    stock = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-BLK-M")).one()
    assert stock.on_hand == 7


def test_the_proposal_equals_the_dry_run_for_the_same_findings(rma, client, auth):
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)  # one of two arrives
    inspect_all(inspection, {**INTACT_TEE, "brand_tag_attached": True}, "B")
    refund = receiving.complete_inspection(inspection, WORKER)
    request = receiving.return_request(rma)
    payload = {
        "order_number": "1001",
        "return": {
            "requested_at": request.requested_at.isoformat(),
            "method": request.method.value,
            "label_cost": request.label_cost,
            "previously_returned": {},
            "lines": [
                {"line_id": "L1", "quantity": 2, "reason": "too_small", "resolution": "refund"}
            ],
        },
        "inspection": {
            "received_at": inspection.started_at.isoformat(),
            "lines": {"L1": {"received_qty": 1, "answers": INTACT_TEE, "diminished_value": 0}},
        },
    }
    response = client.post("/api/v1/policy/evaluate", json=payload, headers=auth)
    assert response.status_code == 200, response.json
    assert response.json["refund"] == refund.breakdown["refund"]
    assert response.json["refund"]["total"] == refund.amount


def test_a_cut_tag_means_no_no_reason_refund_for_that_item(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    inspect_all(inspection, {**INTACT_TEE, "brand_tag_attached": False}, "C")
    refund = receiving.complete_inspection(inspection, WORKER)
    assert refund.amount == 0
    codes = {r["code"] for d in refund.breakdown["decisions"] for r in d["reasons"]}
    assert "not_intact" in codes


def test_a_missing_gift_is_deducted_at_its_stated_value(session):
    document = recent_order_document()
    document["lines"][2]["gift_of"] = "L1"  # the pouch came free with the T-shirts
    document["parcels"][0]["lines"]["L3"] = 1
    del document["parcels"][1]["lines"]["L3"]
    upsert_order(document)
    rma = open_portal_return(items=(("L1", 2, "too_small", "refund"),))
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    inspect_all(inspection, {**INTACT_TEE, "gifts_returned": False}, "A")
    refund = receiving.complete_inspection(inspection, WORKER)
    gift = [d for d in refund.breakdown["refund"]["deductions"] if d["code"] == "gift_not_returned"]
    assert [d["amount"] for d in gift] == [1500]


def test_completing_needs_every_received_item_inspected(rma):
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APP-TEE-BLK-M", WORKER)
    with pytest.raises(receiving.ReceivingError, match="Inspect every received item"):
        receiving.complete_inspection(inspection, WORKER)


# Unidentified parcels -------------------------------------------------------------------------


def test_an_unknown_parcel_is_queued_found_by_search_and_attached_later(rma):
    parcel = receiving.register_unidentified(
        "XX123",
        WORKER,
        sender_name="Li Wei",
        sender_email="Li.Wei@example.com",
        order_number="1001",
    )
    for query in ("li wei", "li.wei@example.com", "1001", "xx123"):
        assert receiving.search_unidentified(query) == [parcel], query
    assert receiving.search_unidentified("nobody") == []
    inspection = receiving.attach_parcel(parcel, rma.number, WORKER)
    assert parcel.return_id == rma.id
    assert rma.status == ReturnStatus.RECEIVED
    assert inspection.return_id == rma.id
    assert receiving.search_unidentified("1001") == []


def test_attaching_to_an_unknown_return_is_refused(rma):
    parcel = receiving.register_unidentified("XX124", WORKER)
    with pytest.raises(receiving.ReceivingError, match="No return R-NOPE-00"):
        receiving.attach_parcel(parcel, "r-nope-00", WORKER)
