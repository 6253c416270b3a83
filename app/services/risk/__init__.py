"""The deployment's risk policy: the risk matrix (handling time limit per level) and quiet hours,
as pure timing functions (timing.py) and as the setting admins edit (matrix.py); and the
contingency plan library keyed by risk type. Site issues take their due time from the matrix and
alerts their escalation, so it sits below both.
"""

from __future__ import annotations

from app.services.risk.contingency import (
    create_plan,
    delete_plan,
    ensure_default_plans,
    get_plan,
    list_plans,
    plan_for,
    plan_public,
    update_plan,
)
from app.services.risk.matrix import (
    describe_matrix,
    reset_risk_matrix,
    risk_matrix,
    update_risk_matrix,
)
from app.services.risk.timing import (
    QuietHours,
    RiskMatrix,
    deadline_for,
    default_matrix,
    defer_until,
    escalation_stage,
    in_quiet_hours,
)

__all__ = [
    "QuietHours",
    "RiskMatrix",
    "create_plan",
    "deadline_for",
    "default_matrix",
    "defer_until",
    "delete_plan",
    "describe_matrix",
    "ensure_default_plans",
    "escalation_stage",
    "get_plan",
    "in_quiet_hours",
    "list_plans",
    "plan_for",
    "plan_public",
    "reset_risk_matrix",
    "risk_matrix",
    "update_plan",
    "update_risk_matrix",
]
