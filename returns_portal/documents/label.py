"""The 4×6 inch return label as a PDF (and the same picture as SVG, for the page): addresses,
carrier, tracking and RMA barcodes, QR code."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib.colors import black
from reportlab.pdfgen.canvas import Canvas

from returns_portal.documents import fonts as f
from returns_portal.documents.barcodes import PRINTER_DOT, draw_code128, draw_qr
from returns_portal.documents.svg import SvgCanvas
from returns_portal.shipping.carriers import Address

WIDTH, HEIGHT = 4 * 72, 6 * 72  # points
MARGIN = 12
INNER = WIDTH - 2 * MARGIN
QR_SIZE = 84


@dataclass(frozen=True)
class LabelData:
    """What a return label shows; every word already in the customer's language."""

    store_name: str
    rma_number: str
    order_number: str
    carrier_name: str
    service_name: str
    tracking_number: str
    from_address: Address
    to_address: Address
    weight_grams: int
    shipped_on: date
    qr_payload: str  # "" for no QR code
    heading_from: str = "FROM"
    heading_to: str = "TO"
    note: str = ""
    heading_rma: str = "RMA"
    heading_order: str = "ORDER"


def address_lines(address: Address) -> list[str]:
    """Return the address as printed lines, name first, empty parts left out."""
    lines = [address.name, address.line1, address.line2]
    lines.append(" ".join(part for part in (address.postal_code, address.city) if part))
    lines.append(" ".join(part for part in (address.country, address.phone) if part))
    return [line for line in (f.clean(line) for line in lines) if line]


def format_weight(grams: int) -> str:
    """Return a weight in kilograms with two decimals, without going through a float."""
    return f"{grams // 1000}.{grams % 1000 // 10:02d} kg"


class _Page:
    """A canvas with the label's fonts and a few drawing moves measured from the top edge."""

    def __init__(self, canvas: Canvas | SvgCanvas, fonts: f.Fonts) -> None:
        self.canvas = canvas
        self.fonts = fonts

    def text(
        self, text: str, x: float, top: float, size: float, bold: bool = False, align: str = "left"
    ) -> None:
        """Draw one line with its baseline `top` points below the page's top edge."""
        parts = f.runs(self.fonts, f.clean(text), bold)
        if align != "left":
            shift = f.width(parts, size)
            x -= shift if align == "right" else shift / 2
        f.draw(self.canvas, x, HEIGHT - top, parts, size, self.fonts, bold)

    def fitted(
        self,
        text: str,
        x: float,
        top: float,
        size: float,
        max_width: float,
        bold: bool = False,
        align: str = "left",
    ) -> None:
        """Draw one line, shrinking it (down to 60 %) and then cutting it to fit `max_width`."""
        text = f.clean(text)
        parts = f.runs(self.fonts, text, bold)
        natural = f.width(parts, size)
        if natural > max_width:
            size = max(size * 0.6, size * max_width / natural)
            if f.width(parts, size) > max_width:
                text = f.wrap(self.fonts, text, size, max_width, bold)[0]
        self.text(text, x, top, size, bold, align)

    def block(
        self, lines: list[tuple[str, float, bool]], x: float, top: float, bottom: float, w: float
    ) -> None:
        """Draw wrapped lines between `top` and `bottom`, shrinking all of them until they fit."""
        scale = 1.0
        while True:
            laid = [
                (piece, size * scale, bold)
                for text, size, bold in lines
                for piece in f.wrap(self.fonts, text, size * scale, w, bold)
            ]
            height = sum(size * 1.2 for _, size, _ in laid)
            if height <= bottom - top or scale < 0.6:
                break
            scale *= 0.9
        y = top
        for text, size, bold in laid:
            y += size * 1.2
            if y > bottom + size * 0.2:
                break  # what still does not fit is left off rather than printed over the next part
            self.text(text, x, y - size * 0.25, size, bold)

    def rule(self, top: float, weight: float = 1.5) -> None:
        """Draw a line across the label `top` points below the top edge."""
        self.canvas.setLineWidth(weight)
        self.canvas.setStrokeColor(black)
        self.canvas.line(MARGIN, HEIGHT - top, WIDTH - MARGIN, HEIGHT - top)


