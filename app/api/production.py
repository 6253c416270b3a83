"""/api/orders/<id>/...: daily output per operation, plan vs actual with the bottleneck, the
Kanban board and the Gantt bars."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.briefs import briefs
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import production as svc
from models.inputs import Day
from models.production import OperationOutput, OutputIn, OutputPublic
from models.production_views import Gantt, Kanban, ProductionOverview

bp = APIBlueprint(
    "api_production",
    __name__,
    url_prefix="/api/orders/<int:order_id>",
    abp_tags=[Tag(name="生产进度")],
    abp_security=SECURITY,
)


class OperationPath(OrderPath):
    operation_id: int


class OutputQuery(BaseModel):
    operation_id: int | None = None
    day: Day | None = None


class DayQuery(BaseModel):
    day: Day | None = Field(default=None, description="统计日期（含当日），缺省为今天")


class OutputList(BaseModel):
    items: list[OutputPublic]


def outputs_public(session, rows: list[OperationOutput]) -> list[OutputPublic]:
    """Public forms of output reports, with their reporters."""
    people = briefs(session, [r.reporter_id for r in rows])
    return [
        OutputPublic.model_validate({**r.model_dump(), "reporter": people.get(r.reporter_id)})
        for r in rows
    ]


@bp.post("/operations/<int:operation_id>/outputs", responses={200: OutputPublic})
def report(path: OperationPath, body: OutputIn):
    """Report an operation's output for a day; reporting the same day again corrects it."""
    actor, session = current_actor(), db_session()
    row = svc.report_output(
        session=session,
        actor=actor,
        order_id=path.order_id,
        operation_id=path.operation_id,
        day=body.day,
        quantity=body.quantity,
        note=body.note,
    )
    commit()
    return ok(outputs_public(session, [row])[0])


@bp.get("/outputs", responses={200: OutputList})
def index(path: OrderPath, query: OutputQuery):
    """The order's output reports, newest day first (filter by operation and/or day)."""
    actor, session = current_actor(), db_session()
    rows = svc.list_outputs(
        session=session,
        actor=actor,
        order_id=path.order_id,
        operation_id=query.operation_id,
        day=query.day,
    )
    return ok(OutputList(items=outputs_public(session, rows)))


@bp.get("/production/overview", responses={200: ProductionOverview})
def overview(path: OrderPath, query: DayQuery):
    """Plan vs actual per operation (per day and cumulative) and the computed bottleneck."""
    actor, session = current_actor(), db_session()
    return ok(
        svc.production_overview(session=session, actor=actor, order_id=path.order_id, day=query.day)
    )


@bp.get("/production/kanban", responses={200: Kanban})
def kanban(path: OrderPath, query: DayQuery):
    """The operations in the columns not started / in progress / blocked / done."""
    actor, session = current_actor(), db_session()
    return ok(svc.kanban(session=session, actor=actor, order_id=path.order_id, day=query.day))


@bp.get("/production/gantt", responses={200: Gantt})
def gantt(path: OrderPath, query: DayQuery):
    """Planned and actual bars of the order's stages and operations."""
    actor, session = current_actor(), db_session()
    return ok(svc.gantt(session=session, actor=actor, order_id=path.order_id, day=query.day))
