"""Barcodes on a canvas (Code 128, QR) and QR codes for web pages (SVG, PNG)."""

from __future__ import annotations

import functools
import io

import segno
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import black
from reportlab.pdfgen.canvas import Canvas

# One dot of a 203-dpi thermal printer, in points: bars a whole number of dots wide print evenly.
PRINTER_DOT = 72 / 203
QUIET_MODULES = 10  # ISO/IEC 15417 asks for ten module widths of white on each side


def code128_modules(value: str) -> int:
    """Return how many modules wide `value` is in Code 128, start and stop included."""
    # An empty or non-ASCII value would print a blank or wrong barcode that no scanner reads.
    if not value or not value.isascii() or not value.isprintable():
        raise ValueError(f"Code 128 needs printable ASCII, not {value!r}")
    return int(Code128(value, barWidth=1, quiet=0).width)


def draw_code128(
    canvas: Canvas,
    value: str,
    x: float,
    y: float,
    max_width: float,
    height: float,
    max_bar: float = 4 * PRINTER_DOT,
    centre: bool = True,
) -> float:
    """Draw `value` as Code 128 in [x, x + max_width] with its foot at y; return its width.

    Bars are a whole number of printer dots wide when that fits, and the quiet zones are kept.
    """
    modules = code128_modules(value) + 2 * QUIET_MODULES
    bar = min(max_bar, max_width / modules)
    if bar >= PRINTER_DOT:
        bar = int(bar / PRINTER_DOT) * PRINTER_DOT
    barcode = Code128(value, barWidth=bar, barHeight=height, quiet=0, humanReadable=0)
    # Left-aligned, the caller leaves the quiet zone to the left of x (a page margin does).
    left = x + (max_width - barcode.width) / 2 if centre else x
    canvas.saveState()
    canvas.setFillColor(black)
    barcode.drawOn(canvas, left, y)
    canvas.restoreState()
    return float(barcode.width)


@functools.lru_cache(maxsize=256)
def _qr(payload: str) -> segno.QRCode:
    if not payload:
        raise ValueError("a QR code needs a payload")
    # Level M survives a scuffed label; segno raises it further when that costs no extra size.
    return segno.make_qr(payload, error="m")


def qr_modules(payload: str) -> int:
    """Return how many modules wide the QR code of `payload` is, without the quiet zone."""
    return len(_qr(payload).matrix)


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw a QR code of `payload`, quiet zone included, in the square at (x, y) of side `size`."""
    qr = _qr(payload)
    count = len(qr.matrix) + 8  # four modules of quiet zone on each side
    module = size / count
    path = canvas.beginPath()
    # One rectangle per horizontal stretch of dark modules keeps the page small and fast.
    for row, cells in enumerate(qr.matrix):
        top = y + size - (row + 4) * module
        col = 0
        while col < len(cells):
            if cells[col]:
                start = col
                while col < len(cells) and cells[col]:
                    col += 1
                path.rect(x + (start + 4) * module, top - module, (col - start) * module, module)
            else:
                col += 1
    canvas.saveState()
    canvas.setFillColor(black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def render_qr_svg(payload: str) -> str:
    """Return a QR code of `payload` as SVG to embed in a page or serve alone (no scripts)."""
    out = io.BytesIO()
    # The namespace lets the same text be served as image/svg+xml; no width or height, so the
    # page's CSS sizes it through the viewBox; a white ground keeps it scannable in dark mode.
    _qr(payload).save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        scale=1,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        light="#fff",
    )
    return out.getvalue().decode("ascii")


def render_qr_png(payload: str, scale: int = 8) -> bytes:
    """Return a QR code of `payload` as a PNG, `scale` pixels per module."""
    if scale < 1:
        raise ValueError("scale is at least one pixel per module")
    out = io.BytesIO()
    _qr(payload).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
