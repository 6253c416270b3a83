"""The KPIs as an XLSX workbook (openpyxl): summary, monthly trend, per liaison, per supplier."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

from app.services.insight._cells import writable
from models.dashboard import Kpis

if TYPE_CHECKING:
    from openpyxl import Workbook

# openpyxl (and the numpy it pulls in) loads with the first export, not at start (issue 18).

BETTER = {"higher": "越高越好", "lower": "越低越好"}


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list], first=False):
    from openpyxl.styles import Font

    sheet = book.active if first else book.create_sheet()
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(writable(row))
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(40, max(10, width * 2))
    return sheet


def kpis_workbook(kpis: Kpis) -> bytes:
    """The workbook's bytes."""
    from openpyxl import Workbook

    book = Workbook()
    period = f"{kpis.first_day} ~ {kpis.last_day}"
    _sheet(
        book,
        "指标汇总",
        ["指标", "单位", "统计期", "数值", "目标", "达标", "样本数", "方向"],
        [
            [
                k.name,
                k.unit,
                period,
                k.value,
                k.target,
                None if k.met is None else ("是" if k.met else "否"),
                k.count,
                BETTER[k.better],
            ]
            for k in kpis.items
        ],
        first=True,
    )
    _sheet(
        book,
        "月度趋势",
        ["月份", *(f"{k.name}（{k.unit}）" for k in kpis.items)],
        [[month, *(k.trend[i].value for k in kpis.items)] for i, month in enumerate(kpis.months)],
    )
    _sheet(
        book,
        "跟单员",
        ["跟单员", "准时交付率 %", "异常响应 小时", "解决时间 小时", "满意度", "缺料次数"],
        [
            [r.name, r.on_time, r.response_hours, r.resolution_hours, r.satisfaction, r.shortages]
            for r in kpis.liaisons
        ],
    )
    _sheet(
        book,
        "供应商",
        ["供应商", "到货次数", "准时率 %", "平均延误 天"],
        [[s.name, s.deliveries, s.on_time_rate, s.average_delay_days] for s in kpis.suppliers],
    )
    out = BytesIO()
    book.save(out)
    return out.getvalue()
