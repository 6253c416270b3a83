"""The warning pages: the open warnings (/alerts) for managers and trackers, acknowledged from
the list, and an order's standup for the meeting-room screen (/standup/<code>)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, g, redirect, render_template, request, url_for
from sqlmodel import col, select

from app.auth import commit, db_session, login_required
from app.services.alerts import (
    BoardFilters,
    acknowledge_alert,
    alert_deliveries,
    answered_alerts,
    load_rules,
    may_acknowledge,
    open_alerts,
)
from app.services.core import local_date
from app.services.insight import build_standup
from app.services.orders import find_order_by_code
from app.web import bp
from models import clock
from models.alerts import Alert
from models.enums import RISK_NAMES, RiskLevel
from models.errors import DomainError
from models.orders import Order

FILTER_KEYS = ("order", "level", "rule", "owner", "state")
STATES = ("open", "answered")


@dataclass
class Chosen:
    """The filters as asked for (shown back in the form)."""

    order: str = ""
    level: str = ""
    rule: str = ""
    owner: str = ""
    state: str = "open"


def _order_ids(code: str) -> tuple[int, ...] | None:
    try:
        return (find_order_by_code(session=db_session(), actor=g.actor, code=code).id,)
    except DomainError:
        return None


def _chosen() -> tuple[Chosen, BoardFilters]:
    """The list's filters; an unknown value is dropped with a Chinese note."""
    args = {k: request.args.get(k, "").strip() for k in FILTER_KEYS}
    chosen = Chosen(**{k: v for k, v in args.items() if v})
    filters = BoardFilters(
        order_ids=_order_ids(chosen.order) if chosen.order else None,
        level=RiskLevel(chosen.level) if chosen.level in tuple(RiskLevel) else None,
        rule=chosen.rule if chosen.rule in load_rules() else None,
        owner_id=int(chosen.owner) if chosen.owner.isdigit() else None,
    )
    bad = [
        (chosen.order, filters.order_ids),
        (chosen.level, filters.level),
        (chosen.rule, filters.rule),
        (chosen.owner, filters.owner_id),
    ]
    if any(asked and used is None for asked, used in bad) or chosen.state not in STATES:
        chosen.state = chosen.state if chosen.state in STATES else "open"
        flash("筛选条件无效，已忽略无效的条件", "error")
    return chosen, filters


@bp.get("/alerts")
@login_required
def alerts():
    s, actor, now = db_session(), g.actor, clock.now()
    chosen, filters = _chosen()
    board = open_alerts if chosen.state == "open" else answered_alerts
    lines = board(session=s, actor=actor, now=now, filters=filters)
    everyone = open_alerts(session=s, actor=actor, now=now)
    owners = sorted({(a.alert.owner_id, a.alert.owner_name) for a in everyone if a.alert.owner_id})
    orders = {o.id: o for o in _orders(s, [x.alert.order_id for x in lines])}
    may_ack = {
        x.alert.id: may_acknowledge(s, actor, s.get(Alert, x.alert.id), orders[x.alert.order_id])
        for x in lines
        if x.alert.acknowledged_at is None
    }
    # Where each warning's messages went (recipient, channel, pending / held / sent / cancelled).
    deliveries = {
        x.alert.id: alert_deliveries(session=s, actor=actor, alert_id=x.alert.id, now=now)
        for x in lines
    }
    return render_template(
        "alerts.html",
        lines=lines,
        chosen=chosen,
        may_ack=may_ack,
        deliveries=deliveries,
        owners=owners,
        rules=sorted((r.name, r.title) for r in load_rules().values()),
        risk_names=RISK_NAMES,
    )


def _orders(s, ids: list[int]) -> list[Order]:
    return list(s.exec(select(Order).where(col(Order.id).in_(set(ids))))) if ids else []


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def alert_acknowledge(alert_id: int):
    back = {k: request.form.get(k) for k in FILTER_KEYS if request.form.get(k)}
    try:
        alert = acknowledge_alert(
            session=db_session(), actor=g.actor, alert_id=alert_id, via="web", now=clock.now()
        )
        commit()
        flash(f"已确认预警 #A{alert.id}，提醒和升级已停止", "ok")
    except DomainError as exc:
        db_session().rollback()
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
    return redirect(url_for("web.alerts", **back))


@bp.get("/standup/<code>")
@login_required
def standup(code: str):
    s, now = db_session(), clock.now()
    order = find_order_by_code(session=s, actor=g.actor, code=code)
    [meeting] = build_standup(session=s, actor=g.actor, order_ids=[order.id], now=now)
    return render_template(
        "standup.html", m=meeting, today=local_date(now), risk_names=RISK_NAMES, levels=RiskLevel
    )
