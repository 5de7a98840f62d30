"""The 4×2 inch bin label stuck on a returned item at inspection: where it goes, and what it is.

The worker reads the disposition and the bin code from across the bench, so they are the
largest text; the grade sits in a box beside them. Below come the item, its SKU as Code 128
for the next scan, the RMA and quantity, and who inspected it when, small.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from reportlab.lib.colors import black
from reportlab.pdfgen.canvas import Canvas

from returns_portal.documents import fonts as f
from returns_portal.documents import label, zpl
from returns_portal.documents.barcodes import PRINTER_DOT, code128_modules, draw_code128

WIDTH, HEIGHT = 4 * 72, 2 * 72  # points, landscape
MARGIN = label.MARGIN  # also the quiet zone left of the SKU barcode, as on the return label
INNER = WIDTH - 2 * MARGIN
GRADES = frozenset("ABCD")
DISPOSITIONS = frozenset({"restock", "refurbish", "liquidate", "recycle", "return_to_vendor"})
HEADINGS = {"grade": "GRADE", "qty": "QTY", "rma": "RMA", "inspected": "INSPECTED"}


@dataclass(frozen=True)
class BinLabelData:
    """What a bin label shows; every word already in the warehouse worker's language."""

    rma_number: str
    sku: str
    item_name: str
    variant: str
    quantity: int
    grade: str  # "A" to "D"
    disposition: str  # one of DISPOSITIONS
    disposition_text: str  # the disposition in words, e.g. "RESTOCK" or "重新上架"
    bin_code: str  # printable ASCII, e.g. "RST-A"
    inspected_on: date
    inspector: str
    headings: Mapping[str, str] = field(default_factory=dict)  # keys: see HEADINGS


def _check(data: BinLabelData) -> dict[str, str]:
    """Refuse data that would print a misleading label; return the headings, defaults filled."""
    code128_modules(data.sku)  # raises ValueError for an empty or non-ASCII SKU
    if not data.bin_code.strip() or not data.bin_code.isascii() or not data.bin_code.isprintable():
        # The bin code is the one thing both printers must show; ZPL prints ASCII only.
        raise ValueError(f"a bin code is printable ASCII, not {data.bin_code!r}")
    if data.grade not in GRADES:
        raise ValueError(f"grade is one of A, B, C, D, not {data.grade!r}")
    if data.disposition not in DISPOSITIONS:
        raise ValueError(f"unknown disposition {data.disposition!r}")
    if data.quantity < 1:
        raise ValueError(f"a bin label is for at least one unit, not {data.quantity}")
    unknown = sorted(data.headings.keys() - HEADINGS.keys())
    if unknown:
        raise ValueError(f"unknown bin label headings: {', '.join(unknown)}")
    return {**HEADINGS, **{key: text for key, text in data.headings.items() if text.strip()}}


def _disposition_words(data: BinLabelData) -> str:
    return f.clean(data.disposition_text) or data.disposition.replace("_", " ").upper()


def _inspected(data: BinLabelData) -> str:
    return " · ".join(part for part in (data.inspected_on.isoformat(), data.inspector) if part)


