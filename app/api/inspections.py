"""/api/orders/<id>/inspections and /reworks: finished-goods inspection, defects with photos,
rework after a failed inspection."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel
from sqlmodel import col, select

from app.api.blueprint import APIBlueprint
from app.api.briefs import attached_photos_public, briefs
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import shipping as svc
from models.enums import DEFECT_SEVERITY_NAMES, ReworkStatus
from models.quality import (
    DefectPublic,
    Inspection,
    InspectionCreate,
    InspectionDefect,
    InspectionPublic,
    Rework,
    ReworkDone,
    ReworkPublic,
)

bp = APIBlueprint(
    "api_inspections",
    __name__,
    url_prefix="/api/orders/<int:order_id>",
    abp_tags=[Tag(name="成品检验")],
    abp_security=SECURITY,
)


class InspectionPath(OrderPath):
    inspection_id: int


class ReworkPath(OrderPath):
    rework_id: int


class ReworkQuery(BaseModel):
    status: ReworkStatus | None = None


class InspectionList(BaseModel):
    items: list[InspectionPublic]


class ReworkList(BaseModel):
    items: list[ReworkPublic]


def reworks_public(session, rows: list[Rework]) -> list[ReworkPublic]:
    """Public forms of rework records, with their owners."""
    people = briefs(session, [r.owner_id for r in rows] + [r.done_by_id for r in rows])
    return [
        ReworkPublic.model_validate(
            {**r.model_dump(), "owner": people.get(r.owner_id), "done_by": people.get(r.done_by_id)}
        )
        for r in rows
    ]


def _defects(session, inspection_ids: list[int]) -> dict[int, list[DefectPublic]]:
    rows = list(
        session.exec(
            select(InspectionDefect)
            .where(col(InspectionDefect.inspection_id).in_(inspection_ids))
            .order_by(InspectionDefect.id)
        )
    )
    photos = attached_photos_public(session, "inspection_defect", [d.id for d in rows])
    out: dict[int, list[DefectPublic]] = {i: [] for i in inspection_ids}
    for d in rows:
        out[d.inspection_id].append(
            DefectPublic(
                id=d.id,
                description=d.description,
                severity=d.severity,
                severity_name=DEFECT_SEVERITY_NAMES[d.severity],
                quantity=d.quantity,
                photos=photos[d.id],
            )
        )
    return out


def inspections_public(session, rows: list[Inspection]) -> list[InspectionPublic]:
    """Public forms of inspections with defects, photos, the rework each opened or followed."""
    ids = [i.id for i in rows]
    defects = _defects(session, ids) if ids else {}
    reworks = list(
        session.exec(
            select(Rework).where(
                col(Rework.inspection_id).in_(ids) | col(Rework.reinspection_id).in_(ids)
            )
        )
    )
    opened = {
        r.inspection_id: p for r, p in zip(reworks, reworks_public(session, reworks), strict=True)
    }
    followed = {r.reinspection_id: r.id for r in reworks if r.reinspection_id is not None}
    people = briefs(session, [i.inspector_id for i in rows] + [i.recorded_by_id for i in rows])
    return [
        InspectionPublic.model_validate(
            {
                **i.model_dump(),
                "inspector": people.get(i.inspector_id),
                "recorded_by": people.get(i.recorded_by_id),
                "defects": defects.get(i.id, []),
                "rework": opened.get(i.id),
                "reinspects_rework_id": followed.get(i.id),
            }
        )
        for i in rows
    ]


@bp.get("/inspections", responses={200: InspectionList})
def index(path: OrderPath):
    """The order's inspections, latest first."""
    actor, session = current_actor(), db_session()
    rows = svc.list_inspections(session=session, actor=actor, order_id=path.order_id)
    return ok(InspectionList(items=inspections_public(session, rows)))


@bp.post("/inspections", responses={201: InspectionPublic})
def create(path: OrderPath, body: InspectionCreate):
    """Record an inspection (quality members); a failed one must name its rework."""
    actor, session = current_actor(), db_session()
    row = svc.record_inspection(session=session, actor=actor, order_id=path.order_id, data=body)
    commit()
    return ok(inspections_public(session, [row])[0], 201)


@bp.get("/inspections/<int:inspection_id>", responses={200: InspectionPublic})
def show(path: InspectionPath):
    """One inspection with its defects and photos."""
    actor, session = current_actor(), db_session()
    row = svc.get_inspection(
        session=session, actor=actor, order_id=path.order_id, inspection_id=path.inspection_id
    )
    return ok(inspections_public(session, [row])[0])


@bp.get("/reworks", responses={200: ReworkList})
def reworks(path: OrderPath, query: ReworkQuery):
    """The order's rework, by due date."""
    actor, session = current_actor(), db_session()
    rows = svc.list_reworks(
        session=session, actor=actor, order_id=path.order_id, status=query.status
    )
    return ok(ReworkList(items=reworks_public(session, rows)))


@bp.post("/reworks/<int:rework_id>/done", responses={200: ReworkPublic})
def rework_done(path: ReworkPath, body: ReworkDone):
    """Mark rework done; the lot is then re-inspected."""
    actor, session = current_actor(), db_session()
    row = svc.complete_rework(
        session=session,
        actor=actor,
        order_id=path.order_id,
        rework_id=path.rework_id,
        note=body.note,
    )
    commit()
    return ok(reworks_public(session, [row])[0])
