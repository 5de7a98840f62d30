from __future__ import annotations

import json

from sqlalchemy import func, select

from returns_portal.extensions import db
from returns_portal.orders.models import Order
from returns_portal.orders.services import load_order
from tests.builders import make_order

HEADER = (
    "order_number,email,customer_name,currency,placed_at,order_discount,shipping_paid,"
    "payment_reference,payment_amount,line_id,sku,name,category,quantity,unit_price,"
    "final_sale,gift_of,gift_value,parcel_id,delivered_at\n"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def orders_in_db() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Order)) or 0)


def test_a_csv_file_imports_one_order_per_number_with_its_lines_and_parcels(cli, tmp_path):
    path = write(tmp_path, "orders.csv", HEADER
        + "2001,a@example.com,Ann,CNY,2026-11-01T10:00:00+08:00,1000,0,pi_1,27800,L1,TEE,Tee,apparel,2,12900,false,,,P1,2026-11-03T10:00:00+08:00\n"
        + "2001,,,,,,,,,L2,POUCH,Pouch,gift,1,0,,L1,1500,P1,\n"
        + "2002,b@example.com,Bo,CNY,2026-11-02T10:00:00+08:00,0,1000,,,L1,MAG,Magazine,periodical,1,3500,yes,,,,\n")  # fmt: skip
    result = cli.invoke(args=["orders", "import", path])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 0 failed." in result.output
    order = load_order("2001")
    assert [line.line_ref for line in order.lines] == ["L1", "L2"]
    assert order.lines[1].gift_of == "L1"
    assert order.parcels[0].items[0].quantity == 2
    assert order.payments[0].amount == 27800
    assert load_order("2002").lines[0].final_sale is True


def test_bad_rows_are_listed_by_row_and_good_orders_are_kept(cli, tmp_path):
    path = write(tmp_path, "orders.csv", HEADER
        + "3001,a@example.com,Ann,CNY,2026-11-01T10:00:00+08:00,0,0,,,L1,TEE,Tee,apparel,1,12900,,,,,\n"
        + "3002,b@example.com,Bo,CNY,2026-11-01T10:00:00+08:00,0,0,,,L1,TEE,Tee,apparel,1,12900,,,,,\n"
        + "3002,,,,,,,,,L2,KET,Kettle,appliances,two,19900,,,,,\n"
        + "3003,c@example.com,Cy,CNY,2026-11-01T10:00:00,0,0,,,L1,TEE,Tee,apparel,1,12900,,,,,\n")  # fmt: skip
    result = cli.invoke(args=["orders", "import", path, "--report", str(tmp_path / "errors.csv")])
    assert result.exit_code == 1
    assert "1 created, 0 updated, 0 unchanged, 2 failed." in result.output
    assert "row 4 (order 3002) lines.1.quantity: 'two' is not a whole number" in result.output
    assert "row 5 (order 3003) placed_at:" in result.output
    assert orders_in_db() == 1
    report = (tmp_path / "errors.csv").read_text().splitlines()
    assert report[0] == "row,order,field,message"
    assert len(report) == 3


def test_re_running_an_import_changes_nothing(cli, tmp_path):
    path = write(tmp_path, "orders.json", json.dumps([make_order("4001"), make_order("4002")]))
    first = cli.invoke(args=["orders", "import", path])
    second = cli.invoke(args=["orders", "import", path])
    assert "2 created" in first.output
    assert "0 created, 0 updated, 2 unchanged, 0 failed." in second.output
    assert orders_in_db() == 2


def test_a_json_file_with_a_bad_order_reports_its_position(cli, tmp_path):
    bad = make_order("5002")
    bad["lines"][0]["unit_price"] = "lots"
    path = write(tmp_path, "orders.json", json.dumps({"orders": [make_order("5001"), bad]}))
    result = cli.invoke(args=["orders", "import", path])
    assert result.exit_code == 1
    assert "row 2 (order 5002) lines.0.unit_price:" in result.output
    assert orders_in_db() == 1


def test_a_csv_without_required_columns_is_refused_whole(cli, tmp_path):
    path = write(tmp_path, "orders.csv", "order_number,email\n1,a@example.com\n")
    result = cli.invoke(args=["orders", "import", path])
    assert result.exit_code == 1
    assert "missing column(s): currency, placed_at, line_id" in result.output
    assert orders_in_db() == 0


def test_conflicting_order_values_across_rows_are_reported(cli, tmp_path):
    path = write(tmp_path, "orders.csv", HEADER
        + "6001,a@example.com,Ann,CNY,2026-11-01T10:00:00+08:00,0,0,,,L1,TEE,Tee,apparel,1,12900,,,,,\n"
        + "6001,b@example.com,,,,,,,,L2,TEE2,Tee,apparel,1,12900,,,,,\n")  # fmt: skip
    result = cli.invoke(args=["orders", "import", path])
    assert result.exit_code == 1
    assert (
        "row 3 says 'b@example.com' but an earlier row of this order says 'a@example.com'"
        in result.output
    )
    assert orders_in_db() == 0


def test_an_unknown_file_type_is_refused(cli, tmp_path):
    path = write(tmp_path, "orders.xlsx", "x")
    result = cli.invoke(args=["orders", "import", path])
    assert result.exit_code == 1
    assert "expected a .csv or .json file" in result.output
