"""Money: the cost centre (budgets, actual costs drawn from the other stages' data, entries by
hand) and payment milestones from the payment terms.
"""

from __future__ import annotations

from app.services.finance.cost_sources import actual_costs, budgets
from app.services.finance.costs import (
    COST_READERS,
    add_cost_entry,
    cost_report,
    delete_cost_entry,
    entries_public,
    may_read_costs,
    money_field,
    over_budget_orders,
    set_budget,
)
from app.services.finance.payment_terms import parse_terms, split_amount
from app.services.finance.payments import (
    fund_view,
    generate_milestones,
    milestone_public,
    overdue_payments,
    record_payment,
    set_milestones,
    update_milestone,
)

__all__ = [
    "COST_READERS",
    "actual_costs",
    "add_cost_entry",
    "budgets",
    "cost_report",
    "delete_cost_entry",
    "entries_public",
    "fund_view",
    "generate_milestones",
    "may_read_costs",
    "milestone_public",
    "money_field",
    "over_budget_orders",
    "overdue_payments",
    "parse_terms",
    "record_payment",
    "set_budget",
    "set_milestones",
    "split_amount",
    "update_milestone",
]
