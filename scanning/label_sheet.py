"""A4 sheets of labels as PDF: a grid of cells, one label each, as many pages as needed.

Codes are drawn as vector rectangles, so they stay sharp at any printer resolution; the text
uses the CJK font from scanning.labels, embedded as a subset. The output is byte-for-byte
reproducible (no timestamps), so the same labels always give the same file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from models.errors import InvalidInput, NotFound
from scanning.labels import (
    QUIET_ZONE,
    CodeTooDense,
    LabelSpec,
    Symbology,
    fit_text,
    font_path,
    modules,
)

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

# reportlab is imported where a sheet is drawn, not when this module is: a web worker that
# never prints labels never loads it (issue 18, memory).

# Smallest module a common 203/300 dpi printer and a phone camera handle reliably.
MIN_MODULE_MM = {Symbology.QR: 0.3, Symbology.CODE128: 0.19}
MAX_BAR_HEIGHT_MM = 15.0
MAX_GRID = 20
LINE_SPACING = 1.25


@dataclass(frozen=True)
class SheetLayout:
    """The grid on each A4 page; the defaults fit common 3x8 label stock (70 x 37 mm)."""

    rows: int = 8
    columns: int = 3
    margin_mm: float = 0.0
    padding_mm: float = 3.0
    font_pt: float = 7.0
    outline: bool = False


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, from its bottom left corner."""

    x: float
    y: float
    width: float
    height: float


def render_sheet(specs: Sequence[LabelSpec], layout: SheetLayout | None = None) -> bytes:
    """PDF bytes with the labels laid out row by row, left to right."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    layout = layout or SheetLayout()
    _check_layout(layout, len(specs))
    font = _register_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle("Gendan labels")
    per_page = layout.rows * layout.columns
    for index, spec in enumerate(specs):
        if index and index % per_page == 0:
            canvas.showPage()
        cell = _cell(index % per_page, layout)
        if layout.outline:
            canvas.setStrokeGray(0.8)
            canvas.rect(cell.x, cell.y, cell.width, cell.height, stroke=1, fill=0)
        _draw_label(canvas, spec, cell, layout, font)
    canvas.save()
    return buffer.getvalue()


def _check_layout(layout: SheetLayout, count: int) -> None:
    """Refuse an empty job or a grid that cannot exist on A4."""
    if count == 0:
        # Nothing to print is the state of the order (no BOM line yet), not a bad request.
        raise NotFound("没有要打印的标签", code="no_labels")
    if not (1 <= layout.rows <= MAX_GRID and 1 <= layout.columns <= MAX_GRID):
        raise InvalidInput(f"标签行数和列数需在 1-{MAX_GRID} 之间")
    if not 0 <= layout.margin_mm < 50 or not 0 <= layout.padding_mm < 20:
        raise InvalidInput("页边距或标签内边距无效")


@cache
def _register_font() -> str:
    """Register the CJK font with reportlab once per process; its registered name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "GendanCJK"
    pdfmetrics.registerFont(TTFont(name, str(font_path()), subfontIndex=0))
    return name


def _cell(position: int, layout: SheetLayout) -> Box:
    """The cell at this position on the page, counting from the top left."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    page_width, page_height = A4
    margin = layout.margin_mm * mm
    width = (page_width - 2 * margin) / layout.columns
    height = (page_height - 2 * margin) / layout.rows
    row, column = divmod(position, layout.columns)
    return Box(margin + column * width, page_height - margin - (row + 1) * height, width, height)


def _draw_label(canvas: Canvas, spec: LabelSpec, cell: Box, layout: SheetLayout, font: str):
    """A QR code on the left with the lines beside it; bars on top with the lines below."""
    from reportlab.lib.units import mm

    pad = layout.padding_mm * mm
    lines = spec.lines()
    text_height = layout.font_pt * LINE_SPACING * len(lines)
    inner = Box(cell.x + pad, cell.y + pad, cell.width - 2 * pad, cell.height - 2 * pad)
    if spec.symbology is Symbology.QR:
        side = min(inner.height, inner.width / 2)
        code_area = Box(inner.x, inner.y + inner.height - side, side, side)
        text_area = Box(inner.x + side + pad / 2, inner.y, inner.width - side - pad / 2, 0)
    else:
        code_bottom = inner.y + text_height + pad / 2
        code_area = Box(inner.x, code_bottom, inner.width, inner.y + inner.height - code_bottom)
        text_area = Box(inner.x, inner.y, inner.width, 0)
    _draw_symbol(canvas, spec, code_area)
    # Lines start at the top of the text column beside a QR code, under the bars otherwise.
    top = inner.y + inner.height if spec.symbology is Symbology.QR else inner.y + text_height
    _draw_lines(canvas, lines, Box(text_area.x, text_area.y, text_area.width, top), layout, font)


def _draw_lines(canvas: Canvas, lines: list[str], area: Box, layout: SheetLayout, font: str):
    """Each line from `area.height` (its top, as a y coordinate) down, cut to the width."""
    from reportlab.pdfbase import pdfmetrics

    size = layout.font_pt
    canvas.setFont(font, size)
    canvas.setFillGray(0)
    for i, line in enumerate(lines):
        shown = fit_text(line, area.width, lambda t: pdfmetrics.stringWidth(t, font, size))
        baseline = area.height - (i + 1) * size * LINE_SPACING + size * 0.3
        canvas.drawString(area.x, baseline, shown)


def _draw_symbol(canvas: Canvas, spec: LabelSpec, area: Box) -> None:
    """The code, as large as the area allows, centred, its top on the area's top."""
    from reportlab.lib.units import mm

    rows = modules(spec)
    quiet = QUIET_ZONE[spec.symbology]
    across = len(rows[0]) + 2 * quiet
    if spec.symbology is Symbology.QR:
        module = min(area.width, area.height) / across
        bar_height = module
    else:
        module = area.width / across
        bar_height = min(area.height, MAX_BAR_HEIGHT_MM * mm)
    if area.height <= 0 or module < MIN_MODULE_MM[spec.symbology] * mm:
        raise CodeTooDense(module_mm=round(max(module, 0) / mm, 3))
    left = area.x + (area.width - across * module) / 2 + quiet * module
    top = area.y + area.height - (quiet * module if spec.symbology is Symbology.QR else 0)
    canvas.setFillGray(0)
    for r, row in enumerate(rows):
        for start, length in _runs(row):
            y = top - (r + 1) * bar_height
            canvas.rect(left + start * module, y, length * module, bar_height, stroke=0, fill=1)


def _runs(row: list[bool]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules: one rectangle per run, not per module."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, dark in enumerate([*row, False]):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            runs.append((start, i - start))
            start = None
    return runs
