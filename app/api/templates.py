"""/api/checklist-templates: the SOP checklist each new order's stages start with."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services import orders as svc
from models.enums import StageKind
from models.stages import ChecklistTemplateIn, ChecklistTemplatePublic

bp = APIBlueprint(
    "api_templates",
    __name__,
    url_prefix="/api/checklist-templates",
    abp_tags=[Tag(name="检查清单模板")],
    abp_security=SECURITY,
)


class TemplateQuery(BaseModel):
    stage_kind: StageKind | None = None


class TemplatePath(BaseModel):
    template_id: int


class ChecklistTemplateList(BaseModel):
    items: list[ChecklistTemplatePublic]


def _public(item) -> ChecklistTemplatePublic:
    return ChecklistTemplatePublic.model_validate(item, from_attributes=True)


@bp.get("", responses={200: ChecklistTemplateList})
def index(query: TemplateQuery):
    """Active checklist template items."""
    current_actor()
    items = svc.list_templates(session=db_session(), kind=query.stage_kind)
    return ok(ChecklistTemplateList(items=[_public(i) for i in items]))


@bp.post("", responses={201: ChecklistTemplatePublic})
def create(body: ChecklistTemplateIn):
    """Add a template item (admins)."""
    actor, session = current_actor(), db_session()
    item = svc.add_template(session=session, actor=actor, data=body)
    commit()
    return ok(_public(item), 201)


@bp.delete("/<int:template_id>", responses={204: None})
def retire(path: TemplatePath):
    """Retire a template item (admins); orders that have it keep it."""
    actor, session = current_actor(), db_session()
    svc.retire_template(session=session, actor=actor, template_id=path.template_id)
    commit()
    return ok()