def render_label_pdf(data: LabelData, font_path: str | None = None) -> bytes:
    """Render the label as a one-page 4×6 inch PDF; the same data gives the same bytes."""
    fonts = f.fonts_for(font_path)
    out = io.BytesIO()
    # invariant=1 leaves out the creation date and random document id, so output is repeatable.
    canvas = Canvas(out, pagesize=(WIDTH, HEIGHT), invariant=1, pageCompression=1)
    canvas.setTitle(f"{data.rma_number} {data.tracking_number}")
    canvas.setAuthor(data.store_name)
    _draw_label(_Page(canvas, fonts), data)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def render_label_svg(data: LabelData, font_path: str | None = None) -> str:
    """Render the label as a 4×6 inch SVG picture of the PDF, to show on a page and print."""
    canvas = SvgCanvas(WIDTH, HEIGHT, title=f"{data.rma_number} {data.tracking_number}")
    _draw_label(_Page(canvas, f.fonts_for(font_path)), data)
    return canvas.svg()


def _draw_label(page: _Page, data: LabelData) -> None:
    """Lay the label out on the page's surface (a PDF canvas or an SvgCanvas)."""
    canvas = page.canvas
    left, right = MARGIN, WIDTH - MARGIN

    # Carrier and service, big enough to sort by at a glance; store, date and weight beside.
    page.fitted(data.carrier_name, left, 28, 17, INNER * 0.58, bold=True)
    page.fitted(data.service_name, left, 44, 11, INNER * 0.58)
    page.fitted(data.store_name, right, 22, 9, INNER * 0.4, bold=True, align="right")
    page.text(data.shipped_on.isoformat(), right, 34, 8, align="right")
    page.text(format_weight(data.weight_grams), right, 45, 8, align="right")
    page.rule(52)

    # The sender beside the drop-off QR code.
    has_qr = bool(data.qr_payload)
    from_width = INNER - (QR_SIZE + 6 if has_qr else 0)
    page.block(
        [(data.heading_from, 7, True)]
        + [
            (line, 8.5 if i else 9, i == 0)
            for i, line in enumerate(address_lines(data.from_address))
        ],
        left,
        55,
        52 + QR_SIZE + 2,
        from_width,
    )
    if has_qr:
        draw_qr(canvas, data.qr_payload, right - QR_SIZE + 4, HEIGHT - 52 - QR_SIZE - 2, QR_SIZE)
    page.rule(140)

    # The warehouse, the largest text on the label: it is what the carrier reads.
    page.block(
        [(data.heading_to, 8, True)]
        + [
            (line, 12.5 if i else 14, i == 0)
            for i, line in enumerate(address_lines(data.to_address))
        ],
        left,
        143,
        244,
        INNER,
    )
    page.rule(248, 2.5)

    # Tracking number: barcode over the human-readable number.
    draw_code128(canvas, data.tracking_number, left, HEIGHT - 318, INNER, 62)
    page.text(data.tracking_number, WIDTH / 2, 334, 14, bold=True, align="center")
    page.rule(342, 2.5)

    # RMA barcode for the warehouse, with the order number beside it.
    rma_width = INNER * 0.62
    page.text(data.heading_rma, left, 353, 7, bold=True)
    # The page margin (12 pt) is the quiet zone: ten modules of 3 printer dots are 10.6 pt.
    draw_code128(canvas, data.rma_number, left, HEIGHT - 388, rma_width, 30, 3 * PRINTER_DOT, False)
    page.fitted(data.rma_number, left, 400, 10, rma_width, bold=True)
    order_left = left + rma_width + 8
    page.text(data.heading_order, order_left, 353, 7, bold=True)
    page.fitted(data.order_number, order_left, 370, 12, right - order_left, bold=True)
    if data.note:
        page.block([(data.note, 8, False)], left, 404, HEIGHT - MARGIN + 4, INNER)
