"""The 4×6 inch return label in ZPL II, for 203-dpi thermal printers (Zebra and compatibles).

Text is printed in the printer's built-in scalable font 0 with the default code page, so only
ASCII is sent: accented letters lose their accents and characters with no ASCII form (Chinese)
are left out (a heading with no ASCII form prints in English). Printing CJK would need a font
downloaded to each printer (^CI28 with ^A@), which the portal cannot know is there; the PDF
label prints every language.
"""

from __future__ import annotations

import unicodedata

from returns_portal.documents.barcodes import code128_modules, qr_modules
from returns_portal.documents.label import LabelData, address_lines, format_weight

DOTS = 203
WIDTH, HEIGHT = 4 * DOTS, 6 * DOTS  # 812 × 1218 dots
MARGIN = 34
INNER = WIDTH - 2 * MARGIN
# Font 0 averages a little over half its height per character at the default aspect.
CHAR_WIDTH = 0.56


# Latin letters that Unicode does not decompose into a base letter and an accent.
_LATIN = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d",
     "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "⁄": "/"}
)  # fmt: skip


def ascii_text(text: str) -> str:
    """Return `text` in printable ASCII: accents dropped, anything else left out.

    Text that loses more than half its characters is left out whole: "88" alone from a
    Chinese street address would mislead more than it helps.
    """
    folded = unicodedata.normalize("NFKD", text).translate(_LATIN)
    kept = "".join(c if " " <= c <= "~" else " " if c.isspace() else "" for c in folded)
    kept = " ".join(kept.split())
    wanted = sum(1 for c in folded if not c.isspace() and not unicodedata.combining(c))
    return kept if len(kept.replace(" ", "")) * 2 >= wanted else ""


def _heading(text: str, english: str) -> str:
    """Return a heading that prints in ASCII: the English one when `text` has no ASCII form."""
    return text if ascii_text(text) else english


def _field_data(text: str) -> str:
    """Return ^FD content, escaping ZPL's control characters through ^FH when there are any."""
    if not any(c in text for c in "^~_"):
        return f"^FD{text}^FS"
    escaped = "".join(f"_{ord(c):02X}" if c in "^~_" else c for c in text)
    return f"^FH_^FD{escaped}^FS"


class _Zpl:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def text(
        self, text: str, x: int, y: int, height: int, width: int = INNER, align: str = "L"
    ) -> None:
        """Print one line of at most `width` dots, shrinking (to 70 %) and then cutting it."""
        text = ascii_text(text)
        if not text:
            return
        fitted = max(int(height * 0.7), min(height, int(width / (len(text) * CHAR_WIDTH))))
        text = text[: max(1, int(width / (fitted * CHAR_WIDTH)))].rstrip()
        field = f"^FO{x},{y}^A0N,{fitted},{fitted}^FB{width},1,0,{align}"
        self.lines.append(field + _field_data(text))

    def paragraph(self, text: str, x: int, y: int, height: int, max_lines: int) -> None:
        """Print text wrapped by the printer over at most `max_lines` lines."""
        text = ascii_text(text)
        if not text:
            return
        # ZPL prints overflowing text over the last line, so cut it to what fits first.
        text = text[: int(INNER / (height * CHAR_WIDTH)) * max_lines].rstrip()
        field = f"^FO{x},{y}^A0N,{height},{height}^FB{INNER},{max_lines},4,L"
        self.lines.append(field + _field_data(text))

    def rule(self, y: int, thickness: int) -> None:
        self.lines.append(f"^FO{MARGIN},{y}^GB{INNER},{thickness},{thickness}^FS")

    def code128(self, value: str, y: int, height: int, max_module: int, x: int, width: int) -> None:
        """Print `value` as Code 128, centred in [x, x + width], modules a whole number of dots."""
        modules = code128_modules(value) + 20  # quiet zones
        module = max(1, min(max_module, width // modules))
        left = x + max(0, (width - (modules - 20) * module) // 2)
        # Mode A lets the printer switch to subset C for runs of digits, as the PDF does.
        self.lines.append(f"^FO{left},{y}^BY{module}^BCN,{height},N,N,N,A" + _field_data(value))


def render_label_zpl(data: LabelData) -> bytes:
    """Render the label as ZPL II for a 4×6 inch, 203-dpi printer; ASCII text only."""
    z = _Zpl()
    right_width = 330
    right_x = WIDTH - MARGIN - right_width
    z.text(data.carrier_name, MARGIN, 30, 52, INNER - right_width - 10)
    z.text(data.service_name, MARGIN, 92, 32, INNER - right_width - 10)
    z.text(data.store_name, right_x, 32, 26, right_width, "R")
    z.text(data.shipped_on.isoformat(), right_x, 70, 24, right_width, "R")
    z.text(format_weight(data.weight_grams), right_x, 102, 24, right_width, "R")
    z.rule(142, 4)

    qr_size = 230 if data.qr_payload else 0
    y = 156
    z.text(_heading(data.heading_from, "FROM"), MARGIN, y, 22)
    y += 30
    for index, line in enumerate(address_lines(data.from_address)[:6]):
        z.text(line, MARGIN, y, 28 if index == 0 else 25, INNER - qr_size - 10)
        y += 31
    if data.qr_payload:
        # ^BQ at ECC level M picks the same symbol size as the PDF's QR code.
        modules = qr_modules(data.qr_payload)
        magnify = max(1, min(10, (qr_size - 20) // modules))
        field = f"^FO{WIDTH - MARGIN - modules * magnify},150^BQN,2,{magnify}"
        z.lines.append(field + _field_data(f"MA,{data.qr_payload}"))
    z.rule(392, 4)

    y = 404
    z.text(_heading(data.heading_to, "TO"), MARGIN, y, 24)
    y += 32
    for index, line in enumerate(address_lines(data.to_address)[:6]):
        z.text(line, MARGIN, y, 42 if index == 0 else 36)
        y += 44 if index == 0 else 41
    z.rule(696, 7)

    z.code128(data.tracking_number, 720, 170, 3, MARGIN, INNER)
    z.text(data.tracking_number, MARGIN, 900, 42, INNER, "C")
    z.rule(956, 7)

    rma_width = int(INNER * 0.62)
    z.text(_heading(data.heading_rma, "RMA"), MARGIN, 976, 22, rma_width)
    z.code128(data.rma_number, 1004, 80, 2, MARGIN, rma_width)
    z.text(data.rma_number, MARGIN, 1092, 30, rma_width)
    order_x = MARGIN + rma_width + 20
    z.text(_heading(data.heading_order, "ORDER"), order_x, 976, 22, WIDTH - MARGIN - order_x)
    z.text(data.order_number, order_x, 1006, 38, WIDTH - MARGIN - order_x)
    z.paragraph(data.note, MARGIN, 1134, 24, 2)

    head = ["^XA", "^CI0", f"^PW{WIDTH}", f"^LL{HEIGHT}", "^LH0,0"]
    return "\n".join([*head, *z.lines, "^XZ"]).encode("ascii")
