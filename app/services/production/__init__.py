"""Stage 3, production: operations (by hand or from templates), daily output, and plan vs actual
as the dashboard sees it (Kanban, Gantt, bottleneck).
"""

from __future__ import annotations

from app.services.production.data import load_plan, upstream_of
from app.services.production.operations import (
    create_operation,
    delete_operation,
    list_operations,
    set_operation_blocked,
    update_operation,
)
from app.services.production.output import list_outputs, report_output
from app.services.production.plan import (
    PlanOp,
    daily_series,
    evaluate,
    find_cycle,
    plan_by_day,
    working_days,
)
from app.services.production.templates import (
    add_operation_template,
    apply_operation_templates,
    ensure_operation_templates,
    list_operation_templates,
    retire_operation_template,
    update_operation_template,
)
from app.services.production.views import gantt, kanban, production_overview

__all__ = [
    "PlanOp",
    "add_operation_template",
    "apply_operation_templates",
    "create_operation",
    "daily_series",
    "delete_operation",
    "ensure_operation_templates",
    "evaluate",
    "find_cycle",
    "gantt",
    "kanban",
    "list_operation_templates",
    "list_operations",
    "list_outputs",
    "load_plan",
    "plan_by_day",
    "production_overview",
    "report_output",
    "retire_operation_template",
    "set_operation_blocked",
    "update_operation",
    "update_operation_template",
    "upstream_of",
    "working_days",
]
