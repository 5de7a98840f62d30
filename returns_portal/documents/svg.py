"""A drawing surface with the few moves of reportlab's canvas the label uses, writing SVG.

The label is laid out once (label.py) and drawn either on a PDF canvas or on this one, so
the picture a customer sees on the page is the label they print. Coordinates are the PDF's
(points, y up from the bottom edge); they are flipped into SVG's (y down) as they are drawn.
Text is sized to the width reportlab measured (`textLength`), so it sits where the PDF puts
it whatever font the browser picks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from reportlab.lib.colors import Color, black
from reportlab.pdfbase import pdfmetrics

# What a browser may use for the PDF's fonts: Helvetica's metrics are what reportlab
# measured, and a CJK face for the text the PDF sets in WenQuanYi or STSong.
LATIN_FAMILY = "Helvetica, Arial, 'Liberation Sans', sans-serif"
CJK_FAMILY = "'WenQuanYi Zen Hei', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros: small files."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _colour(color: Color) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in color.rgb()))


@dataclass
class _State:
    dx: float = 0.0
    dy: float = 0.0
    fill: Color = black
    stroke: Color = black
    line_width: float = 1.0


@dataclass
class SvgPath:
    """Rectangles collected to be filled together, as reportlab's path object collects them."""

    parts: list[tuple[float, float, float, float]] = field(default_factory=list)

    def rect(self, x: float, y: float, width: float, height: float) -> None:
        self.parts.append((x, y, width, height))


class SvgText:
    """reportlab's text object, as far as fonts.draw uses it: runs of one font each."""

    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y
        self.runs: list[tuple[str, float, bool, str, float]] = []
        self._font, self._size, self._bold = "Helvetica", 10.0, False

    def setFont(self, font: str, size: float) -> None:
        self._font, self._size = font, size

    def setTextRenderMode(self, mode: int) -> None:
        self._bold = mode == 2  # filled and stroked: bold drawn on a face that has none

    def textOut(self, text: str) -> None:
        width = pdfmetrics.stringWidth(text, self._font, self._size)
        self.runs.append((self._font, self._size, self._bold, text, width))


class SvgCanvas:
    """Draw on a page of `width` × `height` points; `svg()` returns the picture.

    The methods keep reportlab's camelCase names: the same drawing code calls either canvas.
    """

    def __init__(self, width: float, height: float, title: str = "") -> None:
        self.width, self.height, self.title = width, height, title
        self._state = _State()
        self._saved: list[_State] = []
        self._body: list[str] = []
        # Filled rectangles (barcode bars, QR modules) by colour, drawn as one path each.
        self._fills: dict[str, list[str]] = {}

    # state ---------------------------------------------------------------------------------
    def saveState(self) -> None:
        self._saved.append(_State(**vars(self._state)))

    def restoreState(self) -> None:
        self._state = self._saved.pop()

    def translate(self, dx: float, dy: float) -> None:
        self._state.dx += dx
        self._state.dy += dy

    def setFillColor(self, color: Color) -> None:
        self._state.fill = color

    def setStrokeColor(self, color: Color) -> None:
        self._state.stroke = color

    def setLineWidth(self, width: float) -> None:
        self._state.line_width = width

    # drawing -------------------------------------------------------------------------------
    def _x(self, x: float) -> float:
        return x + self._state.dx

    def _y(self, y: float) -> float:
        return self.height - (y + self._state.dy)

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self._body.append(
            f'<line x1="{_n(self._x(x1))}" y1="{_n(self._y(y1))}" x2="{_n(self._x(x2))}" '
            f'y2="{_n(self._y(y2))}" stroke="{_colour(self._state.stroke)}" '
            f'stroke-width="{_n(self._state.line_width)}"/>'
        )

    def rect(self, x: float, y: float, width: float, height: float, stroke: int = 1,
             fill: int = 0, **_: Any) -> None:  # fmt: skip
        if fill and not stroke:
            self._fill(x, y, width, height)
            return
        self._body.append(
            f'<rect x="{_n(self._x(x))}" y="{_n(self._y(y + height))}" width="{_n(width)}" '
            f'height="{_n(height)}" fill="{_colour(self._state.fill) if fill else "none"}" '
            f'stroke="{_colour(self._state.stroke) if stroke else "none"}" '
            f'stroke-width="{_n(self._state.line_width)}"/>'
        )

    def _fill(self, x: float, y: float, width: float, height: float) -> None:
        self._fills.setdefault(_colour(self._state.fill), []).append(
            f"M{_n(self._x(x))} {_n(self._y(y + height))}h{_n(width)}v{_n(height)}h{_n(-width)}z"
        )

    def beginPath(self) -> SvgPath:
        return SvgPath()

    def drawPath(self, path: SvgPath, stroke: int = 1, fill: int = 0) -> None:
        for x, y, width, height in path.parts:
            self.rect(x, y, width, height, stroke=stroke, fill=fill)

    def beginText(self, x: float, y: float) -> SvgText:
        return SvgText(x, y)

    def drawText(self, text: SvgText) -> None:
        x = text.x
        colour = _colour(self._state.fill)
        for font, size, fake_bold, chunk, width in text.runs:
            family = LATIN_FAMILY if font.startswith("Helvetica") else CJK_FAMILY
            weight = ' font-weight="bold"' if fake_bold or font.endswith("-Bold") else ""
            self._body.append(
                f'<text x="{_n(self._x(x))}" y="{_n(self._y(text.y))}" '
                f'font-family={quoteattr(family)} font-size="{_n(size)}"{weight} fill="{colour}" '
                f'textLength="{_n(width)}" lengthAdjust="spacingAndGlyphs">{escape(chunk)}</text>'
            )
            x += width

    # output --------------------------------------------------------------------------------
    def svg(self) -> str:
        """Return the drawing as a standalone SVG document, sized in inches for printing."""
        fills = "".join(
            # crispEdges: neighbouring bars and modules meet without a pale seam between them.
            f'<path fill="{colour}" shape-rendering="crispEdges" d="{"".join(parts)}"/>'
            for colour, parts in self._fills.items()
        )
        title = f"<title>{escape(self.title)}</title>" if self.title else ""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(self.width)} '
            f'{_n(self.height)}" width="{_n(self.width / 72)}in" height="{_n(self.height / 72)}in">'
            f'{title}<rect width="100%" height="100%" fill="#fff"/>{"".join(self._body)}{fills}'
            "</svg>"
        )
