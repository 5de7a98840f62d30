"""The packing slip that goes in the box: RMA barcode, items, what to include, how to send it."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from returns_portal.documents import fonts as f
from returns_portal.documents.barcodes import draw_code128
from returns_portal.documents.label import address_lines
from returns_portal.shipping.carriers import Address

PAGE_SIZES = {"A4": A4, "LETTER": LETTER}
HEADING_KEYS = frozenset(
    {
        "rma",
        "order",
        "customer",
        "item",
        "sku",
        "qty",
        "reason",
        "include",
        "instructions",
        "ship_to",
    }
)
MARGIN = 40
HEADER = 64  # room at the top of every page for the store name and the RMA barcode
GREY = colors.HexColor("#555555")
LINE = colors.HexColor("#BBBBBB")


@dataclass(frozen=True)
class SlipItem:
    """One returned item as listed on the slip."""

    sku: str
    name: str
    variant: str
    quantity: int
    reason: str


@dataclass(frozen=True)
class PackingSlipData:
    """What the packing slip shows; every word already in the customer's language."""

    store_name: str
    title: str
    rma_number: str
    order_number: str
    customer_name: str
    return_address: Address
    items: tuple[SlipItem, ...]
    include: tuple[str, ...]  # what goes in the box besides the items: accessories, gifts
    instructions: tuple[str, ...]
    headings: Mapping[str, str]  # keys: see HEADING_KEYS
    page_size: str = "A4"  # or "Letter"


class _Text(Flowable):
    """Plain text wrapped to the width it is given, one font per run of characters.

    Lighter than a Paragraph (no markup to parse, nothing to escape), which keeps a slip with
    dozens of cells well inside its time budget.
    """

    def __init__(
        self,
        fonts: f.Fonts,
        text: str,
        size: float,
        bold: bool = False,
        color: colors.Color = colors.black,
        align: str = "left",
        bullet: str = "",
        space_before: float = 0,
        space_after: float = 0,
    ) -> None:
        super().__init__()
        self.fonts, self.text, self.size, self.bold = fonts, f.clean(text), size, bold
        self.color, self.align, self.bullet = color, align, bullet
        self.spaceBefore, self.spaceAfter = space_before, space_after
        self.leading = size * 1.3
        self.indent = size * 1.6 if bullet else 0.0
        self.lines: list[str] = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.lines = f.wrap(
            self.fonts, self.text, self.size, available_width - self.indent, self.bold
        )
        self.height = max(1, len(self.lines)) * self.leading
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFillColor(self.color)
        if self.bullet:
            bullet = f.runs(self.fonts, self.bullet)
            f.draw(canvas, 2, self.height - self.size, bullet, self.size, self.fonts)
        for index, line in enumerate(self.lines):
            parts = f.runs(self.fonts, line, self.bold)
            x = self.indent
            if self.align == "right":
                x = self.width - f.width(parts, self.size)
            y = self.height - self.size - index * self.leading
            f.draw(canvas, x, y, parts, self.size, self.fonts, self.bold, self.color)


