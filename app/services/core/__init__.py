"""The ground every domain stands on: who is acting and what they may do (actor, permissions),
the deployment's settings and time specs, the change log (audit writes it, changes reads it,
labels names things in Chinese), validation messages, import files and the scheduler's status.
"""

from __future__ import annotations

from app.services.core.actor import Actor, actor_for, acts, bind_actor, roles_of
from app.services.core.audit import AuditError, note
from app.services.core.changes import describe_changes, list_changes
from app.services.core.deployment import (
    SQLITE_REFUSED,
    Settings,
    configure,
    local_date,
    settings,
)
from app.services.core.import_files import HEADERS, TEMPLATE, ImportFailed, Layout, read_table
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
from app.services.core.setting_values import (
    DEFAULT_ISSUE_LIMIT_HOURS,
    DEFAULT_KPI_TARGETS,
    DEFAULT_LABOUR_RATES,
    DEFAULT_REPORT_ROLES,
    DEFAULT_REVIEW_DEPARTMENTS,
    ConfigError,
    parse_issue_limits,
    parse_kpi_targets,
    parse_labour_rates,
)
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
    "SQLITE_REFUSED",
    "STAGE_ROLES",
    "TEMPLATE",
    "VALIDATION_WORDS",
    "Actor",
    "AuditError",
    "ConfigError",
    "ImportFailed",
    "Layout",
    "Settings",
    "acting_roles",
    "actor_for",
    "acts",
    "bind_actor",
    "can_view",
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
    "validated",
    "visible_orders_clause",
]
