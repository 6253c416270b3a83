"""The importer helper both importers share: row errors, cell parsing, all-or-nothing writes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from app.services.core import (
    HEADERS,
    Problems,
    RowError,
    cell_date,
    cell_flag,
    cell_limited,
    cell_number,
    cell_text,
    write_all,
)
from models.materials import Material
from tests.factories import count, make_material


def test_text_cells_are_trimmed_and_whole_floats_lose_their_point():
    assert cell_text(None) == ""
    assert cell_text("  M-1 ") == "M-1"
    assert cell_text(12.0) == "12"
    assert cell_text(1.5) == "1.5"


def test_a_text_cell_longer_than_its_limit_is_a_row_error():
    assert cell_limited("件", "unit", 16) == "件"
    with pytest.raises(RowError) as err:
        cell_limited("x" * 17, "unit", 16)
    assert (err.value.field, err.value.reason) == ("unit", "最多 16 个字符")


@pytest.mark.parametrize(
    "value", ["2026-12-03", "2026/12/03", "2026.12.03", "2026年12月3日", date(2026, 12, 3)]
)
def test_dates_are_read_in_every_written_form(value):
    assert cell_date(value, "need_date", empty="需求日期不能为空") == date(2026, 12, 3)


def test_an_excel_datetime_is_its_day():
    assert cell_date(datetime(2026, 12, 3, 0, 0), "need_date", empty=None) == date(2026, 12, 3)


def test_a_badly_written_date_is_a_row_error():
    with pytest.raises(RowError) as err:
        cell_date("12/03/2026", "need_date", empty=None)
    assert (err.value.field, err.value.reason) == ("need_date", "日期格式应为 YYYY-MM-DD")


def test_a_blank_date_is_none_when_optional_and_an_error_when_required():
    assert cell_date("  ", "need_date", empty=None) is None
    with pytest.raises(RowError) as err:
        cell_date(None, "need_date", empty="需求日期不能为空")
    assert err.value.reason == "需求日期不能为空"


def test_numbers_are_decimals_and_blank_is_none():
    assert cell_number("12.5", "quantity", "需求数量") == Decimal("12.5")
    assert cell_number(0.1 + 0.2, "quantity", "需求数量") == Decimal("0.3")
    assert cell_number("", "quantity", "需求数量") is None


def test_thousands_separators_only_where_grouping_is_allowed():
    assert cell_number("1,234.50", "contract_amount", "合同金额", grouped=True) == Decimal(
        "1234.50"
    )
    with pytest.raises(RowError) as err:
        cell_number("1,234", "quantity", "需求数量")
    assert (err.value.field, err.value.reason) == ("quantity", "需求数量应为数字")


def test_a_cell_that_is_not_a_number_is_a_row_error():
    with pytest.raises(RowError) as err:
        cell_number("十二", "contract_amount", "合同金额", grouped=True)
    assert err.value.reason == "合同金额应为数字"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("是", True), ("Y", True), ("否", False), ("", False), (None, False), (1, True)],
)
def test_yes_no_cells(value, expected):
    assert cell_flag(value, "is_key") is expected


def test_a_yes_no_cell_with_anything_else_is_a_row_error():
    with pytest.raises(RowError) as err:
        cell_flag("maybe", "is_key")
    assert (err.value.field, err.value.reason) == ("is_key", "应填 是 或 否")


def test_problems_keep_every_row_error_with_its_row_and_column():
    problems = Problems()
    values = {"quantity": "abc", "need_date": "2026-13-40"}
    assert (
        problems.cell(3, values, "quantity", lambda v: cell_number(v, "quantity", "需求数量"))
        is None
    )
    assert (
        problems.cell(3, values, "need_date", lambda v: cell_date(v, "need_date", empty=None))
        is None
    )
    problems.add(5, "material_code", "物料编码不能为空")
    assert len(problems) == 3 and problems.rows() == 2
    assert problems.listed(HEADERS, {"quantity": "数量"}) == [
        {"row": 3, "column": "数量", "reason": "需求数量应为数字"},
        {"row": 3, "column": "需求日期", "reason": "日期格式应为 YYYY-MM-DD"},
        {"row": 5, "column": "物料编码", "reason": "物料编码不能为空"},
    ]


def test_a_clean_file_has_no_problems():
    problems = Problems()
    assert problems.cell(
        2, {"quantity": "4"}, "quantity", lambda v: cell_number(v, "quantity", "需求数量")
    ) == Decimal(4)
    assert not problems


def test_every_row_is_written_and_progress_is_told_after_each(session):
    told = []
    written = write_all(
        session, ["W-1", "W-2"], lambda c: make_material(session, c).code, lambda: told.append(1)
    )
    assert written == ["W-1", "W-2"] and len(told) == 2
    assert count(session, Material, Material.code.in_(["W-1", "W-2"])) == 2


def test_a_failure_part_way_leaves_no_row_written(session):
    def write(code):
        if code == "F-3":
            raise RowError("material_code", "写入失败")
        return make_material(session, code)

    with pytest.raises(RowError):
        write_all(session, ["F-1", "F-2", "F-3"], write)
    assert count(session, Material, Material.code.in_(["F-1", "F-2"])) == 0
