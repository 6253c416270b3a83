"""/api/materials: the material master, barcode aliases and material/lot labels."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, Paging, commit, current_actor, db_session, ok
from app.api.label_files import LabelQuery, png_response
from app.services import procurement as svc
from app.services.procurement import materials_public
from models.materials import (
    AliasCreate,
    AliasPublic,
    MaterialCreate,
    MaterialPage,
    MaterialPublic,
    MaterialUpdate,
)
from models.quantities import QuantityIn

bp = APIBlueprint(
    "api_materials",
    __name__,
    url_prefix="/api/materials",
    abp_tags=[Tag(name="物料")],
    abp_security=SECURITY,
)


class MaterialPath(BaseModel):
    material_id: int


class AliasPath(BaseModel):
    alias_id: int


class MaterialQuery(Paging):
    q: str | None = Field(default=None, max_length=100, description="编码、名称或规格")
    key_only: bool = Field(default=False, description="只看关键物料")


class MaterialLabelQuery(LabelQuery):
    lot: str | None = Field(default=None, max_length=64, description="批次号：打印批次标签")
    quantity: QuantityIn | None = Field(default=None, description="批次数量")
    order_id: int | None = Field(default=None, description="标签绑定的订单")


def _one(session, material) -> MaterialPublic:
    return materials_public(session, [material])[0]


@bp.get("", responses={200: MaterialPage})
def index(query: MaterialQuery):
    """Materials by code, with stock and barcode aliases."""
    actor, session = current_actor(), db_session()
    rows, total = svc.list_materials(
        session=session,
        actor=actor,
        q=query.q,
        key_only=query.key_only,
        page=query.page,
        per_page=query.per_page,
    )
    items = materials_public(session, rows)
    return ok(MaterialPage(items=items, total=total, page=query.page, per_page=query.per_page))


@bp.post("", responses={201: MaterialPublic})
def create(body: MaterialCreate):
    """Add a material (buyers, trackers, warehouse)."""
    actor, session = current_actor(), db_session()
    material = svc.create_material(session=session, actor=actor, data=body)
    commit()
    return ok(_one(session, material), 201)


@bp.get("/<int:material_id>", responses={200: MaterialPublic})
def show(path: MaterialPath):
    """One material."""
    actor, session = current_actor(), db_session()
    material = svc.get_material(session=session, actor=actor, material_id=path.material_id)
    return ok(_one(session, material))


@bp.patch("/<int:material_id>", responses={200: MaterialPublic})
def update(path: MaterialPath, body: MaterialUpdate):
    """Change a material's master data."""
    actor, session = current_actor(), db_session()
    material = svc.update_material(
        session=session, actor=actor, material_id=path.material_id, data=body
    )
    commit()
    return ok(_one(session, material))


@bp.post("/aliases", responses={201: AliasPublic})
def bind(body: AliasCreate):
    """Bind a supplier's barcode (EAN, Code 128, QR text) to a material; then it scans."""
    actor, session = current_actor(), db_session()
    alias = svc.bind_alias(session=session, actor=actor, data=body)
    commit()
    return ok(AliasPublic.model_validate(alias, from_attributes=True), 201)


@bp.delete("/aliases/<int:alias_id>", responses={204: None})
def unbind(path: AliasPath):
    """Remove a barcode binding."""
    actor, session = current_actor(), db_session()
    svc.unbind_alias(session=session, actor=actor, alias_id=path.alias_id)
    commit()
    return ok()


@bp.get("/<int:material_id>/label.png")
def label(path: MaterialPath, query: MaterialLabelQuery):
    """A PNG label for the material (or one lot of it, with `lot`)."""
    actor, session = current_actor(), db_session()
    data = svc.material_label(
        session=session,
        actor=actor,
        material_id=path.material_id,
        symbology=query.symbology,
        lot=query.lot,
        quantity=query.quantity,
        order_id=query.order_id,
    )
    return png_response(data, f"material-{path.material_id}.png")
