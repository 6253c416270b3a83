"""SOP checklist templates per stage, which new orders copy (admins edit them)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.services.core import Actor, acts
from models.enums import StageKind
from models.errors import Forbidden, NotFound
from models.stages import ChecklistTemplate, ChecklistTemplateIn


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("只有管理员可以修改检查清单模板")


def list_templates(*, session: Session, kind: StageKind | None = None) -> list[ChecklistTemplate]:
    """Active template items, by stage and position."""
    query = select(ChecklistTemplate).where(ChecklistTemplate.active)
    if kind is not None:
        query = query.where(ChecklistTemplate.stage_kind == kind)
    return list(
        session.exec(
            query.order_by(
                ChecklistTemplate.stage_kind, ChecklistTemplate.position, ChecklistTemplate.id
            )
        )
    )


@acts
def add_template(*, session: Session, actor: Actor, data: ChecklistTemplateIn) -> ChecklistTemplate:
    """Add an item to a stage's SOP checklist template (for orders created from now on)."""
    _require_admin(actor)
    item = ChecklistTemplate(**data.model_dump())
    session.add(item)
    session.flush()
    return item


@acts
def retire_template(*, session: Session, actor: Actor, template_id: int) -> ChecklistTemplate:
    """Stop copying an item into new orders; existing orders keep theirs."""
    _require_admin(actor)
    item = session.get(ChecklistTemplate, template_id)
    if item is None or not item.active:
        raise NotFound("检查清单模板项不存在")
    item.active = False
    session.add(item)
    session.flush()
    return item
