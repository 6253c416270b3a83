"""The cost centre page of an order (/orders/<id>/costs): budget against actual, costs entered by
hand, and the payment milestones with the fund view."""

from __future__ import annotations

from flask import g, render_template, request

from app.auth import db_session, login_required
from app.services import finance as svc
from app.services import orders as order_svc
from app.services.core import validated
from app.services.orders import order_public
from app.web import bp
from app.web.pages import form_action
from models.costs import MilestoneUpdate
from models.enums import COST_CATEGORY_NAMES, CostCategory
from models.quantities import yuan

_form_action = form_action("web.order_costs")


@bp.app_template_filter("money")
def money(value) -> str:
    """An amount as 1,234.50 (yuan, two places); a dash when there is none."""
    if value is None:
        return "—"
    return f"{yuan(value):,.2f}"


def _number(value) -> str | None:
    """A Decimal for the chart's JSON, as text (the chart only draws it)."""
    return None if value is None else f"{yuan(value):.2f}"


def _field(name: str) -> str | None:
    value = request.form.get(name, "").strip()
    return value or None


@bp.get("/orders/<int:order_id>/costs")
@login_required
def order_costs(order_id: int):
    s, actor = db_session(), g.actor
    order = order_svc.get_order(session=s, actor=actor, order_id=order_id)
    report = svc.cost_report(session=s, actor=actor, order_id=order_id)
    chart = {
        "names": [c.name for c in report.categories],
        "unit": "元",
        "series": [
            {"name": "预算", "data": [_number(c.budget) for c in report.categories]},
            {"name": "实际", "data": [_number(c.actual) for c in report.categories]},
        ],
    }
    return render_template(
        "costs.html",
        order=order_public(s, order),
        report=report,
        funds=svc.fund_view(session=s, actor=actor, order_id=order_id),
        chart=chart,
        categories=COST_CATEGORY_NAMES,
    )


@bp.post("/orders/<int:order_id>/costs/budget")
@_form_action
def order_costs_budget(order_id: int):
    data = {c.value: _field(c.value) for c in CostCategory if _field(c.value) is not None}
    svc.set_budget(session=db_session(), actor=g.actor, order_id=order_id, data=data)
    return "预算已保存"


@bp.post("/orders/<int:order_id>/costs/entries")
@_form_action
def order_costs_entry(order_id: int):
    data = {
        "category": _field("category") or "other",
        "amount": _field("amount"),
        "description": _field("description") or "",
        "incurred_on": _field("incurred_on"),
    }
    svc.add_cost_entry(session=db_session(), actor=g.actor, order_id=order_id, data=data)
    return "费用已登记"


@bp.post("/orders/<int:order_id>/payments/generate")
@_form_action
def order_payments_generate(order_id: int):
    amount = _field("contract_amount")
    svc.generate_milestones(
        session=db_session(),
        actor=g.actor,
        order_id=order_id,
        contract_amount=svc.money_field(amount, "contract_amount"),
        replace=request.form.get("replace") == "1",
    )
    return "回款节点已生成"


@bp.post("/orders/<int:order_id>/payments/<int:milestone_id>/receipts")
@_form_action
def order_payments_receive(order_id: int, milestone_id: int):
    data = {"amount": _field("amount"), "received_on": _field("received_on")}
    svc.record_payment(
        session=db_session(),
        actor=g.actor,
        order_id=order_id,
        milestone_id=milestone_id,
        data=data,
    )
    return "回款已登记"


@bp.post("/orders/<int:order_id>/payments/<int:milestone_id>/edit")
@_form_action
def order_payments_edit(order_id: int, milestone_id: int):
    data = {"name": _field("name"), "due_date": _field("due_date"), "note": _field("note") or ""}
    svc.update_milestone(
        session=db_session(),
        actor=g.actor,
        order_id=order_id,
        milestone_id=milestone_id,
        data=validated(MilestoneUpdate, {k: v for k, v in data.items() if v is not None}),
    )
    return "回款节点已修改"
