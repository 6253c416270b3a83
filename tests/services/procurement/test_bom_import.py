import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlmodel import select

from app.services.core import ImportFailed
from app.services.procurement import import_bom
from models.bom import BomLine
from models.errors import TooLarge, UnsupportedMedia
from models.materials import Material
from models.people import User
from tests.factories import act, count, make_bom_line, make_material, make_order

HEADER = "物料编码,物料名称,规格型号,单位,关键物料,需求数量,需求日期,预警天数,备注\n"


def _import(session, order, data: bytes, **kw):
    tracker = act(session, session.get(User, order.liaison_id))
    return import_bom(session=session, actor=tracker, order_id=order.id, data=data, **kw)


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_csv_creates_the_new_materials_and_says_which(session):
    order = make_order(session)
    make_material(session, "STEEL-3MM", name="钢板")
    csv = (
        HEADER
        + "STEEL-3MM,钢板,3mm,张,是,12,2027-03-01,10,\n"
        + "SEALANT-9,密封胶,硅酮,kg,否,4.5,2027/03/05,,进口\n"
    )
    result = _import(session, order, csv.encode())
    assert (result.added, result.updated, result.created_materials) == (2, 0, ["SEALANT-9"])
    lines = session.exec(select(BomLine).order_by(BomLine.id)).all()
    assert [(line.needed, line.need_date, line.warning_days) for line in lines] == [
        (Decimal(12), date(2027, 3, 1), 10),
        (Decimal("4.5"), date(2027, 3, 5), None),
    ]
    sealant = session.exec(select(Material).where(Material.code == "SEALANT-9")).one()
    assert (sealant.name, sealant.spec, sealant.unit, sealant.is_key) == (
        "密封胶",
        "硅酮",
        "kg",
        False,
    )
    assert sealant.quantity_places == 3


def test_every_bad_row_is_reported_and_nothing_is_imported(session):
    order = make_order(session)
    csv = (
        HEADER
        + "A-1,甲,,,是,10,2027-01-01,,\n"
        + ",乙,,,否,1,2027-01-01,,\n"
        + "B 2,丙,,,否,-3,明天,400,\n"
        + "A-1,甲,,,是,1,2027-01-01,,\n"
        + "C-3,,,,也许,1.2345,2027-01-01,,\n"
    )
    with pytest.raises(ImportFailed) as err:
        _import(session, order, csv.encode())
    errors = {(e["row"], e["column"], e["reason"]) for e in err.value.details["errors"]}
    assert errors == {
        (3, "物料编码", "物料编码不能为空"),
        (4, "物料编码", "物料编码不能含空格，最多 64 个字符"),
        (4, "需求数量", "需求数量必须大于 0"),
        (4, "需求日期", "日期格式应为 YYYY-MM-DD"),
        (4, "预警天数", "预警天数应为 0-365 的整数"),
        (5, "物料编码", "物料重复（与第 2 行相同）"),
        (6, "需求数量", "需求数量最多 3 位小数"),
        (6, "关键物料", "应填 是 或 否"),
    }
    assert "未导入任何数据" in err.value.message
    assert count(session, BomLine) == 0 and count(session, Material) == 0


def test_a_new_material_without_a_name_or_with_creation_off_is_an_error(session):
    order = make_order(session)
    with pytest.raises(ImportFailed) as err:
        _import(session, order, (HEADER + "NEW-1,,,,,1,2027-01-01,,\n").encode())
    assert err.value.details["errors"][0]["reason"] == "新物料必须填写物料名称"
    with pytest.raises(ImportFailed) as err:
        _import(
            session,
            order,
            (HEADER + "NEW-1,新,,,,1,2027-01-01,,\n").encode(),
            create_materials=False,
        )
    assert err.value.details["errors"][0]["reason"] == "物料 NEW-1 不存在"


def test_an_xlsx_with_dates_and_numbers_updates_existing_lines(session):
    order = make_order(session)
    material = make_material(session, "PUMP", name="离心泵")
    line = make_bom_line(session, order, material, needed=1)
    data = _xlsx(
        [
            ["物料编码", "物料名称", "需求数量", "需求日期", "备注"],
            ["PUMP", "水泵", 2.0, datetime(2027, 5, 1), "改为两台"],
        ]
    )
    result = _import(session, order, data)
    assert (result.added, result.updated) == (0, 1)
    assert result.warnings[0].column == "物料名称" and "按主数据导入" in result.warnings[0].reason
    session.refresh(line)
    assert (line.needed, line.need_date, line.note) == (Decimal(2), date(2027, 5, 1), "改为两台")


def test_a_gbk_csv_from_chinese_excel_is_read(session):
    order = make_order(session)
    data = (HEADER + "GBK-1,国标螺栓,M12,套,否,100,2027-02-01,,\n").encode("gb18030")
    assert _import(session, order, data).created_materials == ["GBK-1"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", ImportFailed),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, UnsupportedMedia),
        (b"\x89PNG\r\n\x1a\n\x00\x00", UnsupportedMedia),
        (b"PK\x03\x04 broken zip", ImportFailed),
        ("名称,数量\n甲,1\n".encode(), ImportFailed),
        (HEADER.encode(), ImportFailed),
        (b"x" * (6 * 1024 * 1024), TooLarge),
    ],
    ids=["empty", "xls", "png", "broken-zip", "missing-columns", "no-rows", "too-large"],
)
def test_files_that_are_not_a_bom_are_refused_clearly(session, data, error):
    order = make_order(session)
    with pytest.raises(error):
        _import(session, order, data)
    assert count(session, BomLine) == 0


def test_more_than_2000_rows_is_refused(session):
    order = make_order(session)
    rows = "".join(f"M-{i},物料{i},,,,1,2027-01-01,,\n" for i in range(2001))
    with pytest.raises(ImportFailed) as err:
        _import(session, order, (HEADER + rows).encode())
    assert err.value.code == "too_many_rows"
