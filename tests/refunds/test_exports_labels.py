"""The refunds CSV names each part's entries for what they are.

A store-credit return whose card part owes money (a return label, an unreturned gift) has
that debt paid out of the credit; the CSV used to write it as one "Exchange difference paid
from the store credit due" row although nothing was exchanged.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from returns_portal.receiving import services as receiving
from returns_portal.refunds import exports
from returns_portal.refunds import services as refunds
from returns_portal.refunds.settlement import part_entries, settle
from returns_portal.store.services import active_policy, save_policy
from tests.builders import open_portal_return
from tests.refunds.conftest import paid_order
from tests.refunds.test_settlement import breakdown, line

WORKER = "user:999 w@example.com"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def csv_rows() -> list[dict[str, str]]:
    text = exports.export_csv(
        date.today() - timedelta(days=2), date.today() + timedelta(days=2), SHANGHAI
    )
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def kettle_for_credit(session, finance):
    """The kettle, outside the statutory 7 days but inside the shop's 30, back for store
    credit: a 10% restocking fee, 20.00 of diminished value, the 6.00 label, and its free
    pouch not sent back (15.00). Its inspection and approval; the store-credit refund."""
    document = dict(active_policy().document)
    document["windows"] = {"categories": {"appliances": 30}, "products": {}}
    document["restocking_fee"] = {"categories": {}, "default": {"percent": 10}}
    save_policy(document, "test")
    paid_order()
    rma = open_portal_return(items=(("L2", 1, "changed_mind", "store_credit"),))
    inspection = receiving.receive_parcel(rma, WORKER)
    receiving.scan_item(inspection, "APL-KETTLE", WORKER)
    (expected,) = receiving.expected_items(inspection)
    answers = {q.code: True for q in receiving.questions_for(inspection, expected)}
    answers["gifts_returned"] = False
    receiving.record_inspection(
        inspection, expected.finding, answers, "B", None, "", "", 2000, WORKER
    )
    receiving.complete_inspection(inspection, WORKER)
    (credit,) = refunds.return_refunds(rma.id)
    assert credit.method == "store_credit"
    return refunds.approve_refund(credit.id, finance)


def test_each_deduction_on_a_store_credit_refund_has_its_own_label(kettle_for_credit):
    refund = kettle_for_credit
    texts = {d["code"]: d["reason"]["text"] for d in refund.breakdown["refund"]["deductions"]}
    rows = [r for r in csv_rows() if r["refund_key"] == refund.key]
    assert [(r["line_or_deduction"], r["amount"]) for r in rows] == [
        ("L2", "199.00"),
        ("diminished_value", "-20.00"),
        ("restocking_fee", "-19.90"),
        ("gift_not_returned", "-15.00"),
        ("return_label_cost", "-6.00"),
    ]
    for row in rows[1:]:
        assert row["description"] == texts[row["line_or_deduction"]]
    assert "restocking fee" in rows[2]["description"]
    assert "free gift" in rows[3]["description"]
    assert not [r for r in rows if "xchange" in r["description"]]
    assert sum(int(r["amount"].replace(".", "")) for r in rows) == refund.amount == 13810


def test_costs_the_credit_pays_for_move_into_it_under_their_own_kinds():
    money = breakdown(
        line("L1", 10000, "store_credit"),
        deductions=[("restocking_fee", "L1", 1000), ("return_label_cost", None, 600),
                    ("gift_not_returned", "L3", 1500)],
    )  # fmt: skip
    assert part_entries(money, {}, "credit") == [
        ("line", "L1", 10000),
        ("restocking_fee", "L1", -1000),
        ("return_label_cost", None, -600),
        ("gift_not_returned", "L3", -1500),
    ]
    assert part_entries(money, {}, "card") == []
    assert settle(money, {}).credit == money["total"] == 6900


def test_a_dearer_exchange_paid_from_the_credit_reads_as_new_items_less_what_came_back():
    money = breakdown(line("L1", 2000, "store_credit"), line("L2", 8900, "exchange"))
    assert part_entries(money, {"L2": 9900}, "credit") == [
        ("line", "L1", 2000),
        ("line", "L2", 8900),
        ("exchange_new_items", "L2", -9900),
    ]


def test_a_charge_beyond_the_credit_is_explained_by_every_entry():
    money = breakdown(line("L1", 500, "store_credit"), line("L2", 8900, "exchange"))
    result = settle(money, {"L2": 9900})
    assert (result.card, result.credit, result.charge) == (0, 0, 500)
    entries = part_entries(money, {"L2": 9900}, "charge")
    assert entries == [("line", "L2", -8900), ("exchange_new_items", "L2", 9900),
                       ("line", "L1", -500)]  # fmt: skip
    assert sum(amount for *_rest, amount in entries) == result.charge


def test_a_gift_charged_on_a_gift_line_returned_for_store_credit_is_not_dropped():
    # The pouch was announced (for store credit) but never arrived: its charge is a cost of
    # the return. Kept on the pouch's own 0.00 line it made that part negative, and a
    # negative credit part was paid as nothing: 15.00 too much went back to the card.
    money = breakdown(
        line("L2", 19900, "refund"),
        line("L3", 0, "store_credit"),
        deductions=[("gift_not_returned", "L3", 1500), ("return_label_cost", None, 600)],
    )
    result = settle(money, {})
    assert (result.card, result.credit) == (17800, 0)
    assert result.card + result.credit - result.charge == money["total"]
