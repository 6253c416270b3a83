"""The alert acknowledgement page (/ack/<token>): no login, Chinese, mobile first.

Opening the link shows the warning and one button; only the button (a POST) acknowledges,
so a chat app fetching the link for its preview acknowledges nothing. The signed link is the
permission; it works once (an acknowledged alert says so) and expires.
"""

from __future__ import annotations

from flask import current_app, render_template

from app.auth import db_session
from app.services.alerts import AlertAcknowledged, acknowledge_by_link, alert_for_token
from app.services.core import Actor
from app.web import bp
from models.base import utcnow
from models.enums import RISK_NAMES, Channel, RiskLevel
from models.errors import DomainError
from models.orders import Order


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _render(status: int = 200, **context):
    page = render_template("ack.html", **context)
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _alert_context(session, alert) -> dict:
    order = session.get(Order, alert.order_id)
    return {"alert": alert, "order": order, "level": RISK_NAMES[RiskLevel(alert.level)]}


@bp.get("/ack/<token>")
def ack_page(token: str):
    session = db_session()
    try:
        alert = alert_for_token(session=session, token=token, secret=_secret(), now=utcnow())
    except DomainError as exc:
        return _render(exc.status, error=exc.message)
    if alert.acknowledged_at is not None:
        return _render(409, error=AlertAcknowledged.message, **_alert_context(session, alert))
    return _render(token=token, **_alert_context(session, alert))


@bp.post("/ack/<token>")
def ack_confirm(token: str):
    session = db_session()
    try:
        alert = acknowledge_by_link(
            session=session,
            actor=Actor.system(Channel.web),
            token=token,
            secret=_secret(),
            now=utcnow(),
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _render(exc.status, error=exc.message)
    return _render(done=True, **_alert_context(session, alert))