def render_bin_label_pdf(data: BinLabelData, font_path: str | None = None) -> bytes:
    """Render the bin label as a one-page 4×2 inch PDF; the same data gives the same bytes."""
    headings = _check(data)
    fonts = f.fonts_for(font_path)
    out = io.BytesIO()
    # invariant=1 leaves out the creation date and random document id, so output is repeatable.
    canvas = Canvas(out, pagesize=(WIDTH, HEIGHT), invariant=1, pageCompression=1)
    canvas.setTitle(f"{data.rma_number} {data.sku} {data.bin_code}")
    # The return label's drawing moves measure down from the top of a 6-inch page; moving the
    # origin down by the difference makes them measure from the top of this one. up(top) is
    # the canvas y of a point `top` points below this page's top edge.
    canvas.translate(0, HEIGHT - label.HEIGHT)
    page = label._Page(canvas, fonts)

    def up(top: float) -> float:
        return label.HEIGHT - top

    left, right = MARGIN, WIDTH - MARGIN

    # Grade in a box at the top right, level with the disposition.
    box, box_top = 50, 10
    box_left = right - box
    canvas.setLineWidth(2)
    canvas.setStrokeColor(black)
    canvas.rect(box_left, up(box_top + box), box, box, stroke=1, fill=0)
    page.fitted(headings["grade"], box_left + box / 2, box_top + 9, 6.5, box - 6, True, "center")
    page.text(data.grade, box_left + box / 2, box_top + 44, 34, bold=True, align="center")

    # The disposition as large as its words allow, then the bin code: what the worker acts on.
    words = _disposition_words(data)
    room = box_left - 10 - left
    size = 32.0
    natural = f.width(f.runs(fonts, words, True), size)
    if natural > room:
        size = max(14.0, size * room / natural)  # below 14 pt it is cut rather than shrunk
    page.fitted(words, left, 26 + size * 0.36, size, room, bold=True)
    page.fitted(data.bin_code, left, 62, 20, room, bold=True)
    page.rule(66)

    # The item, in any language: name over variant, shrunk and then cut to two lines' room.
    page.block([(data.item_name, 9, True), (data.variant, 8, False)], left, 68, 93, INNER)

    # SKU barcode for the next scan, its number under it; the page margin is its quiet zone.
    # As wide as the RMA column allows: a 15-character SKU still gets bars two printer dots wide.
    sku_width = INNER * 0.62
    draw_code128(canvas, data.sku, left, up(120), sku_width, 24, 3 * PRINTER_DOT, False)
    page.fitted(data.sku, left, 130, 8, sku_width, bold=True)

    # RMA and quantity side by side, who inspected it and when under them.
    column = left + sku_width + 8
    column_width = right - column
    page.fitted(headings["rma"], column, 101, 6, column_width * 0.7, bold=True)
    page.fitted(data.rma_number, column, 112, 10, column_width * 0.7, bold=True)
    page.fitted(headings["qty"], right, 101, 6, column_width * 0.28, True, "right")
    page.fitted(str(data.quantity), right, 112, 12, column_width * 0.28, True, "right")
    page.fitted(headings["inspected"], column, 122, 6, column_width, bold=True)
    page.fitted(_inspected(data), column, 131, 7, column_width)

    canvas.showPage()
    canvas.save()
    return out.getvalue()


def render_bin_label_zpl(data: BinLabelData) -> bytes:
    """Render the bin label as ZPL II for a 4×2 inch, 203-dpi printer; ASCII text only.

    Words with no ASCII form (Chinese) fall back to the English headings and disposition, so
    the label still says where the item goes; the item name is then left to the SKU.
    """
    headings = _check(data)
    width, height = 4 * zpl.DOTS, 2 * zpl.DOTS  # 812 × 406 dots
    margin, inner = zpl.MARGIN, zpl.INNER  # the same 4-inch width as the return label

    def heading(key: str) -> str:
        return zpl.ascii_text(headings[key]) or HEADINGS[key]

    z = zpl._Zpl()
    right = width - margin

    box, box_top = 140, 28
    box_left = right - box
    z.lines.append(f"^FO{box_left},{box_top}^GB{box},{box},5^FS")
    z.text(heading("grade"), box_left, box_top + 10, 22, box, "C")
    z.text(data.grade, box_left, box_top + 36, 96, box, "C")

    words = zpl.ascii_text(data.disposition_text) or data.disposition.replace("_", " ").upper()
    room = box_left - 20 - margin
    # Shrink to fit before _Zpl.text, which would stop at 70 % and cut the rest.
    size = max(44, min(92, int(room / (len(words) * zpl.CHAR_WIDTH))))
    z.text(words, margin, 28 + (92 - size) // 2, size, room)
    z.text(data.bin_code, margin, 128, 56, room)
    z.rule(192, 4)

    z.text(data.item_name, margin, 204, 28, inner)
    # "蓝色 / XL" keeps "/ XL"; the separator alone at the front reads as a typo.
    z.text(zpl.ascii_text(data.variant).strip(" /,-"), margin, 236, 24, inner)

    sku_width = int(inner * 0.62)
    z.code128(data.sku, 270, 62, 3, margin, sku_width)
    z.text(data.sku, margin, 340, 24, sku_width, "C")

    column = margin + sku_width + 20
    column_width = right - column
    rma_width = int(column_width * 0.7)
    z.text(heading("rma"), column, 272, 18, rma_width)
    z.text(data.rma_number, column, 292, 30, rma_width)
    z.text(heading("qty"), right - 90, 272, 18, 90, "R")
    z.text(str(data.quantity), right - 90, 290, 36, 90, "R")
    z.text(heading("inspected"), column, 334, 18, column_width)
    inspected = (data.inspected_on.isoformat(), zpl.ascii_text(data.inspector))
    z.text(" - ".join(part for part in inspected if part), column, 354, 22, column_width)

    head = ["^XA", "^CI0", f"^PW{width}", f"^LL{height}", "^LH0,0"]
    return "\n".join([*head, *z.lines, "^XZ"]).encode("ascii")
