"""The contingency plan library (应急预案库) as pages: every signed-in user reads it (the
warnings point to it); admins, whom the service lets keep it, edit a plan's title, summary and
steps (one step a line, 「角色：要做的事」 names who does it)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from app.auth import commit, db_session, login_required
from app.services.core import validated
from app.services.risk import get_plan, list_plans, plan_public, update_plan
from app.web import bp
from models.contingency import PlanUpdate
from models.enums import ROLE_NAMES
from models.errors import DomainError, InvalidInput, NotFound

ROLE_BY_NAME = {name: role for role, name in ROLE_NAMES.items()}
TITLE_CHARS, SUMMARY_CHARS, STEP_CHARS = 100, 500, 200  # as models.contingency allows


def _load(plan_id: int):
    plan = get_plan(session=db_session(), plan_id=plan_id)
    if plan is None:
        raise NotFound("应急预案不存在", code="plan_not_found")
    return plan


def steps_text(plan) -> str:
    """A plan's steps as the edit box shows them."""
    return "\n".join(f"{s.role_name}：{s.action}" if s.role_name else s.action for s in plan.steps)


def parse_steps(text: str) -> list[dict]:
    """Steps from the edit box: one a line, an optional known role name before 「：」."""
    steps = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        head, sep, rest = line.partition("：")
        if sep and head.strip() in ROLE_BY_NAME:
            steps.append({"action": rest.strip(), "role": ROLE_BY_NAME[head.strip()]})
        else:
            steps.append({"action": line, "role": None})
    if not steps:
        raise InvalidInput("至少要有一个步骤", field="steps")
    for n, step in enumerate(steps, start=1):
        if not step["action"] or len(step["action"]) > STEP_CHARS:
            raise InvalidInput(f"第 {n} 步要写明要做的事，最多 {STEP_CHARS} 字", field="steps")
    return steps


def _form() -> dict:
    """The edit form as PlanUpdate values, each field checked in the words of the page."""
    title, summary = request.form.get("title", "").strip(), request.form.get("summary", "").strip()
    if not title or len(title) > TITLE_CHARS:
        raise InvalidInput(f"标题不能为空，最多 {TITLE_CHARS} 字", field="title")
    if len(summary) > SUMMARY_CHARS:
        raise InvalidInput(f"说明最多 {SUMMARY_CHARS} 字", field="summary")
    return {"title": title, "summary": summary, "steps": parse_steps(request.form.get("steps", ""))}


@bp.get("/contingency")
@login_required
def contingency():
    s = db_session()
    plans = [plan_public(s, p) for p in list_plans(session=s)]
    return render_template("contingency.html", plans=plans)


@bp.get("/contingency/<int:plan_id>")
@login_required
def contingency_plan(plan_id: int):
    plan = plan_public(db_session(), _load(plan_id))
    return render_template(
        "contingency_plan.html", plan=plan, steps_text=steps_text(plan), form=None
    )


@bp.post("/contingency/<int:plan_id>")
@login_required
def contingency_edit(plan_id: int):
    s = db_session()
    plan = _load(plan_id)
    try:
        data = validated(PlanUpdate, _form())
        update_plan(session=s, actor=g.actor, plan_id=plan_id, data=data)
        commit()
        flash("应急预案已保存", "ok")
    except DomainError as exc:
        s.rollback()
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        page = render_template(
            "contingency_plan.html",
            plan=plan_public(s, plan),
            steps_text=request.form.get("steps", ""),
            form=request.form,
        )
        return page, exc.status
    return redirect(url_for("web.contingency_plan", plan_id=plan_id))
