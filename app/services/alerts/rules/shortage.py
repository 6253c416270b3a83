"""Key material not secured inside its warning window (procurement's shortage query): one
warning a day while it lasts, high risk and the manager told once the need date has passed."""

from __future__ import annotations

from sqlalchemy import case, func, literal
from sqlmodel import col

from app.services.alerts.rules import Finding, RuleContext, SqlFinding, set_rule
from app.services.alerts.rules._owners import role_member
from app.services.alerts.rules._sql import days_from, joined, month_day, plain
from app.services.procurement import shortage_query
from models.bom import BomLine
from models.enums import RiskLevel, RiskType, Role
from models.materials import Material
from models.orders import Order


def _shortage_query(ctx: RuleContext):
    buyers = role_member(Role.buyer)
    query = shortage_query(
        today=ctx.today,
        order_ids=sorted(ctx.order_ids) if ctx.order_ids is not None else None,
    )
    level = case(
        (BomLine.need_date < ctx.today, literal(RiskLevel.high.value)),
        else_=literal(RiskLevel.medium.value),
    )
    return (
        query.with_only_columns(
            BomLine.id.label("entity_id"),
            BomLine.order_id.label("order_id"),
            level.label("level"),
            *list(query.selected_columns)[2:],
            func.coalesce(buyers.c.user_id, Order.liaison_id),
            maintain_column_froms=True,
        )
        .outerjoin(buyers, buyers.c.order_id == BomLine.order_id)
        .where(col(Material.is_key))
    )


def _shortage_sql(ctx: RuleContext, columns) -> SqlFinding:
    code, material_id, name, unit = columns[3], columns[4], columns[6], columns[7]
    short, need_date, owner = columns[13], columns[14], columns[18]
    late = days_from(need_date, ctx.today)  # negative until the need date
    escalated = need_date < ctx.today
    when = case(
        (escalated, joined("需求日 ", month_day(need_date), " 已过 ", late, " 天")),
        else_=joined("距需求日 ", -late, " 天"),
    )
    return SqlFinding(
        owner_id=owner,
        message=joined(
            code, " 关键物料 ", name, " 缺 ", plain(short), " ", unit, "，", when, "，尚未落实"
        ),
        risk_type=RiskType.shortage,
        material_id=material_id,
        notify_managers=escalated,
    )


@set_rule(
    "key_shortage",
    "关键物料缺料",
    entity_type="bom_line",
    query=_shortage_query,
    sql=_shortage_sql,
)
def key_shortage(ctx: RuleContext, row) -> Finding:
    line_id, order_id, _, code, material_id, _, name, unit = row[:8]
    short, need_date, owner = row[13], row[14], row[18]
    days = (need_date - ctx.today).days
    escalated = days < 0
    when = f"需求日 {need_date:%m-%d} 已过 {-days} 天" if escalated else f"距需求日 {days} 天"
    return Finding(
        entity_type="bom_line",
        entity_id=line_id,
        order_id=order_id,
        level=RiskLevel.high if escalated else RiskLevel.medium,
        owner_id=owner,
        message=f"{code} 关键物料 {name} 缺 {short.normalize():f} {unit}，{when}，尚未落实",
        risk_type=RiskType.shortage,
        material_id=material_id,
        notify_managers=escalated,
    )
