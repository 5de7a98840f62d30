"""The bin label for an inspected item, in the warehouse's language."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from returns_portal.documents import BinLabelData, render_bin_label_pdf, render_bin_label_zpl
from returns_portal.receiving import services as receiving
from returns_portal.receiving.models import Inspection, InspectionItem

DISPOSITION_WORDS = {
    "restock": _l("RESTOCK"),
    "refurbish": _l("REFURBISH"),
    "liquidate": _l("LIQUIDATE"),
    "recycle": _l("RECYCLE"),
    "return_to_vendor": _l("RETURN TO VENDOR"),
}


def bin_label(inspection_id: int, item_id: int, kind: str) -> tuple[bytes, str] | None:
    """Render the bin label of an inspection's item once its disposition is chosen; None when
    the inspection has no such item, or the item no disposition yet."""
    inspection = receiving.load_inspection(inspection_id)
    finding = receiving.load_finding(inspection_id, item_id) if inspection else None
    if inspection is None or finding is None or not finding.disposition:
        return None
    return render_bin_label(inspection, finding, kind)


def render_bin_label(
    inspection: Inspection, finding: InspectionItem, kind: str
) -> tuple[bytes, str]:
    """Render the bin label (bin.pdf or bin.zpl) for one inspected item."""
    expected = next(e for e in receiving.expected_items(inspection) if e.finding.id == finding.id)
    disposition = receiving.Disposition(finding.disposition or "restock")
    data = BinLabelData(
        rma_number=inspection.rma.number,
        sku=expected.line.sku,
        item_name=expected.line.product_name,
        variant=expected.line.variant or "",
        quantity=finding.received_qty,
        grade=finding.grade or "-",
        disposition=disposition.value,
        disposition_text=str(DISPOSITION_WORDS[disposition.value]),
        bin_code=f"{receiving.BINS[disposition]}-{finding.grade or 'X'}",
        inspected_on=(inspection.completed_at or inspection.started_at).date(),
        inspector=inspection.inspector.split(" ")[-1][:40],
        headings={
            "grade": _("Grade"),
            "qty": _("Qty"),
            "rma": _("Return"),
            "inspected": _("Inspected"),
        },
    )
    if kind == "bin.zpl":
        return render_bin_label_zpl(data), "application/zpl"
    font = current_app.config.get("PDF_FONT_PATH") or None
    return render_bin_label_pdf(data, font_path=font), "application/pdf"
