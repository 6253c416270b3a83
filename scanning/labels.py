"""Printable Gendan labels: one PNG per label, or A4 PDF sheets of them (label_sheet.py).

A label is its payload (scanning.payload) as a QR code or a Code 128 barcode, chosen by the
caller, with human-readable lines below: the kind of label, optional notes such as the
material's name, then each field. Chinese needs a CJK font with TrueType outlines (reportlab
cannot embed CFF fonts): `make system-deps` installs WenQuanYi Micro Hei; GENDAN_LABEL_FONT
points elsewhere.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from models.errors import InvalidInput, Unavailable
from scanning.payload import FIELD_KEYS, FIELD_NAMES, KIND_NAMES, GendanLabel, format_payload

if TYPE_CHECKING:
    from PIL import Image, ImageFont

# qrcode, python-barcode and Pillow are imported where a label is drawn, not when this module
# is: a web worker that never prints labels never loads them (issue 18, memory).

FONT_ENV = "GENDAN_LABEL_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
ELLIPSIS = "…"


class Symbology(StrEnum):
    QR = "qr"
    CODE128 = "code128"


# Blank modules required around the symbol by each standard.
QUIET_ZONE = {Symbology.QR: 4, Symbology.CODE128: 10}


class LabelFontMissing(Unavailable):
    code = "label_font_missing"
    message = "标签打印缺少中文字体，请联系管理员安装"


class CodeTooDense(InvalidInput):
    code = "label_code_too_dense"
    message = "标签内容太长，条码在此尺寸下无法清晰打印，请改用二维码或加大标签"


@dataclass(frozen=True)
class LabelSpec:
    """What to print: the label, its symbology, and extra lines such as the material name."""

    label: GendanLabel
    symbology: Symbology = Symbology.QR
    notes: tuple[str, ...] = ()

    def payload(self) -> str:
        """The text the code carries."""
        return format_payload(self.label)

    def lines(self) -> list[str]:
        """Human-readable lines printed below the code."""
        fields = [
            f"{FIELD_NAMES[name]}：{getattr(self.label, name)}"
            for name in FIELD_KEYS
            if getattr(self.label, name) is not None
        ]
        return [KIND_NAMES[self.label.kind], *self.notes, *fields]


def modules(spec: LabelSpec) -> list[list[bool]]:
    """The symbol's dark modules row by row, without quiet zone; Code 128 is a single row."""
    payload = spec.payload()
    if spec.symbology is Symbology.CODE128:
        from barcode import Code128

        return [[bit == "1" for bit in Code128(payload).build()[0]]]
    import qrcode

    # Level Q survives a quarter of the symbol scuffed or dirty, as warehouse labels get.
    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_Q)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr.get_matrix()


def font_path() -> Path:
    """A CJK-capable TrueType font: GENDAN_LABEL_FONT, else the first installed candidate."""
    override = os.environ.get(FONT_ENV)
    for candidate in (override,) if override else FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise LabelFontMissing(searched=[override] if override else list(FONT_CANDIDATES))


@cache
def _pil_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size)


def fit_text(text: str, width: float, measure) -> str:
    """The text, cut and ended with an ellipsis if `measure` says it is wider than `width`."""
    if measure(text) <= width:
        return text
    while text and measure(text + ELLIPSIS) > width:
        text = text[:-1]
    return text + ELLIPSIS


@dataclass(frozen=True)
class PngLayout:
    """Pixel sizes of a single PNG label; the defaults suit a 300 dpi label printer."""

    dpi: int = 300
    qr_module: int = 8
    bar_module: int = 3
    bar_height: int = 150
    font_size: int = 30
    padding: int = 24
    min_width: int = 600


def render_label(spec: LabelSpec, layout: PngLayout | None = None) -> bytes:
    """A single label as PNG bytes: the code on top, the lines below."""
    from PIL import Image, ImageDraw

    layout = layout or PngLayout()
    symbol = _symbol_image(spec, layout)
    font = _pil_font(font_path(), layout.font_size)
    line_height = round(layout.font_size * 1.35)
    lines = spec.lines()
    # A QR code carries its quiet zone on every side; bars need a margin above them.
    above = 0 if spec.symbology is Symbology.QR else layout.padding
    width = max(symbol.width, layout.min_width)
    top = above + symbol.height + layout.padding
    canvas = Image.new("L", (width, top + line_height * len(lines) + layout.padding), 255)
    canvas.paste(symbol, ((width - symbol.width) // 2, above))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        shown = fit_text(line, width - 2 * layout.padding, font.getlength)
        draw.text((layout.padding, top + i * line_height), shown, font=font, fill=0)
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG", dpi=(layout.dpi, layout.dpi))
    return buffer.getvalue()


def _symbol_image(spec: LabelSpec, layout: PngLayout) -> Image.Image:
    """The code with its quiet zone, scaled to whole pixels per module."""
    from PIL import Image

    rows = modules(spec)
    quiet = QUIET_ZONE[spec.symbology]
    grid = Image.new("L", (len(rows[0]) + 2 * quiet, len(rows) + 2 * quiet), 255)
    grid.putdata(
        [0 if dark else 255 for row in _pad(rows, quiet) for dark in row],
    )
    if spec.symbology is Symbology.QR:
        size = (grid.width * layout.qr_module, grid.height * layout.qr_module)
    else:
        # Stretch the single row into bars; the vertical quiet zone becomes one module band.
        size = (grid.width * layout.bar_module, layout.bar_height)
        grid = grid.crop((0, quiet, grid.width, quiet + 1))
    return grid.resize(size, Image.Resampling.NEAREST)


def _pad(rows: list[list[bool]], quiet: int) -> list[list[bool]]:
    """Rows surrounded by `quiet` light modules on every side."""
    width = len(rows[0]) + 2 * quiet
    blank = [[False] * width for _ in range(quiet)]
    return [*blank, *([False] * quiet + row + [False] * quiet for row in rows), *blank]
