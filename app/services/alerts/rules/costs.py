"""Money rules: an order's cost past its budget in a category, a payment milestone past its due
date with money outstanding. Both read the cost centre's set-based queries."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from app.services.alerts.rules import Finding, RuleContext, rule
from app.services.finance import over_budget_orders, overdue_payments
from models.enums import COST_CATEGORY_NAMES, RiskLevel
from models.quantities import yuan

# Actual cost this far above the budget (or a payment this many days late) is high risk.
OVER_BUDGET_HIGH = Decimal("1.1")
PAYMENT_LATE_HIGH_DAYS = 30


def _wanted(ctx: RuleContext, order_id: int) -> bool:
    return ctx.order_ids is None or order_id in ctx.order_ids


@rule("over_budget", "超预算")
def over_budget(ctx: RuleContext) -> Iterable[Finding]:
    for row in over_budget_orders(session=ctx.session, now=ctx.now):
        if not _wanted(ctx, row.order_id):
            continue
        share = row.actual / row.budget if row.budget else None
        over = f"（{share:.0%}）" if share is not None else ""
        high = share is None or share > OVER_BUDGET_HIGH
        yield Finding(
            entity_type=f"budget_{row.category}",
            entity_id=row.order_id,
            order_id=row.order_id,
            level=RiskLevel.high if high else RiskLevel.medium,
            owner_id=row.owner_id,
            message=(
                f"{row.order_code} {COST_CATEGORY_NAMES[row.category]}成本 {yuan(row.actual)} 元，"
                f"超出预算 {yuan(row.budget)} 元{over}"
            ),
        )


@rule("payment_overdue", "回款逾期")
def payment_overdue(ctx: RuleContext) -> Iterable[Finding]:
    for row in overdue_payments(session=ctx.session, now=ctx.now):
        if not _wanted(ctx, row.order_id):
            continue
        yield Finding(
            entity_type="payment_milestone",
            entity_id=row.milestone_id,
            order_id=row.order_id,
            level=(
                RiskLevel.high if row.days_overdue >= PAYMENT_LATE_HIGH_DAYS else RiskLevel.medium
            ),
            owner_id=row.owner_id,
            message=(
                f"{row.order_code} 回款节点「{row.name}」应于 {row.due_date:%m-%d} 回款，"
                f"尚欠 {yuan(row.outstanding)} 元，已逾期 {row.days_overdue} 天"
            ),
        )
