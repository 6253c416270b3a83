"""The ground every domain stands on: who is acting and what they may do (actor, permissions),
the deployment's settings and time specs, the change log (audit writes it, changes reads it,
labels names things in Chinese), validation messages, import files and the scheduler's status;
the checklist behaviour and the import helpers both checklists and both importers share.
"""

from __future__ import annotations

from app.services.core.actor import Actor, actor_for, acts, bind_actor, roles_of
from app.services.core.audit import AuditError, note
from app.services.core.changes import describe_changes, list_changes
from app.services.core.checklists import Checklist, tick
from app.services.core.deployment import (
    DEFAULT_ISSUE_LIMIT_HOURS,
    DEFAULT_KPI_TARGETS,
    DEFAULT_LABOUR_RATES,
    DEFAULT_REPORT_ROLES,
    DEFAULT_REVIEW_DEPARTMENTS,
    ConfigError,
    Settings,
    configure,
    local_date,
    parse_issue_limits,
    parse_kpi_targets,
    parse_labour_rates,
    settings,
)
from app.services.core.import_files import (
    HEADERS,
    TEMPLATE,
    ImportFailed,
    Layout,
    Problems,
    RowError,
    cell_date,
    cell_flag,
    cell_limited,
    cell_number,
    cell_text,
    read_table,
    write_all,
)
from app.services.core.labels import CHANNEL_NAMES
from app.services.core.permissions import (
    ORDER_CREATORS,
    STAGE_ROLES,
    acting_roles,
    can_view,
    load_order,
    require_manage_order,
    require_member,
    require_order_role,
    visible_orders_clause,
)
from app.services.core.scheduler import scheduler_status
from app.services.core.timespec import (
    describe_days,
    format_clock,
    format_days,
    parse_clock,
    parse_days,
    parse_window,
)
from app.services.core.validation import VALIDATION_WORDS, describe_validation_error, validated

__all__ = [
    "CHANNEL_NAMES",
    "DEFAULT_ISSUE_LIMIT_HOURS",
    "DEFAULT_KPI_TARGETS",
    "DEFAULT_LABOUR_RATES",
    "DEFAULT_REPORT_ROLES",
    "DEFAULT_REVIEW_DEPARTMENTS",
    "HEADERS",
    "ORDER_CREATORS",
    "STAGE_ROLES",
    "TEMPLATE",
    "VALIDATION_WORDS",
    "Actor",
    "AuditError",
    "Checklist",
    "ConfigError",
    "ImportFailed",
    "Layout",
    "Problems",
    "RowError",
    "Settings",
    "acting_roles",
    "actor_for",
    "acts",
    "bind_actor",
    "can_view",
    "cell_date",
    "cell_flag",
    "cell_limited",
    "cell_number",
    "cell_text",
    "configure",
    "describe_changes",
    "describe_days",
    "describe_validation_error",
    "format_clock",
    "format_days",
    "list_changes",
    "load_order",
    "local_date",
    "note",
    "parse_clock",
    "parse_days",
    "parse_issue_limits",
    "parse_kpi_targets",
    "parse_labour_rates",
    "parse_window",
    "read_table",
    "require_manage_order",
    "require_member",
    "require_order_role",
    "roles_of",
    "scheduler_status",
    "settings",
    "tick",
    "validated",
    "visible_orders_clause",
    "write_all",
]
