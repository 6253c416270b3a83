"""The order page's change orders (变更单): a manager approves or rejects one."""

from __future__ import annotations

from flask import g, request

from app.auth import db_session
from app.services import orders as order_svc
from app.web import bp
from app.web.pages import form_action
from models.errors import InvalidInput

action = form_action("web.order")


@bp.app_template_filter("review_value")
def review_value(value) -> str:
    """A reviewed field's value as the page shows it (parameters as 名称：值)."""
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items()) or "—"
    return str(value) if value not in (None, "") else "—"


@bp.post("/orders/<int:order_id>/change-orders/<int:change_id>/<verb>")
@action
def change_order_decide(order_id: int, change_id: int, verb: str):
    if verb not in ("approve", "reject"):
        raise InvalidInput("无效的操作")
    fn = order_svc.approve_change_order if verb == "approve" else order_svc.reject_change_order
    fn(
        session=db_session(),
        actor=g.actor,
        order_id=order_id,
        change_id=change_id,
        note_text=request.form.get("note") or None,
    )
    return "变更单已批准，订单已更新" if verb == "approve" else "变更单已驳回"
