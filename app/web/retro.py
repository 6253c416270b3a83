"""The retrospective page of an order (/orders/<id>/retro), after acceptance."""

from __future__ import annotations

from flask import g, render_template, request

from app.auth import db_session, login_required
from app.services import insight as svc
from app.services import orders as order_svc
from app.services.orders import order_public
from app.web import bp
from app.web.pages import form_action
from models.enums import FEEDBACK_SOURCE_NAMES, STAGE_NAMES
from models.errors import Conflict

_retro_action = form_action("web.order_retro")


def _chart(draft: dict) -> dict:
    suppliers = [s for s in draft["suppliers"] if s["on_time_rate"] is not None]
    return {
        "names": [s["name"] for s in suppliers],
        "unit": "%",
        "series": [{"name": "准时率", "data": [s["on_time_rate"] for s in suppliers]}],
    }


@bp.get("/orders/<int:order_id>/retro")
@login_required
def order_retro(order_id: int):
    s, actor = db_session(), g.actor
    order = order_public(s, order_svc.get_order(session=s, actor=actor, order_id=order_id))
    try:
        retro = svc.get_retro(session=s, actor=actor, order_id=order_id)
    except Conflict as exc:
        return render_template("retro.html", order=order, refused=exc.message), 409
    return render_template(
        "retro.html",
        order=order,
        retro=retro,
        draft=retro.draft,
        chart=_chart(retro.draft),
        sources=FEEDBACK_SOURCE_NAMES,
        stages=STAGE_NAMES,
        refused=None,
    )


def _form(*names: str) -> dict:
    return {n: request.form.get(n, "").strip() for n in names if request.form.get(n, "").strip()}


@bp.post("/orders/<int:order_id>/retro/draft")
@_retro_action
def order_retro_save(order_id: int):
    svc.save_draft(
        session=db_session(),
        actor=g.actor,
        order_id=order_id,
        conclusion=request.form.get("conclusion", ""),
    )
    return "复盘已保存"


@bp.post("/orders/<int:order_id>/retro/feedback")
@_retro_action
def order_retro_feedback(order_id: int):
    data = _form("source", "content", "speaker", "supplier_id", "rating")
    svc.add_feedback(session=db_session(), actor=g.actor, order_id=order_id, data=data)
    return "反馈已登记"


@bp.post("/orders/<int:order_id>/retro/improvements")
@_retro_action
def order_retro_improvement(order_id: int):
    data = _form("title", "stage_kind")
    data["required"] = request.form.get("required") == "1"
    svc.add_improvement(session=db_session(), actor=g.actor, order_id=order_id, data=data)
    return "改进项已添加"


@bp.post("/orders/<int:order_id>/retro/improvements/<int:improvement_id>/adopt")
@_retro_action
def order_retro_adopt(order_id: int, improvement_id: int):
    svc.adopt_improvement(
        session=db_session(), actor=g.actor, order_id=order_id, improvement_id=improvement_id
    )
    return "已加入检查清单模板，新订单将带上此项"
