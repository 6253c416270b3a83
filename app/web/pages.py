"""The pages a tracker uses: log in, orders, one order (review, stages, change log)."""

from __future__ import annotations

import re
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for

from app.auth import commit, db_session, login_required, login_session
from app.services import orders as order_svc
from app.services.core import (
    CHANNEL_NAMES,
    can_manage_group,
    can_manage_groups,
    can_sign_for,
    describe_changes,
    list_changes,
)
from app.services.finance import may_read_costs
from app.services.orders import (
    members_public,
    order_public,
    orders_public,
    review_public,
    stage_public,
)
from app.services.people import authenticate
from app.web import bp
from app.web.order_sections import order_sections
from models.enums import ORDER_STATUS_NAMES, ROLE_NAMES, OrderStatus, StageKind
from models.errors import DomainError

# A same-origin path and query: no scheme, host, backslash, whitespace or control characters.
SAFE_NEXT = re.compile(
    r"^/(?!/)[A-Za-z0-9/_.~%!$&'()*+,;=:@-]*(?:\?[A-Za-z0-9/_.~%!$&'()*+,;=:@?-]*)?$"
)


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a local path, else the overview (never another site)."""
    return target if target and _is_local_path(target) else url_for("web.overview")


def _is_local_path(target: str) -> bool:
    if len(target) > 2000 or not SAFE_NEXT.match(target):
        return False
    # Decoded once more (a browser or proxy may decode %2F / %5C), it must still be local.
    decoded = unquote(target)
    parts = urlsplit(decoded)
    return (
        not parts.scheme
        and not parts.netloc
        and not decoded.startswith("//")
        and "\\" not in decoded
        and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in decoded)
    )


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


@bp.get("/")
def home():
    return redirect(url_for("web.overview"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        try:
            user = authenticate(
                session=db_session(),
                username=request.form.get("username", ""),
                password=request.form.get("password", ""),
            )
        except DomainError as exc:
            flash(exc.message, "error")
            return render_template("login.html", username=request.form.get("username", "")), 401
        login_session(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", username="")


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("web.login"))


@bp.get("/orders")
@login_required
def orders():
    status = request.args.get("status") or None
    if status not in (None, *OrderStatus):
        status = None
    q = request.args.get("q", "").strip()
    page = _page_arg()
    rows, total = order_svc.list_orders(
        session=db_session(), actor=g.actor, status=status, q=q or None, page=page, per_page=30
    )
    return render_template(
        "orders.html",
        orders=orders_public(db_session(), rows),
        total=total,
        page=page,
        q=q,
        status=status,
        statuses=ORDER_STATUS_NAMES,
    )


@bp.get("/orders/<int:order_id>")
@login_required
def order(order_id: int):
    s, actor = db_session(), g.actor
    order = order_svc.get_order(session=s, actor=actor, order_id=order_id)
    review = order_svc.current_review(session=s, order_id=order_id)
    page = _page_arg()
    changes, total = list_changes(session=s, actor=actor, order_id=order_id, page=page, per_page=30)
    return render_template(
        "order.html",
        order=order_public(s, order),
        stages=[stage_public(s, st) for st in order_svc.list_stages(session=s, order_id=order_id)],
        review=review_public(s, review) if review else None,
        members=members_public(
            s, order_svc.list_members(session=s, actor=actor, order_id=order_id)
        ),
        changes=describe_changes(changes, session=s),
        changes_total=total,
        page=page,
        role_names=ROLE_NAMES,
        channel_names=CHANNEL_NAMES,
        can_sign_for=lambda department_id: can_sign_for(actor, department_id),
        can_read_costs=may_read_costs(s, actor, order),
        **_order_chat(s, actor, order_id),
        **order_sections(s, actor, order_id),
    )


def _order_chat(s, actor, order_id: int) -> dict:
    from app.services.chat import groups_public, list_groups
    from models.enums import CHAT_PLATFORM_NAMES

    following = list_groups(session=s, actor=actor, order_id=order_id)
    others = []
    if can_manage_groups(actor):
        ids = {grp.id for grp in following}
        others = [
            grp
            for grp in list_groups(session=s, actor=actor)
            if grp.id not in ids and can_manage_group(s, actor, grp)
        ]
    return {
        "chat_groups": groups_public(s, following),
        "other_groups": others,
        "platform_names": CHAT_PLATFORM_NAMES,
    }


def form_action(endpoint: str):
    """A decorator for an order's form posts: commit on success, flash the Chinese error on
    refusal, then back to the order's page at `endpoint`."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(order_id: int, **kwargs):
            try:
                message = view(order_id, **kwargs)
                commit()
                flash(message, "ok")
            except DomainError as exc:
                db_session().rollback()
                flash(exc.message, "error")
            return redirect(url_for(endpoint, order_id=order_id))

        return wrapper

    return decorate


action = form_action("web.order")


@bp.post("/orders/<int:order_id>/review/submit")
@action
def review_submit(order_id: int):
    order_svc.submit_for_review(session=db_session(), actor=g.actor, order_id=order_id)
    return "已提交评审"


@bp.post("/orders/<int:order_id>/review/sign")
@action
def review_sign(order_id: int):
    approve = request.form.get("decision") == "approve"
    order_svc.decide_signoff(
        session=db_session(),
        actor=g.actor,
        order_id=order_id,
        department=request.form.get("department", ""),
        approve=approve,
        reason=request.form.get("reason") or None,
    )
    return "已会签" if approve else "已驳回"


@bp.post("/orders/<int:order_id>/stages/<kind>/<verb>")
@action
def stage_action(order_id: int, kind: str, verb: str):
    if kind not in StageKind.__members__ or verb not in ("start", "close"):
        raise DomainError("无效的操作")
    args = {
        "session": db_session(),
        "actor": g.actor,
        "order_id": order_id,
        "kind": StageKind(kind),
    }
    if verb == "close":
        order_svc.close_stage(**args)
        return "阶段已完成"
    reason = (request.form.get("reason") or "").strip()[:500] or None
    order_svc.start_stage(**args, reason=reason)
    return "阶段已开始"


@bp.post("/orders/<int:order_id>/checklist/<int:item_id>")
@action
def checklist_toggle(order_id: int, item_id: int):
    done = request.form.get("done") == "1"
    order_svc.set_checklist_item(
        session=db_session(), actor=g.actor, order_id=order_id, item_id=item_id, done=done
    )
    return "已勾选" if done else "已取消勾选"
