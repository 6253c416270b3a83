"""The dashboard sections of the order page, each from the service that computes it: Gantt,
Kanban, plan vs actual with the bottleneck, BOM with shortage status, site issues with photos,
daily reports by day, and the reminders sent (outbox rows of the order)."""

from __future__ import annotations

from collections import defaultdict

from app.services import production
from app.services.alerts import line_forecasts
from app.services.chat import list_outbox, outbox_public
from app.services.core import Actor, can_act_in
from app.services.field import (
    acceptance_of,
    acceptance_public,
    issues_public,
    list_daily_reports,
    list_issues,
    reports_public,
)
from app.services.orders import change_orders_public, list_change_orders
from app.services.procurement import bom_public, find_shortages, list_bom
from app.web.markdown import message_markdown
from models.base import utcnow
from models.enums import Role
from models.errors import Forbidden
from models.messages import is_stub
from models.orders import Order

RISK_RANK = {"high": 0, "medium": 1, "low": 2}
OUTBOX_STATUS_NAMES = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "merged": "已合并发送",
    "cancelled": "已取消",
}
# The output chart needs each operation's cumulative figures, not its day-by-day series.
NO_SERIES = {"operations": {"__all__": {"series"}}}


def order_sections(session, actor: Actor, order_id: int) -> dict:
    """Everything the order page shows below its header, as template context."""
    now = utcnow()
    gantt = production.gantt(session=session, actor=actor, order_id=order_id, now=now)
    output = production.production_overview(
        session=session, actor=actor, order_id=order_id, now=now
    )
    issues, issue_total = list_issues(
        session=session, actor=actor, order_id=order_id, per_page=50, now=now
    )
    return {
        "gantt_json": gantt.model_dump(mode="json"),
        "kanban": production.kanban(session=session, actor=actor, order_id=order_id, now=now),
        "output": output,
        "output_json": output.model_dump(mode="json", exclude=NO_SERIES),
        "bom": _bom(session, actor, order_id, now),
        "issues": sorted(issues_public(session, issues, now=now), key=_issue_rank),
        "issue_total": issue_total,
        "reports_by_day": _reports_by_day(session, actor, order_id),
        "reminders": _reminders(session, actor, order_id),
        "forecasts": line_forecasts(session=session, actor=actor, order_id=order_id, now=now),
        "acceptance": _acceptance(session, order_id),
        "can_send_link": _can_send_link(session, actor, order_id),
        "outbox_status_names": OUTBOX_STATUS_NAMES,
        "change_orders": change_orders_public(
            session, list_change_orders(session=session, actor=actor, order_id=order_id)
        ),
        "can_decide_changes": actor.is_admin or actor.has(Role.manager),
    }


def _issue_rank(issue) -> tuple:
    """Open before closed, overdue first, then by risk, newest first."""
    closed = issue.state in ("resolved", "verified")
    return (closed, not issue.overdue, RISK_RANK[issue.risk], -issue.id)


def _bom(session, actor: Actor, order_id: int, now) -> list[dict]:
    lines = bom_public(session, list_bom(session=session, actor=actor, order_id=order_id))
    short = {
        s.bom_line_id: s
        for s in find_shortages(session=session, now=now, actor=actor, order_id=order_id).items
    }
    out = []
    for line in lines:
        shortage = short.get(line.id)
        if shortage is not None:
            late = shortage.escalated
            status = ("escalated", "缺料（已过需求日期）") if late else ("short", "缺料")
        elif line.missing <= 0:
            status = ("complete", "已到齐")
        elif any(p.status in ("confirmed", "shipped", "in_transit") for p in line.purchases):
            status = ("secured", "在途")
        else:
            status = ("open", "未到")
        out.append({"line": line, "status": status[0], "status_name": status[1]})
    return out


def _reports_by_day(session, actor: Actor, order_id: int) -> list[tuple]:
    reports = reports_public(
        session, list_daily_reports(session=session, actor=actor, order_id=order_id)[:60]
    )
    days = defaultdict(list)
    for report in reports:
        days[report.day].append(report)
    return sorted(days.items(), key=lambda kv: kv[0], reverse=True)


def _reminders(session, actor: Actor, order_id: int):
    """The order's outbox rows, or None for those who may not read them."""
    try:
        rows, total = list_outbox(session=session, actor=actor, order_id=order_id, per_page=30)
    except Forbidden:
        return None
    # A warning waiting to be sent holds a stub (rendered at the send): its preview says so.
    bodies = {row.id: message_markdown(row.message) for row in rows if not is_stub(row.message)}
    return {"items": outbox_public(session, rows), "total": total, "bodies": bodies}


def _acceptance(session, order_id: int):
    """The customer's acceptance with the rating, once the order is accepted."""
    acceptance = acceptance_of(session=session, order_id=order_id)
    return acceptance_public(session, acceptance) if acceptance else None


def _can_send_link(session, actor: Actor, order_id: int) -> bool:
    """Whether the actor may send the customer an acceptance link (the order's trackers)."""
    order = session.get(Order, order_id)
    return can_act_in(session, actor, order, {Role.tracker})
