"""Read order import files (CSV, one row per order line; or JSON) into order documents."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# CSV columns; docs/orders-format.md describes each. Order columns repeat on every line row
# (they may be left blank after an order's first row).
ORDER_COLUMNS = (
    "order_number", "email", "customer_name", "postal_code", "country", "locale", "currency",
    "placed_at", "order_discount", "coupon_code", "shipping_paid", "standard_shipping",
    "free_shipping_threshold", "withdrawal_info_given", "return_costs_disclosed",
    "payment_reference", "payment_amount",
)  # fmt: skip
LINE_COLUMNS = (
    "line_id", "sku", "gtin", "name", "variant", "product_group", "category", "quantity",
    "unit_price", "line_discount", "tax", "custom_made", "perishable", "digital_download",
    "sealed_media", "periodical", "hygiene_sealed", "final_sale", "confirmation_exclusion",
    "exclusion_confirmed", "gift_of", "gift_value",
)  # fmt: skip
PARCEL_COLUMNS = ("parcel_id", "carrier", "tracking_number", "shipped_at", "delivered_at")
REQUIRED_COLUMNS = ("order_number", "email", "currency", "placed_at", "line_id", "sku", "name",
                    "category", "quantity", "unit_price")  # fmt: skip
INTEGER_COLUMNS = {
    "order_discount", "shipping_paid", "standard_shipping", "free_shipping_threshold",
    "payment_amount", "quantity", "unit_price", "line_discount", "tax", "gift_value",
}  # fmt: skip
BOOLEAN_COLUMNS = {
    "withdrawal_info_given", "return_costs_disclosed", "custom_made", "perishable",
    "digital_download", "sealed_media", "periodical", "hygiene_sealed", "final_sale",
    "exclusion_confirmed",
}  # fmt: skip
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"0", "false", "no", "n", "f"}


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, header)."""


@dataclass
class OrderBatch:
    """One order's worth of input: its document, or the errors that stop it."""

    number: str
    rows: list[int]  # CSV line numbers (1 = header) or JSON array positions (1-based)
    data: dict[str, Any] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    line_rows: list[int] = field(default_factory=list)  # row of lines[i]

    def row_of(self, path: str) -> int:
        """Return the input row an error path such as 'lines.2.quantity' comes from."""
        parts = path.split(".")
        if len(parts) > 1 and parts[0] == "lines" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self.line_rows):
                return self.line_rows[index]
        return self.rows[0]


def read_orders(path: Path) -> list[OrderBatch]:
    """Read a .csv or .json file of orders into one batch per order."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return list(_read_csv(path))
    if suffix == ".json":
        return _read_json(path)
    raise ImportFileError(f"{path.name}: expected a .csv or .json file")


def _read_json(path: Path) -> list[OrderBatch]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"{path.name}: not valid UTF-8 JSON ({exc})") from exc
    if isinstance(payload, dict) and isinstance(payload.get("orders"), list):
        payload = payload["orders"]
    if not isinstance(payload, list):
        raise ImportFileError(f'{path.name}: expected a list of orders or {{"orders": [...]}}')
    batches = []
    for position, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            batches.append(
                OrderBatch(f"#{position}", [position], errors={"order": ["not an object"]})
            )
            continue
        lines = item.get("lines")
        count = len(lines) if isinstance(lines, list) else 0
        batches.append(
            OrderBatch(
                str(item.get("number", f"#{position}")), [position], item, {}, [position] * count
            )
        )
    return batches


def _read_csv(path: Path) -> Iterator[OrderBatch]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path.name}: not UTF-8 text ({exc})") from exc
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFileError(f"{path.name}: missing column(s): {', '.join(missing)}")
    known = set(ORDER_COLUMNS) | set(LINE_COLUMNS) | set(PARCEL_COLUMNS)
    unknown = [name for name in header if name not in known]
    if unknown:
        raise ImportFileError(f"{path.name}: unknown column(s): {', '.join(unknown)}")
    batches: dict[str, OrderBatch] = {}
    for row_number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        number = row.get("order_number", "")
        if not number:
            yield OrderBatch(
                f"row {row_number}", [row_number], errors={"order_number": ["is empty"]}
            )
            continue
        batch = batches.setdefault(number, OrderBatch(number, [], {"number": number, "lines": []}))
        batch.rows.append(row_number)
        _add_row(batch, row, row_number)
    for batch in batches.values():
        assert batch.data is not None
        batch.data = finish_csv_document(batch.data)
        yield batch


def _cell(row: dict[str, str], name: str, errors: dict[str, list[str]], prefix: str) -> Any:
    value = row.get(name, "")
    if value == "":
        return None
    if name in INTEGER_COLUMNS:
        try:
            return int(value)
        except ValueError:
            errors.setdefault(prefix + name, []).append(
                f"{value!r} is not a whole number (amounts are in minor units, e.g. 12900)"
            )
            return None
    if name in BOOLEAN_COLUMNS:
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        errors.setdefault(prefix + name, []).append(f"{value!r} is not true/false")
        return None
    return value


def _add_row(batch: OrderBatch, row: dict[str, str], row_number: int) -> None:
    data = batch.data
    assert data is not None
    order_errors: dict[str, list[str]] = {}
    for name in ORDER_COLUMNS[1:]:
        value = _cell(row, name, order_errors, "")
        if value is None:
            continue
        key = {"payment_reference": "reference", "payment_amount": "amount"}.get(name)
        if key is not None:
            payment = data.setdefault("_payment", {})
            _merge(payment, key, value, batch, row_number, name)
        else:
            _merge(data, name, value, batch, row_number, name)
    line: dict[str, Any] = {}
    for name in LINE_COLUMNS:
        value = _cell(row, name, order_errors, f"lines.{len(data['lines'])}.")
        if value is not None:
            line[name] = value
    data["lines"].append(line)
    batch.line_rows.append(row_number)
    parcel_id = row.get("parcel_id", "")
    if parcel_id:
        parcels = data.setdefault("_parcels", {})
        parcel = parcels.setdefault(parcel_id, {"parcel_id": parcel_id, "lines": {}})
        for name in PARCEL_COLUMNS[1:]:
            value = _cell(row, name, order_errors, "")
            if value is not None:
                _merge(parcel, name, value, batch, row_number, name)
        if "line_id" in line and isinstance(line.get("quantity"), int):
            parcel["lines"][line["line_id"]] = line["quantity"]
    for key, messages in order_errors.items():
        batch.errors.setdefault(key, []).extend(messages)


def _merge(
    target: dict[str, Any], key: str, value: Any, batch: OrderBatch, row: int, column: str
) -> None:
    if key in target and target[key] != value:
        batch.errors.setdefault(column, []).append(
            f"row {row} says {value!r} but an earlier row of this order says {target[key]!r}"
        )
    target[key] = value


def finish_csv_document(data: dict[str, Any]) -> dict[str, Any]:
    """Turn a CSV batch's collected cells into an order document."""
    document = {k: v for k, v in data.items() if not k.startswith("_")}
    if "_parcels" in data:
        document["parcels"] = list(data["_parcels"].values())
    if "_payment" in data:
        document["payments"] = [data["_payment"]]
    return document
