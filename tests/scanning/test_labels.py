"""Printed labels scan back to their payload: single PNGs and every label on a PDF sheet."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdfium2
import pytest
from PIL import Image

from models.errors import InvalidInput, NotFound, Unavailable
from scanning.decode import decode
from scanning.label_sheet import SheetLayout, render_sheet
from scanning.labels import FONT_ENV, CodeTooDense, LabelSpec, Symbology, font_path, render_label
from scanning.payload import GendanLabel, LabelKind, parse_payload

LOT = GendanLabel(
    kind=LabelKind.LOT,
    material_code="STEEL-3MM",
    lot="A240501",
    quantity=Decimal("12.5"),
    order_code="SO-2405-001",
)
MATERIAL = GendanLabel(kind=LabelKind.MATERIAL, material_code="不锈钢板-304")
ORDER = GendanLabel(kind=LabelKind.ORDER, order_code="SO-2405-001")


def rasterise(pdf: bytes, dpi: int = 300) -> list[Image.Image]:
    """Each page of the PDF as a grayscale image, as a printer at `dpi` would lay it down."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("symbology", list(Symbology))
@pytest.mark.parametrize("label", [LOT, MATERIAL, ORDER], ids=["lot", "material", "order"])
def test_label_png_decodes_to_its_payload(label, symbology):
    spec = LabelSpec(label, symbology, notes=("不锈钢板 3mm",))
    codes = decode(render_label(spec))
    assert [c.text for c in codes] == [spec.payload()]
    assert codes[0].format == ("QR_CODE" if symbology is Symbology.QR else "CODE_128")
    assert parse_payload(codes[0].text) == label


def test_label_png_has_the_human_readable_lines_below_the_code():
    spec = LabelSpec(LOT, Symbology.QR, notes=("不锈钢板 3mm",))
    assert spec.lines() == [
        "批次标签",
        "不锈钢板 3mm",
        "物料编码：STEEL-3MM",
        "批次号：A240501",
        "数量：12.5",
        "订单号：SO-2405-001",
    ]
    image = Image.open(io.BytesIO(render_label(spec))).convert("L")
    (code,) = decode(render_label(spec))
    code_bottom = max(y for _, y in code.position)
    below = image.crop((0, code_bottom + 1, image.width, image.height))
    # The text under the code leaves ink: dark pixels exist below the symbol.
    assert below.getextrema()[0] < 64


def test_chinese_font_is_installed_for_labels():
    assert font_path().is_file()


def test_missing_font_is_a_clear_unavailable_error(monkeypatch, tmp_path):
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "no-such-font.ttf"))
    with pytest.raises(Unavailable) as caught:
        render_label(LabelSpec(MATERIAL))
    assert caught.value.message == "标签打印缺少中文字体，请联系管理员安装"


def test_every_qr_label_on_an_a4_sheet_decodes():
    specs = [
        LabelSpec(
            GendanLabel(
                kind=LabelKind.LOT,
                material_code=f"STEEL-{i}MM",
                lot=f"A2405{i:02d}",
                quantity=Decimal(i + 1),
                order_code="SO-2405-001",
            ),
            notes=("不锈钢板 304",),
        )
        for i in range(24)
    ]
    (page,) = rasterise(render_sheet(specs))
    codes = decode(png_bytes(page), expect=len(specs))
    assert sorted(c.text for c in codes) == sorted(s.payload() for s in specs)


def test_every_code128_label_on_a_two_column_sheet_decodes_and_overflow_starts_a_page():
    specs = [
        LabelSpec(
            GendanLabel(kind=LabelKind.MATERIAL, material_code=f"BOLT-M{i}"), Symbology.CODE128
        )
        for i in range(18)
    ]
    pages = rasterise(render_sheet(specs, SheetLayout(rows=8, columns=2)))
    assert len(pages) == 2
    found = [c.text for page in pages for c in decode(png_bytes(page), expect=16)]
    assert sorted(found) == sorted(s.payload() for s in specs)


def test_sheet_is_reproducible_byte_for_byte():
    specs = [LabelSpec(MATERIAL), LabelSpec(ORDER, Symbology.CODE128)]
    assert render_sheet(specs) == render_sheet(specs)


def test_code128_too_long_for_the_cell_is_refused():
    with pytest.raises(CodeTooDense) as caught:
        render_sheet([LabelSpec(LOT, Symbology.CODE128)], SheetLayout(columns=3))
    assert caught.value.message.startswith("标签内容太长")


@pytest.mark.parametrize(
    "layout",
    [SheetLayout(rows=0), SheetLayout(columns=21), SheetLayout(margin_mm=-1)],
)
def test_impossible_sheet_layouts_are_refused(layout):
    with pytest.raises(InvalidInput):
        render_sheet([LabelSpec(MATERIAL)], layout)


def test_empty_sheet_is_refused():
    with pytest.raises(NotFound):
        render_sheet([])
