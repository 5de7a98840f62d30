"""Fonts for the documents: pick a font per run of characters, so any language prints.

Without a font file, Latin text is set in Helvetica (crisp, and every PDF reader has it) and
whatever Helvetica cannot show goes to reportlab's built-in STSong-Light CID font, which covers
Chinese (and Cyrillic, Greek) and needs nothing installed, but is not embedded: the reader
supplies the glyphs. Letters neither has (Romanian ș ț ă) print as their base letter rather
than as empty boxes. With a TrueType file (`font_path`), it is embedded and used for all the
text it covers, and STSong-Light still catches what it lacks.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import unicodedata

from reportlab.lib.colors import Color, black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

CJK_FONT = "STSong-Light"

Run = tuple[str, str]  # (font name, text)


class FontError(Exception):
    """A configured font file is missing or cannot be used."""


class Fonts:
    """A primary font (with its bold) plus the CJK font for what the primary cannot show."""

    def __init__(self, regular: str, bold: str, coverage: frozenset[int] | None) -> None:
        self.regular = regular
        self.bold = bold
        # None: the standard-14 Helvetica, which reportlab encodes as WinAnsi (cp1252).
        self._coverage = coverage

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
_fonts: dict[str | None, Fonts] = {}


def fonts_for(font_path: str | None = None) -> Fonts:
    """Register the fonts once per process (thread-safe) and return them."""
    found = _fonts.get(font_path)
    if found is not None:
        return found
    with _lock:
        found = _fonts.get(font_path)
        if found is None:
            if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
            found = _load(font_path)
            _fonts[font_path] = found
    return found


def _load(font_path: str | None) -> Fonts:
    if font_path is None:
        return Fonts("Helvetica", "Helvetica-Bold", None)
    if not os.path.isfile(font_path):
        raise FontError(f"Font file not found: {font_path}")
    # The name must not depend on anything but the path: it is written into the PDF.
    name = "RP-" + hashlib.sha256(font_path.encode()).hexdigest()[:12]
    try:
        # subfontIndex 0 picks the first face of a collection (.ttc) and is ignored for .ttf.
        font = TTFont(name, font_path, subfontIndex=0)
    except (TTFError, OSError) as exc:
        raise FontError(
            f"Cannot use the font {font_path}: {exc}. reportlab needs TrueType outlines "
            "(.ttf/.ttc, e.g. WenQuanYi Zen Hei); CFF fonts such as Noto CJK do not load."
        ) from exc
    pdfmetrics.registerFont(font)
    return Fonts(name, name, frozenset(font.face.charToGlyph))


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
                font = CJK_FONT
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
