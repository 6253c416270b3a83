"""The manager's pages: the overview (landing page), the KPIs, the outbox (admins), and the
site-issue acknowledgement from the order page."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, g, redirect, render_template, request, url_for
from pydantic import ValidationError

from app.auth import commit, db_session, login_required
from app.services.alerts import duration_text, response_stats
from app.services.chat import list_outbox, outbox_public, retry_outbox
from app.services.field import acknowledge_issue, create_acceptance_link, link_url
from app.services.insight import compute_kpis, order_overview, require_kpi_reader
from app.services.people import list_users
from app.web import bp
from app.web.order_sections import OUTBOX_STATUS_NAMES
from app.web.pages import action
from models import clock
from models.dashboard import OverviewFilters
from models.enums import RISK_NAMES, STAGE_NAMES, OutboxStatus, Role
from models.errors import DomainError

OUTBOX_PAGE = 50
RESPONSE_DAYS = 30


def _filters() -> OverviewFilters:
    args = {k: v for k, v in request.args.items() if v not in ("", None)}
    try:
        return OverviewFilters.model_validate(
            {k: args[k] for k in ("stage", "liaison_id", "customer", "at_risk") if k in args}
        )
    except ValidationError:
        flash("筛选条件无效，已显示全部订单", "error")
        return OverviewFilters()


@bp.get("/overview")
@login_required
def overview():
    s, filters = db_session(), _filters()
    data = order_overview(session=s, actor=g.actor, filters=filters)
    return render_template(
        "overview.html",
        data=data,
        response=_response(s),
        filters=filters,
        stages=STAGE_NAMES,
        risk_names=RISK_NAMES,
        liaisons=_liaisons(s),
    )


def _response(s) -> dict:
    """The exception response time of the last RESPONSE_DAYS against its 2-hour target."""
    now = clock.now()
    stats = response_stats(
        session=s, actor=g.actor, start=now - timedelta(days=RESPONSE_DAYS), end=now
    )
    average = stats.average_seconds
    return {
        "stats": stats,
        "days": RESPONSE_DAYS,
        "average": duration_text(int(average)) if average is not None else None,
        "target": duration_text(stats.target_seconds),
        "late": average is not None and average > stats.target_seconds,
        "within": round(stats.within_target * 100) if stats.within_target is not None else None,
    }


def _liaisons(s) -> list:
    try:
        return list_users(session=s, actor=g.actor, role=Role.tracker)
    except DomainError:
        return []


@bp.get("/kpis")
@login_required
def kpis():
    require_kpi_reader(g.actor)
    raw = request.args.get("months", "12")
    months = int(raw) if raw.isdigit() and 1 <= int(raw) <= 36 else 12
    data = compute_kpis(session=db_session(), actor=g.actor, months=months)
    return render_template("kpis.html", data=data, months=months)


@bp.get("/outbox")
@login_required
def outbox():
    status = request.args.get("status") or None
    if status not in (None, *OutboxStatus):
        status = None
    raw, s = request.args.get("page", "1"), db_session()
    page = int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1
    rows, total = list_outbox(
        session=s, actor=g.actor, status=status, page=page, per_page=OUTBOX_PAGE
    )
    return render_template(
        "outbox.html",
        rows=outbox_public(s, rows),
        total=total,
        page=page,
        per_page=OUTBOX_PAGE,
        status=status,
        outbox_status_names=OUTBOX_STATUS_NAMES,
    )


@bp.post("/outbox/<int:outbox_id>/retry")
@login_required
def outbox_retry(outbox_id: int):
    try:
        retry_outbox(session=db_session(), actor=g.actor, outbox_id=outbox_id)
        commit()
        flash(f"消息 {outbox_id} 已重新排队发送", "ok")
    except DomainError as exc:
        db_session().rollback()
        if exc.status == 403:
            raise
        flash(exc.message, "error")
    return redirect(url_for("web.outbox", status=request.args.get("status") or None))


@bp.post("/orders/<int:order_id>/issues/<int:issue_id>/acknowledge")
@action
def issue_acknowledge(order_id: int, issue_id: int):
    issue = acknowledge_issue(session=db_session(), actor=g.actor, issue_id=issue_id)
    if issue.order_id != order_id:
        raise DomainError("问题点不属于本订单")
    return f"已确认收到问题点 #{issue_id}"


@bp.post("/orders/<int:order_id>/acceptance-link")
@login_required
def acceptance_link(order_id: int):
    # The address carries a one-time secret: shown in this response only, never flashed
    # (a flash message would travel in the session cookie) and never cached.
    s = db_session()
    try:
        link, token = create_acceptance_link(
            session=s, actor=g.actor, order_id=order_id, secret=current_app.config["SECRET_KEY"]
        )
        commit()
    except DomainError as exc:
        s.rollback()
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        return redirect(url_for("web.order", order_id=order_id))
    page = render_template(
        "acceptance_link.html", order_id=order_id, url=link_url(token), link=link
    )
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response
