"""Fonts for the documents: pick a font per run of characters, so any language prints.

Without a font file, Latin text is set in Helvetica (crisp, and every PDF reader has it) and
Chinese, Japanese and Korean in Debian's WenQuanYi Zen Hei (`fonts-wqy-zenhei`, which
`make system-deps` installs), embedded so the document looks the same in every reader and
printer. Where that font is not installed, they go to reportlab's built-in STSong-Light CID
font, which needs nothing installed but is not embedded: the reader supplies the glyphs.
STSong-Light also catches what the other fonts lack (Cyrillic, Greek). Letters no font has
(Romanian ș ț ă in Helvetica) print as their base letter rather than as empty boxes. With a
TrueType file (`font_path`), it is embedded and used for all the text it covers.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import unicodedata

from reportlab.lib.colors import Color, black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

CJK_FONT = "STSong-Light"
# Embedded for CJK text when installed; the first one found is used.
SYSTEM_CJK_FONTS: tuple[str, ...] = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",)

log = logging.getLogger(__name__)

Run = tuple[str, str]  # (font name, text)


class FontError(Exception):
    """A configured font file is missing or cannot be used."""


class Fonts:
    """A primary font (with its bold) plus the CJK font for what the primary cannot show."""

    def __init__(
        self,
        regular: str,
        bold: str,
        coverage: frozenset[int] | None,
        cjk: str = CJK_FONT,
        cjk_coverage: frozenset[int] = frozenset(),
    ) -> None:
        self.regular = regular
        self.bold = bold
        # None: the standard-14 Helvetica, which reportlab encodes as WinAnsi (cp1252).
        self._coverage = coverage
        self.cjk = cjk  # an embedded TrueType font, or CJK_FONT
        self._cjk_coverage = cjk_coverage

    def fallback(self, char: str) -> str:
        """Return the font for a character the primary font cannot show."""
        return self.cjk if ord(char) in self._cjk_coverage else CJK_FONT

    def covers(self, char: str) -> bool:
        """Tell whether the primary font can show `char`."""
        if self._coverage is not None:
            return ord(char) in self._coverage
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True

    def has_real_bold(self, font: str) -> bool:
        """Tell whether `font` is a bold face (otherwise bold is drawn by stroking the glyphs)."""
        return font == self.bold and self.bold != self.regular


_lock = threading.Lock()
_fonts: dict[tuple[str | None, str | None], Fonts] = {}


def system_cjk_font() -> str | None:
    """Return the installed CJK font file to embed (see SYSTEM_CJK_FONTS), or None."""
    return next((path for path in SYSTEM_CJK_FONTS if os.path.isfile(path)), None)


def fonts_for(font_path: str | None = None) -> Fonts:
    """Register the fonts once per process (thread-safe) and return them."""
    key = (font_path, system_cjk_font())
    found = _fonts.get(key)
    if found is not None:
        return found
    with _lock:
        found = _fonts.get(key)
        if found is None:
            if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
            found = _load(*key)
            _fonts[key] = found
    return found


def _load(font_path: str | None, cjk_path: str | None) -> Fonts:
    cjk, cjk_coverage = CJK_FONT, frozenset[int]()
    if cjk_path is not None:
        try:
            cjk, cjk_coverage = _truetype(cjk_path)
        except FontError:  # installed but unusable: the built-in font still shows the text
            log.exception("Cannot embed the CJK font %s; using %s", cjk_path, CJK_FONT)
    if font_path is None:
        return Fonts("Helvetica", "Helvetica-Bold", None, cjk, cjk_coverage)
    name, coverage = _truetype(font_path)
    return Fonts(name, name, coverage, cjk, cjk_coverage)


def _truetype(font_path: str) -> tuple[str, frozenset[int]]:
    """Register a TrueType file (once) and return its name and the characters it has."""
    if not os.path.isfile(font_path):
        raise FontError(f"Font file not found: {font_path}")
    # The name must not depend on anything but the path: it is written into the PDF.
    name = "RP-" + hashlib.sha256(font_path.encode()).hexdigest()[:12]
    if name in pdfmetrics.getRegisteredFontNames():
        font = pdfmetrics.getFont(name)
    else:
        try:
            # subfontIndex 0 picks the first face of a collection (.ttc); ignored for .ttf.
            font = TTFont(name, font_path, subfontIndex=0)
        except (TTFError, OSError) as exc:
            raise FontError(
                f"Cannot use the font {font_path}: {exc}. reportlab needs TrueType outlines "
                "(.ttf/.ttc, e.g. WenQuanYi Zen Hei); CFF fonts such as Noto CJK do not load."
            ) from exc
        pdfmetrics.registerFont(font)
    return name, frozenset(font.face.charToGlyph)


def is_cjk(char: str) -> bool:
    """Tell whether `char` is Chinese, Japanese or Korean script or full-width punctuation."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK punctuation, kana, ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # vertical forms
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or code >= 0x20000  # supplementary ideographs
    )