def render_packing_slip_pdf(data: PackingSlipData, font_path: str | None = None) -> bytes:
    """Render the packing slip as a PDF, over as many pages as the items need."""
    missing = sorted(HEADING_KEYS - data.headings.keys())
    if missing:
        raise ValueError(f"packing slip headings missing: {', '.join(missing)}")
    page_size = PAGE_SIZES.get(data.page_size.upper())
    if page_size is None:
        raise ValueError(f"page size {data.page_size!r} is not one of A4, Letter")
    fonts = f.fonts_for(font_path)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=page_size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER,
        bottomMargin=MARGIN + 10,
        title=f"{data.title} {data.rma_number}",
        author=data.store_name,
        creator="returns-portal",
        # No creation date and no random document id: the same slip gives the same bytes.
        invariant=1,
        pageCompression=1,
    )

    def decorate(canvas: Canvas, document: Any) -> None:
        _page_header(canvas, data, fonts, page_size, document.page)

    doc.build(_story(data, fonts, doc.width), onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


def _page_header(
    canvas: Canvas, data: PackingSlipData, fonts: f.Fonts, size: tuple[float, float], page: int
) -> None:
    """Draw the store name, the RMA barcode and the page number on every page."""
    width, height = size
    top = height - MARGIN
    barcode_width = 200
    store = f.runs(fonts, f.clean(data.store_name), bold=True)
    store_size = min(
        14.0, 14 * (width - 2 * MARGIN - barcode_width - 20) / max(1, f.width(store, 14))
    )
    f.draw(canvas, MARGIN, top - 16, store, store_size, fonts, bold=True)
    # The warehouse scans this to open the return when the box is unpacked.
    draw_code128(
        canvas, data.rma_number, width - MARGIN - barcode_width, top - 38, barcode_width, 38
    )
    number = f.runs(fonts, f.clean(data.rma_number), bold=True)
    centre = width - MARGIN - barcode_width / 2
    f.draw(canvas, centre - f.width(number, 10) / 2, top - 52, number, 10, fonts, bold=True)
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.75)
    canvas.line(MARGIN, top - HEADER + 6, width - MARGIN, top - HEADER + 6)
    footer = f.runs(fonts, f"{f.clean(data.rma_number)} · {page}")
    f.draw(canvas, (width - f.width(footer, 8)) / 2, MARGIN - 4, footer, 8, fonts)


def _story(data: PackingSlipData, fonts: f.Fonts, width: float) -> list[Flowable]:
    h = data.headings

    def text(value: str, size: float = 9.5, **options: Any) -> _Text:
        return _Text(fonts, value, size, **options)

    def label(value: str) -> _Text:
        return text(value, 7.5, color=GREY)

    story: list[Flowable] = [text(data.title, 17, bold=True, space_after=12)]

    facts = [
        [label(h["rma"]), text(data.rma_number, bold=True)],
        [label(h["order"]), text(data.order_number, bold=True)],
        [label(h["customer"]), text(data.customer_name)],
    ]
    ship_to = [label(h["ship_to"])] + [
        text(line, bold=index == 0) for index, line in enumerate(address_lines(data.return_address))
    ]
    half = width / 2
    facts_table = Table(facts, colWidths=[70, half - 80], hAlign="LEFT")
    facts_table.setStyle(_PLAIN)
    top = Table([[facts_table, ship_to]], colWidths=[half, half], hAlign="LEFT")
    top.setStyle(_PLAIN)
    story += [top, Spacer(1, 16)]

    def head(value: str, align: str = "left") -> _Text:
        return text(value, 8, color=GREY, align=align)

    rows: list[list[Any]] = [
        [head(h["item"]), head(h["sku"]), head(h["qty"], "right"), head(h["reason"])]
    ]
    for item in data.items:
        name: list[Flowable] = [text(item.name, 9, bold=True)]
        if item.variant.strip():
            name.append(text(item.variant, 8, color=GREY))
        rows.append(
            [
                name,
                text(item.sku, 8.5),
                text(str(item.quantity), 10, bold=True, align="right"),
                text(item.reason, 9),
            ]
        )
    items = Table(
        rows,
        colWidths=[width * 0.42, width * 0.22, width * 0.08, width * 0.28],
        repeatRows=1,
        hAlign="LEFT",
    )
    items.setStyle(
        TableStyle(
            [
                *_PLAIN_COMMANDS,
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.5, LINE),
                ("RIGHTPADDING", (2, 0), (2, -1), 10),
            ]
        )
    )
    story.append(items)

    def section(heading: str, lines: list[_Text]) -> KeepTogether:
        return KeepTogether(
            [text(heading, 10.5, bold=True, space_before=16, space_after=5), *lines]
        )

    if data.include:
        story.append(
            section(h["include"], [text(line, bullet="•", space_after=3) for line in data.include])
        )
    if data.instructions:
        steps = [
            text(line, bullet=f"{number}.", space_after=3)
            for number, line in enumerate(data.instructions, start=1)
        ]
        story.append(section(h["instructions"], steps))
    return story


_PLAIN_COMMANDS: list[tuple[Any, ...]] = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ("TOPPADDING", (0, 0), (-1, -1), 1),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
]
_PLAIN = TableStyle(_PLAIN_COMMANDS)
