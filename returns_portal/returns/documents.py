"""The return's documents: label (PDF, SVG, ZPL), packing slip and QR code (SVG, PNG), in
its language."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from returns_portal.documents import (
    LabelData,
    PackingSlipData,
    SlipItem,
    render_label_pdf,
    render_label_svg,
    render_label_zpl,
    render_packing_slip_pdf,
    render_qr_png,
    render_qr_svg,
)
from returns_portal.returns.models import Return
from returns_portal.returns.reasons import reason_label
from returns_portal.returns.services.links import return_page_url
from returns_portal.shipping.services import (
    carrier_label,
    customer_address,
    live_shipment,
    service_rate,
    warehouse_address,
)
from returns_portal.store.identity import store_name


def _label_data(rma: Return) -> LabelData:
    shipment = live_shipment(rma)
    if shipment is None:
        raise LookupError("no live shipment")
    rate = service_rate(rma.order, shipment.carrier, shipment.service)
    return LabelData(
        store_name=store_name(),
        rma_number=rma.number,
        order_number=rma.order.number,
        carrier_name=rate.carrier_name if rate else shipment.carrier,
        service_name=rate.service_name if rate else shipment.service,
        tracking_number=shipment.tracking_number,
        from_address=customer_address(rma.order),
        to_address=warehouse_address(),
        weight_grams=1000,
        shipped_on=shipment.created_at.date(),
        # The customer's QR code opens their return page on a phone; the scan station reads
        # the return's number from it (links.return_number_in_url).
        qr_payload=return_page_url(rma, issued_at=shipment.created_at),
        heading_from=_("FROM"),
        heading_to=_("TO"),
        heading_rma=_("RMA"),
        heading_order=_("ORDER"),
        note=_("Return %(number)s", number=rma.number),
    )


def _slip_data(rma: Return) -> PackingSlipData:
    lines = {line.id: line for line in rma.order.lines}
    items = tuple(
        SlipItem(
            sku=lines[item.order_line_id].sku,
            name=lines[item.order_line_id].product_name,
            variant=lines[item.order_line_id].variant or "",
            quantity=item.quantity,
            reason=reason_label(item.reason),
        )
        for item in rma.items
    )
    returned = {lines[item.order_line_id].line_ref for item in rma.items}
    include = [_("Each item with all its accessories, manuals and original packaging.")]
    include += [
        _("The free gift: %(name)s", name=line.product_name)
        for line in rma.order.lines
        if line.gift_of in returned
    ]
    instructions = (
        _("Put the items and this slip in the box."),
        _("Seal the box and stick the label on the outside, covering any old labels.")
        if rma.method == "label"
        else _("Show the QR code at the drop-off point; they print the label for you."),
        _("Hand the parcel to the carrier. Keep the receipt until your refund arrives."),
    )
    return PackingSlipData(
        store_name=store_name(),
        title=_("Return packing slip"),
        rma_number=rma.number,
        order_number=rma.order.number,
        customer_name=rma.order.customer_name,
        return_address=warehouse_address(),
        items=items,
        include=tuple(include),
        instructions=instructions,
        headings={
            "rma": _("Return"),
            "order": _("Order"),
            "customer": _("Customer"),
            "item": _("Item"),
            "sku": _("SKU"),
            "qty": _("Qty"),
            "reason": _("Reason"),
            "include": _("What goes in the box"),
            "instructions": _("How to send it"),
            "ship_to": _("Send to"),
        },
        page_size="Letter" if (rma.order.country or "") in {"US", "CA"} else "A4",
    )


LABEL_TYPES = {"label.pdf": "application/pdf", "label.zpl": "application/zpl"}


def render_return_document(rma: Return, kind: str) -> tuple[bytes | str, str]:
    """Render one of the return's documents in the return's language. The label of an HTTP
    carrier is the carrier's own file (its barcode is what the carrier scans); raises
    ShippingError when the carrier can't be reached for it."""
    if kind in LABEL_TYPES and (shipment := live_shipment(rma)) is not None:
        own = carrier_label(shipment, kind)
        if own is not None:
            return own, LABEL_TYPES[kind]
    font = current_app.config.get("PDF_FONT_PATH") or None
    with force_locale(rma.locale or "en"):
        if kind == "slip.pdf":
            return render_packing_slip_pdf(_slip_data(rma), font_path=font), "application/pdf"
        data = _label_data(rma)
        if kind == "label.pdf":
            return render_label_pdf(data, font_path=font), "application/pdf"
        if kind == "label.svg":  # the picture the confirmation page shows
            return render_label_svg(data, font_path=font), "image/svg+xml"
        if kind == "label.zpl":
            return render_label_zpl(data), "application/zpl"
        if kind == "qr.png":  # a phone saves a PNG to its photos; few save an SVG
            return render_qr_png(data.qr_payload), "image/png"
        return render_qr_svg(data.qr_payload), "image/svg+xml"
