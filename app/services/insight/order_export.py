"""The order report as an XLSX workbook: the order list with progress, stage dates and the
cost and payment summary, for managers who read it in Excel."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

from sqlmodel import Session, col, select

from app.services import finance
from app.services.core import Actor, visible_orders_clause
from app.services.finance import COST_READERS
from app.services.insight._cells import writable
from app.services.orders import orders_public
from models.costs import PaymentMilestone
from models.enums import STAGE_NAMES, OrderStatus, Role, StageKind
from models.errors import Forbidden
from models.orders import Order
from models.stages import Stage

MAX_EXPORT = 5000
MONEY_FORMAT = "#,##0.00"
BASE_COLUMNS = [
    "订单号",
    "合同号",
    "客户",
    "跟单员",
    "状态",
    "进度%",
    "当前阶段",
    "交货日期",
    "实际交付",
]
MONEY_COLUMNS = ["合同金额", "预算合计", "实际成本合计", "超预算", "应收", "已收", "未收"]


def _columns() -> list[str]:
    stage_columns = []
    for kind in StageKind:
        name = STAGE_NAMES[kind]
        stage_columns += [
            f"{name} 计划开始",
            f"{name} 计划完成",
            f"{name} 实际开始",
            f"{name} 实际完成",
        ]
    return BASE_COLUMNS + stage_columns + MONEY_COLUMNS


def _orders(session: Session, actor: Actor, status: OrderStatus | None) -> list[Order]:
    query = select(Order).where(visible_orders_clause(actor))
    if status is not None:
        query = query.where(Order.status == status)
    return list(session.exec(query.order_by(col(Order.id)).limit(MAX_EXPORT)))


def _stage_dates(session: Session, ids: list[int]) -> dict[int, dict[StageKind, Stage]]:
    out: dict[int, dict[StageKind, Stage]] = defaultdict(dict)
    for stage in session.exec(select(Stage).where(col(Stage.order_id).in_(ids))):
        out[stage.order_id][StageKind(stage.kind)] = stage
    return out


def _payments(session: Session, ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    out: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    query = select(PaymentMilestone).where(col(PaymentMilestone.order_id).in_(ids))
    for milestone in session.exec(query):
        out[milestone.order_id][0] += milestone.amount
        out[milestone.order_id][1] += milestone.received_amount
    return {k: (v[0], v[1]) for k, v in out.items()}


def export_orders(*, session: Session, actor: Actor, status: OrderStatus | None = None) -> bytes:
    """The orders the actor may see (at most MAX_EXPORT), one row each, as an XLSX file."""
    if not (actor.is_admin or actor.has(Role.manager, *COST_READERS)):
        raise Forbidden("只有管理层、跟单员、销售或采购可以导出订单报表（含成本）")
    orders = _orders(session, actor, status)
    ids = [o.id for o in orders]
    public = orders_public(session, orders)
    stages, actual = _stage_dates(session, ids), finance.actual_costs(session, ids)
    budget, payments = finance.budgets(session, ids), _payments(session, ids)
    # openpyxl (and the numpy it pulls in) loads with the first export, not at start (issue 18).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "订单报表"
    sheet.append(_columns())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for order in public:
        row = _row(
            order,
            stages[order.id],
            budget.get(order.id, {}),
            actual[order.id],
            payments.get(order.id),
        )
        sheet.append(writable(row))
    _format(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row(order, stages, budget, actual, payments) -> list:
    row = [
        order.code,
        order.contract_no,
        order.customer,
        order.liaison.display_name if order.liaison else "",
        order.status_name,
        order.progress,
        order.current_stage.name if order.current_stage else "",
        order.delivery_date,
        order.actual_delivery_date,
    ]
    for kind in StageKind:
        stage = stages.get(kind)
        row += [
            getattr(stage, f, None)
            for f in ("planned_start", "planned_end", "actual_start", "actual_end")
        ]
    spent = sum(actual.values(), Decimal(0))
    over = any(actual[c] > limit for c, limit in budget.items())
    receivable, received = payments or (Decimal(0), Decimal(0))
    row += [
        order.contract_amount,
        sum(budget.values(), Decimal(0)) if budget else None,
        spent,
        "是" if over else "否",
        receivable,
        received,
        receivable - received,
    ]
    return row


def _format(sheet) -> None:
    from openpyxl.utils import get_column_letter

    columns = _columns()
    for index, name in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, len(name) * 2 + 2)
        if "日期" in name or "交付" in name or "开始" in name or "完成" in name:
            for cell in sheet[letter][1:]:
                cell.number_format = "yyyy-mm-dd"
        elif name in MONEY_COLUMNS and name != "超预算":
            for cell in sheet[letter][1:]:
                cell.number_format = MONEY_FORMAT
    sheet.freeze_panes = "B2"