def has_cjk(text: str) -> bool:
    """Tell whether any character of `text` is CJK."""
    return any(is_cjk(char) for char in text)


def clean(text: str) -> str:
    """Return `text` on one line: control characters and line breaks become spaces."""
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).strip()


@functools.lru_cache(maxsize=4096)
def runs(fonts: Fonts, text: str, bold: bool = False) -> tuple[Run, ...]:
    """Split `text` into runs of one font each."""
    primary = fonts.bold if bold else fonts.regular
    out: list[Run] = []
    for char in text:
        font, shown = primary, char
        if not fonts.covers(char):
            folded = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            if not is_cjk(char) and folded and all(fonts.covers(c) for c in folded):
                shown = folded
            else:
                font = fonts.fallback(char)
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + shown)
        else:
            out.append((font, shown))
    return tuple(out)


def width(parts: tuple[Run, ...], size: float) -> float:
    """Return how wide the runs are at `size` points."""
    return sum(pdfmetrics.stringWidth(text, font, size) for font, text in parts)


def draw(
    canvas: Canvas,
    x: float,
    y: float,
    parts: tuple[Run, ...],
    size: float,
    fonts: Fonts,
    bold: bool = False,
    color: Color = black,
) -> None:
    """Draw the runs with their baseline at (x, y)."""
    text = canvas.beginText(x, y)
    canvas.saveState()
    canvas.setFillColor(color)
    canvas.setStrokeColor(color)
    canvas.setLineWidth(size * 0.04)
    for font, chunk in parts:
        text.setFont(font, size)
        # Fonts without a bold face get their outlines stroked as well as filled.
        text.setTextRenderMode(2 if bold and not fonts.has_real_bold(font) else 0)
        text.textOut(chunk)
    canvas.drawText(text)
    canvas.restoreState()


_CLOSING = frozenset("，。、；：？！）」』》〉】〕…,.;:?!)")


def _tokens(text: str) -> list[str]:
    """Split into words, spaces and single CJK characters (a line may break after any of them)."""
    tokens: list[str] = []
    for char in text:
        kind = "cjk" if is_cjk(char) else ("space" if char.isspace() else "word")
        # Closing punctuation stays with the character before it, never starting a line.
        closing = char in _CLOSING and not tokens[-1].isspace() if tokens else False
        if tokens and (closing or (kind != "cjk" and _kind(tokens[-1]) == kind)):
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def _kind(token: str) -> str:
    return "cjk" if is_cjk(token[0]) else ("space" if token[0].isspace() else "word")


def wrap(fonts: Fonts, text: str, size: float, max_width: float, bold: bool = False) -> list[str]:
    """Break `text` into lines no wider than `max_width` at `size` points."""

    def measure(piece: str) -> float:
        return width(runs(fonts, piece, bold), size)

    lines: list[str] = []
    line, line_width, space = "", 0.0, ""
    for token in _tokens(clean(text)):
        if token.isspace():
            space = token if line else ""
            continue
        token_width = measure(token)
        gap = measure(space) if space else 0.0
        if line and line_width + gap + token_width <= max_width:
            line, line_width = line + space + token, line_width + gap + token_width
        else:
            if line:
                lines.append(line)
            line, line_width = token, token_width
            # A word wider than the whole line is cut where it overflows.
            while line_width > max_width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and measure(line[:cut]) > max_width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
                line_width = measure(line)
        space = ""
    if line:
        lines.append(line)
    return lines
