"""The accounting CSV: one row per refund line and deduction, in the store's days."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from returns_portal.extensions import db
from returns_portal.refunds import exports
from returns_portal.refunds import services as refunds
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.types import utcnow
from tests.refunds.conftest import PASSWORD, paid_order, proposed_refund

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def gateway():
    fake = payment_gateway()
    fake.down = False
    yield fake
    fake.down = False


@pytest.fixture
def desk(client, finance, gateway):
    from returns_portal.extensions import limiter

    limiter.reset()
    response = client.post("/staff/login", data={"email": finance.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def today() -> str:
    return utcnow().astimezone(SHANGHAI).date().isoformat()


def read(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())  # spreadsheet apps then read it as UTF-8
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_has_the_header_and_a_row_per_line_and_deduction(desk, finance):
    paid_order()
    refund = refunds.approve_refund(proposed_refund().id, finance)
    response = desk.get(f"/finance/exports/refunds.csv?from={today()}&to={today()}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header = response.data.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == list(exports.HEADER)
    line, deduction = read(response.data)
    assert line["refund_key"] == refund.key and line["status"] == "succeeded"
    assert line["created_date"] == line["succeeded_date"] == today()
    assert line["order_number"] == "1001" and line["return_number"].startswith("R")
    assert line["line_or_deduction"] == "L1" and "T-shirt" in line["description"]
    assert line["amount"] == "258.00" and line["currency"] == "CNY"
    assert line["provider_refund_id"] == refund.provider_refund_id
    assert line["method"] == "original_payment"
    assert deduction["line_or_deduction"] == "return_label_cost"
    assert deduction["amount"] == "-6.00"
    assert "return shipping label" in deduction["description"]


def test_the_rows_of_an_adjusted_refund_add_up_to_what_was_refunded(session, finance):
    paid_order()
    refund = proposed_refund()
    refunds.adjust_refund(refund.id, finance, 20000, "scratch on the sleeve")
    rows = read(
        exports.export_csv(
            date.today() - timedelta(days=2), date.today() + timedelta(days=2), SHANGHAI
        ).encode()
    )
    assert rows[-1]["line_or_deduction"] == "adjustment"
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("200.00")


def test_refunds_outside_the_days_are_left_out(session):
    paid_order()
    refund = proposed_refund()
    refund.created_at = datetime(2025, 3, 31, 16, 30, tzinfo=ZoneInfo("UTC"))  # 1 April in Shanghai
    db.session.commit()
    assert read(exports.export_csv(date(2025, 3, 1), date(2025, 3, 31), SHANGHAI).encode()) == []
    rows = read(exports.export_csv(date(2025, 4, 1), date(2025, 4, 1), SHANGHAI).encode())
    assert {r["refund_key"] for r in rows} == {refund.key}
    assert rows[0]["created_date"] == "2025-04-01"


@pytest.mark.parametrize(
    "query",
    ["", "?from=2025-01-01", "?from=yesterday&to=today", "?from=2025-02-30&to=2025-03-01",
     "?from=2025-03-02&to=2025-03-01"],
)  # fmt: skip
def test_bad_or_missing_dates_are_refused_in_plain_words(desk, query):
    response = desk.get(f"/finance/exports/refunds.csv{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "written year-month-day (for example 2025-03-31)" in response.text


def test_spreadsheet_formulas_in_text_are_written_as_text(session):
    assert exports._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert exports._cell("T-shirt") == "T-shirt"


def test_the_cli_writes_the_same_csv(cli, session, tmp_path, finance):
    paid_order()
    refund = proposed_refund()
    out = tmp_path / "refunds.csv"
    result = cli.invoke(
        args=["refunds", "export", "--from", today(), "--to", today(), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert [r["refund_key"] for r in read(out.read_bytes())] == [refund.key, refund.key]
    bad = cli.invoke(args=["refunds", "export", "--from", "soon", "--to", today(), "-o", str(out)])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_an_exchange_charge_is_explained_by_the_new_items_less_what_came_back(session, finance):
    from returns_portal.orders.models import StockLevel

    db.session.add(StockLevel(sku="APP-TEE-SLK-L", product_group="APP-TEE-SILK", name="Silk T-shirt",
                              unit_price=15900, on_hand=5))  # fmt: skip
    db.session.commit()
    paid_order()
    charge = refunds.approve_refund(
        proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-SLK-L").id,
        finance,
    )
    rows = read(
        exports.export_csv(
            date.today() - timedelta(days=2), date.today() + timedelta(days=2), SHANGHAI
        ).encode()
    )
    assert {r["method"] for r in rows} == {"exchange_charge"}
    assert [(r["line_or_deduction"], r["amount"]) for r in rows] == [
        ("L1", "-129.00"),
        ("exchange_new_items", "159.00"),
        ("return_label_cost", "6.00"),
    ]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(charge.amount) / 100
    assert rows[0]["provider_refund_id"] == charge.provider_refund_id  # the charge's payment
