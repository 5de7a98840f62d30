"""How long the documents take to render: label PDF and ZPL, packing slip, bin label PDF and ZPL.

Prints p50/p99 in milliseconds over warm runs (fonts registered, code loaded); the quality
bar is under 20 ms each for the label PDF and the packing slip, and under 10 ms for the bin
label PDF, printed once per item at the scan station. No database involved.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import date

from returns_portal.documents import (
    BinLabelData,
    LabelData,
    PackingSlipData,
    SlipItem,
    render_bin_label_pdf,
    render_bin_label_zpl,
    render_label_pdf,
    render_label_zpl,
    render_packing_slip_pdf,
)
from returns_portal.shipping.carriers import Address

ROUNDS = 200
WARM_UP = 10
TOKEN = "Ik5fN0szTS0wMSI.Z1xQ4w.kS0g3mM0a4M7vEJ2B1yQdX5r9pQ"  # a signed link's length

CUSTOMER = Address(
    "王小明", "浦东新区世纪大道88号", "上海市", "200120", "CN", phone="+86 138 0013 8000"
)
WAREHOUSE = Address(
    "Demo Store Returns Centre", "88 Century Avenue, Building 3", "Shanghai", "200120", "CN"
)


def label(number: int) -> LabelData:
    return LabelData(
        store_name="Demo Store",
        rma_number=f"R-7K3M-{number:02d}",
        order_number=f"{1000 + number}",
        carrier_name="Swift Post",
        service_name="Express",
        tracking_number="SP681651297CN",
        from_address=CUSTOMER,
        to_address=WAREHOUSE,
        weight_grams=1000,
        shipped_on=date(2026, 11, 23),
        # What the label's QR code holds: the return page's signed link (returns.documents).
        qr_payload=f"https://returns.example.com/returns/R-7K3M-{number:02d}?t={TOKEN}",
        heading_from="寄件人",
        heading_to="收件人",
        note="请在7天内寄回",
    )


def slip(number: int) -> PackingSlipData:
    items = tuple(
        SlipItem(f"SKU-{i:04d}", f"Merino wool crew-neck sweater {i}", "Blue / XL", 1, "尺码太小")
        for i in range(4)
    )
    headings = {
        "rma": "退货", "order": "订单", "customer": "顾客", "item": "商品", "sku": "SKU",
        "qty": "数量", "reason": "原因", "include": "箱内物品", "instructions": "寄回方法",
        "ship_to": "寄往",
    }  # fmt: skip
    return PackingSlipData(
        store_name="Demo Store",
        title="退货装箱单",
        rma_number=f"R-7K3M-{number:02d}",
        order_number=f"{1000 + number}",
        customer_name="王小明",
        return_address=WAREHOUSE,
        items=items,
        include=("每件商品及其全部配件、说明书和原包装。", "赠品：旅行收纳袋"),
        instructions=(
            "把商品和本单放进箱子。",
            "封好箱子，把面单贴在外面。",
            "交给快递员，保留收据。",
        ),
        headings=headings,
    )


def bin_label(number: int) -> BinLabelData:
    return BinLabelData(
        rma_number=f"R-7K3M-{number:02d}",
        sku="MER-CREW-BLU-XL",
        item_name="美利奴羊毛圆领毛衣",
        variant="蓝色 / XL",
        quantity=1,
        grade="B",
        disposition="refurbish",
        disposition_text="翻新",
        bin_code="RFB-03",
        inspected_on=date(2026, 11, 23),
        inspector="王芳",
        headings={"grade": "等级", "qty": "数量", "rma": "退货单", "inspected": "检验"},
    )


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(render: Callable[[int], object]) -> list[float]:
    for number in range(WARM_UP):
        render(number)
    samples = []
    for number in range(ROUNDS):
        # A different RMA number each round, so nothing is served from a cache.
        start = time.perf_counter()
        render(number % 100)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    cases: dict[str, Callable[[int], object]] = {
        "label PDF": lambda n: render_label_pdf(label(n)),
        "label ZPL": lambda n: render_label_zpl(label(n)),
        "packing slip": lambda n: render_packing_slip_pdf(slip(n)),
        "bin label PDF": lambda n: render_bin_label_pdf(bin_label(n)),
        "bin label ZPL": lambda n: render_bin_label_zpl(bin_label(n)),
    }
    font = os.environ.get("PDF_FONT_PATH")
    if font:
        cases["label PDF (TTF)"] = lambda n: render_label_pdf(label(n), font_path=font)
        cases["slip (TTF)"] = lambda n: render_packing_slip_pdf(slip(n), font_path=font)
        cases["bin PDF (TTF)"] = lambda n: render_bin_label_pdf(bin_label(n), font_path=font)
    print(f"documents, {ROUNDS} warm renders each (Chinese text; PDF_FONT_PATH={font or '-'}):")
    for name, render in cases.items():
        samples = measure(render)
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        mean = statistics.mean(samples)
        print(f"  {name:<15} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   mean {mean:6.2f} ms")


if __name__ == "__main__":
    main()
