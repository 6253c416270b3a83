"""/api/orders/<id>/stages: plan, start, close and reopen stages; tick checklist items."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import orders as svc
from app.services.core import load_order
from app.services.orders import stage_public
from models.enums import StageKind
from models.stages import (
    ChecklistItemIn,
    ChecklistItemUpdate,
    StagePublic,
    StageReopen,
    StageStart,
    StageUpdate,
)

bp = APIBlueprint(
    "api_stages",
    __name__,
    url_prefix="/api/orders/<int:order_id>",
    abp_tags=[Tag(name="阶段")],
    abp_security=SECURITY,
)


class StagePath(OrderPath):
    kind: StageKind


class ItemPath(OrderPath):
    item_id: int


class StageList(BaseModel):
    items: list[StagePublic]


def _stage(session, order_id: int, kind: StageKind) -> StagePublic:
    stage = next(s for s in svc.list_stages(session=session, order_id=order_id) if s.kind == kind)
    return stage_public(session, stage)


@bp.get("/stages", responses={200: StageList})
def index(path: OrderPath):
    """The order's five stages with their checklists."""
    actor, session = current_actor(), db_session()
    load_order(session, actor, path.order_id)
    stages = svc.list_stages(session=session, order_id=path.order_id)
    return ok(StageList(items=[stage_public(session, s) for s in stages]))


@bp.patch("/stages/<kind>", responses={200: StagePublic})
def update(path: StagePath, body: StageUpdate):
    """Change planned dates or the reported progress of a stage."""
    actor, session = current_actor(), db_session()
    svc.update_stage(
        session=session, actor=actor, order_id=path.order_id, kind=path.kind, data=body
    )
    commit()
    return ok(_stage(session, path.order_id, path.kind))


@bp.post("/stages/<kind>/start", responses={200: StagePublic})
def start(path: StagePath, body: StageStart):
    """Start a stage once the one before it is done; a manager may start it early with a
    reason (`{"reason": "..."}`)."""
    actor, session = current_actor(), db_session()
    svc.start_stage(
        session=session, actor=actor, order_id=path.order_id, kind=path.kind, reason=body.reason
    )
    commit()
    return ok(_stage(session, path.order_id, path.kind))


@bp.post("/stages/<kind>/close", responses={200: StagePublic})
def close(path: StagePath):
    """Close a stage after the ones before it; refused while required checklist items are open
    (derived items by what the records say); the acceptance stage closes only by acceptance."""
    actor, session = current_actor(), db_session()
    svc.close_stage(session=session, actor=actor, order_id=path.order_id, kind=path.kind)
    commit()
    return ok(_stage(session, path.order_id, path.kind))


@bp.post("/stages/<kind>/reopen", responses={200: StagePublic})
def reopen(path: StagePath, body: StageReopen):
    """Reopen a closed stage with a reason."""
    actor, session = current_actor(), db_session()
    svc.reopen_stage(
        session=session, actor=actor, order_id=path.order_id, kind=path.kind, reason=body.reason
    )
    commit()
    return ok(_stage(session, path.order_id, path.kind))


@bp.post("/stages/<kind>/checklist", responses={201: StagePublic})
def add_item(path: StagePath, body: ChecklistItemIn):
    """Add an order-specific checklist item to a stage."""
    actor, session = current_actor(), db_session()
    svc.add_checklist_item(
        session=session,
        actor=actor,
        order_id=path.order_id,
        kind=path.kind,
        title=body.title,
        required=body.required,
    )
    commit()
    return ok(_stage(session, path.order_id, path.kind), 201)


@bp.patch("/checklist/<int:item_id>", responses={200: StagePublic})
def set_item(path: ItemPath, body: ChecklistItemUpdate):
    """Tick or untick a checklist item."""
    actor, session = current_actor(), db_session()
    item = svc.set_checklist_item(
        session=session,
        actor=actor,
        order_id=path.order_id,
        item_id=path.item_id,
        done=body.done,
        note_text=body.note,
    )
    commit()
    stage = next(
        s for s in svc.list_stages(session=session, order_id=path.order_id) if s.id == item.stage_id
    )
    return ok(stage_public(session, stage))
