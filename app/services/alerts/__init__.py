"""Warnings (预警): the rules (rules/), the sweep that turns their findings into alerts and outbox
messages, how an alert reads, acknowledgement, the groups' standup and cut-off schedules, and
supplier delay prediction from the delivery history.
"""

from __future__ import annotations

from app.services.alerts.board import (
    BoardFilters,
    BoardLine,
    answered_alerts,
    duration_text,
    open_alerts,
)
from app.services.alerts.deliveries import alert_deliveries
from app.services.alerts.forecast import LineForecast, line_forecasts
from app.services.alerts.handling import (
    AckNotAllowed,
    AlertAcknowledged,
    AlertNotFound,
    acknowledge_alert,
    acknowledge_by_link,
    alert_for_token,
    alert_public,
    alert_token,
    alerts_by_id,
    get_alert,
    list_alerts,
    may_acknowledge,
    response_stats,
)
from app.services.alerts.history import delay_model, delivery_history, first_promise
from app.services.alerts.lifecycle import cancel_messages, closed_reasons, mark_delivered
from app.services.alerts.prediction import (
    DEFAULT_K,
    MIN_HISTORY,
    MIN_OWN,
    SMOOTHING,
    DelayModel,
    Delivery,
    probability_late,
)
from app.services.alerts.rendering import render_stubs
from app.services.alerts.retention import PRUNE_BATCH, prune_closed_alerts
from app.services.alerts.rules import load_rules, rule
from app.services.alerts.schedules import (
    GroupTimes,
    group_schedule,
    group_times,
    reset_group_schedule,
    schedule_overview,
    set_group_schedule,
    view_group_schedule,
)
from app.services.alerts.sweeper import SweepResult, sweep

__all__ = [
    "DEFAULT_K",
    "MIN_HISTORY",
    "MIN_OWN",
    "PRUNE_BATCH",
    "SMOOTHING",
    "AckNotAllowed",
    "AlertAcknowledged",
    "AlertNotFound",
    "BoardFilters",
    "BoardLine",
    "DelayModel",
    "Delivery",
    "GroupTimes",
    "LineForecast",
    "SweepResult",
    "acknowledge_alert",
    "acknowledge_by_link",
    "alert_deliveries",
    "alert_for_token",
    "alert_public",
    "alert_token",
    "alerts_by_id",
    "answered_alerts",
    "cancel_messages",
    "closed_reasons",
    "delay_model",
    "delivery_history",
    "duration_text",
    "first_promise",
    "get_alert",
    "group_schedule",
    "group_times",
    "line_forecasts",
    "list_alerts",
    "load_rules",
    "mark_delivered",
    "may_acknowledge",
    "open_alerts",
    "probability_late",
    "prune_closed_alerts",
    "render_stubs",
    "reset_group_schedule",
    "response_stats",
    "rule",
    "schedule_overview",
    "set_group_schedule",
    "sweep",
    "view_group_schedule",
]
