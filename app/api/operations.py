"""/api/operation-templates and /api/orders/<id>/operations: the production plan of an order."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import production as svc
from app.services.production import upstream_of
from models.production import (
    Operation,
    OperationBlock,
    OperationCreate,
    OperationPublic,
    OperationsFromTemplates,
    OperationTemplate,
    OperationTemplateIn,
    OperationTemplatePublic,
    OperationTemplateUpdate,
    OperationUpdate,
)

TAG = Tag(name="生产工序")
template_bp = APIBlueprint(
    "api_operation_templates",
    __name__,
    url_prefix="/api/operation-templates",
    abp_tags=[TAG],
    abp_security=SECURITY,
)
bp = APIBlueprint(
    "api_operations",
    __name__,
    url_prefix="/api/orders/<int:order_id>/operations",
    abp_tags=[TAG],
    abp_security=SECURITY,
)


class TemplatePath(BaseModel):
    template_id: int


class OperationPath(OrderPath):
    operation_id: int


class OperationTemplateList(BaseModel):
    items: list[OperationTemplatePublic]


class OperationList(BaseModel):
    items: list[OperationPublic]


def _template(t: OperationTemplate) -> OperationTemplatePublic:
    return OperationTemplatePublic.model_validate(t, from_attributes=True)


def operations_public(session, order_id: int, ops: list[Operation]) -> list[OperationPublic]:
    """Public forms of an order's operations, with the operations feeding each."""
    upstream = upstream_of(session=session, order_id=order_id)
    return [
        OperationPublic.model_validate(
            {**op.model_dump(), "depends_on": upstream.get(op.id, [])}, from_attributes=True
        )
        for op in ops
    ]


@template_bp.get("", responses={200: OperationTemplateList})
def template_index():
    """Active operation templates in their default sequence."""
    current_actor()
    items = svc.list_operation_templates(session=db_session())
    return ok(OperationTemplateList(items=[_template(t) for t in items]))


@template_bp.post("", responses={201: OperationTemplatePublic})
def template_create(body: OperationTemplateIn):
    """Add an operation template (admins)."""
    actor, session = current_actor(), db_session()
    item = svc.add_operation_template(session=session, actor=actor, data=body)
    commit()
    return ok(_template(item), 201)


@template_bp.patch("/<int:template_id>", responses={200: OperationTemplatePublic})
def template_update(path: TemplatePath, body: OperationTemplateUpdate):
    """Change an operation template (admins); cycles are refused."""
    actor, session = current_actor(), db_session()
    item = svc.update_operation_template(
        session=session, actor=actor, template_id=path.template_id, data=body
    )
    commit()
    return ok(_template(item))


@template_bp.delete("/<int:template_id>", responses={204: None})
def template_retire(path: TemplatePath):
    """Retire an operation template (admins); orders keep their operations."""
    actor, session = current_actor(), db_session()
    svc.retire_operation_template(session=session, actor=actor, template_id=path.template_id)
    commit()
    return ok()


@bp.get("", responses={200: OperationList})
def index(path: OrderPath):
    """The order's operations in sequence, each with the operations that feed it."""
    actor, session = current_actor(), db_session()
    ops = svc.list_operations(session=session, actor=actor, order_id=path.order_id)
    return ok(OperationList(items=operations_public(session, path.order_id, ops)))


@bp.post("", responses={201: OperationPublic})
def create(path: OrderPath, body: OperationCreate):
    """Add an operation (production lead, tracker); a dependency cycle is refused."""
    actor, session = current_actor(), db_session()
    op = svc.create_operation(session=session, actor=actor, order_id=path.order_id, data=body)
    commit()
    return ok(operations_public(session, path.order_id, [op])[0], 201)


@bp.post("/from-templates", responses={201: OperationList})
def from_templates(path: OrderPath, body: OperationsFromTemplates):
    """Plan an order that has no operations yet from the operation templates."""
    actor, session = current_actor(), db_session()
    ops = svc.apply_operation_templates(
        session=session, actor=actor, order_id=path.order_id, data=body
    )
    commit()
    return ok(OperationList(items=operations_public(session, path.order_id, ops)), 201)


@bp.patch("/<int:operation_id>", responses={200: OperationPublic})
def update(path: OperationPath, body: OperationUpdate):
    """Change an operation's plan or the operations that feed it."""
    actor, session = current_actor(), db_session()
    op = svc.update_operation(
        session=session,
        actor=actor,
        order_id=path.order_id,
        operation_id=path.operation_id,
        data=body,
    )
    commit()
    return ok(operations_public(session, path.order_id, [op])[0])


@bp.delete("/<int:operation_id>", responses={204: None})
def delete(path: OperationPath):
    """Remove an operation that has no output reported."""
    actor, session = current_actor(), db_session()
    svc.delete_operation(
        session=session, actor=actor, order_id=path.order_id, operation_id=path.operation_id
    )
    commit()
    return ok()


@bp.post("/<int:operation_id>/block", responses={200: OperationPublic})
def block(path: OperationPath, body: OperationBlock):
    """Mark an operation blocked with a reason, or clear the mark."""
    actor, session = current_actor(), db_session()
    op = svc.set_operation_blocked(
        session=session,
        actor=actor,
        order_id=path.order_id,
        operation_id=path.operation_id,
        blocked=body.blocked,
        reason=body.reason,
    )
    commit()
    return ok(operations_public(session, path.order_id, [op])[0])
