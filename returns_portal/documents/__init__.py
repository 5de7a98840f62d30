"""Documents: return labels (PDF, SVG, ZPL), packing slips, bin labels and QR codes; data in,
bytes out.

Pure rendering: no Flask, no database. Every word is passed in already translated.
"""

from returns_portal.documents.barcodes import render_qr_png, render_qr_svg
from returns_portal.documents.bin_label import (
    BinLabelData,
    render_bin_label_pdf,
    render_bin_label_zpl,
)
from returns_portal.documents.fonts import FontError
from returns_portal.documents.label import LabelData, render_label_pdf, render_label_svg
from returns_portal.documents.slip import PackingSlipData, SlipItem, render_packing_slip_pdf
from returns_portal.documents.zpl import render_label_zpl

__all__ = [
    "BinLabelData",
    "FontError",
    "LabelData",
    "PackingSlipData",
    "SlipItem",
    "render_bin_label_pdf",
    "render_bin_label_zpl",
    "render_label_pdf",
    "render_label_svg",
    "render_label_zpl",
    "render_packing_slip_pdf",
    "render_qr_png",
    "render_qr_svg",
]
