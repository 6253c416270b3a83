"""/api/alerts: the warnings (预警) the rules raised, and acknowledging them."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, Paging, commit, current_actor, db_session, ok
from app.services import alerts as svc
from models.alerts import AlertDetail, AlertPage, AlertPublic, AlertResponseStats
from models.base import utcnow
from models.enums import RiskLevel

bp = APIBlueprint(
    "api_alerts",
    __name__,
    url_prefix="/api/alerts",
    abp_tags=[Tag(name="预警")],
    abp_security=SECURITY,
)


class AlertState(StrEnum):
    open = "open"
    acknowledged = "acknowledged"


class AlertQuery(Paging):
    order_id: int | None = None
    status: AlertState | None = None
    level: RiskLevel | None = None


class AlertPath(BaseModel):
    alert_id: int


class StatsQuery(BaseModel):
    days: int = Field(default=30, ge=1, le=366, description="最近多少天开始的异常")


@bp.get("", responses={200: AlertPage})
def index(query: AlertQuery):
    """Alerts of the orders you may see, newest first; filter by order, open/acknowledged,
    risk level."""
    actor, session = current_actor(), db_session()
    acknowledged = None if query.status is None else query.status == AlertState.acknowledged
    items, total = svc.list_alerts(
        session=session,
        actor=actor,
        order_id=query.order_id,
        acknowledged=acknowledged,
        level=query.level,
        page=query.page,
        per_page=query.per_page,
    )
    return ok(AlertPage(items=items, total=total, page=query.page, per_page=query.per_page))


@bp.get("/response-time", responses={200: AlertResponseStats})
def response_time(query: StatsQuery):
    """The KPI "exception response time": exceptions of the last `days` days on the orders you
    may see, how many were acknowledged, the average time to acknowledge, the share within 2 h."""
    actor, now = current_actor(), utcnow()
    stats = svc.response_stats(
        session=db_session(), actor=actor, start=now - timedelta(days=query.days), end=now
    )
    return ok(stats)


@bp.get("/<int:alert_id>", responses={200: AlertDetail})
def show(path: AlertPath):
    """One alert (of an order you may see) with its deliveries: each message's recipient,
    channel, status (pending / held / sent / failed / cancelled) and times."""
    actor, session = current_actor(), db_session()
    alert = svc.get_alert(session=session, actor=actor, alert_id=path.alert_id)
    deliveries = svc.alert_deliveries(session=session, actor=actor, alert_id=alert.id, now=utcnow())
    return ok(AlertDetail(**svc.alert_public(session, alert).model_dump(), deliveries=deliveries))


@bp.post("/<int:alert_id>/ack", responses={200: AlertPublic})
def acknowledge(path: AlertPath):
    """Acknowledge an alert (收到): its reminders and escalation stop."""
    actor, session = current_actor(), db_session()
    alert = svc.acknowledge_alert(session=session, actor=actor, alert_id=path.alert_id, via="api")
    commit()
    return ok(svc.alert_public(session, alert))
