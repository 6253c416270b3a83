"""/api/suppliers: suppliers and their contacts."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services import procurement as svc
from app.services.procurement import suppliers_public
from models.suppliers import ContactIn, SupplierCreate, SupplierPublic, SupplierUpdate

bp = APIBlueprint(
    "api_suppliers",
    __name__,
    url_prefix="/api/suppliers",
    abp_tags=[Tag(name="供应商")],
    abp_security=SECURITY,
)


class SupplierPath(BaseModel):
    supplier_id: int


class ContactPath(SupplierPath):
    contact_id: int


class SupplierQuery(BaseModel):
    q: str | None = Field(default=None, max_length=100)
    include_inactive: bool = False


class SupplierList(BaseModel):
    items: list[SupplierPublic]


def _one(session, supplier) -> SupplierPublic:
    return suppliers_public(session, [supplier])[0]


@bp.get("", responses={200: SupplierList})
def index(query: SupplierQuery):
    """Suppliers by name, with contacts."""
    actor, session = current_actor(), db_session()
    rows = svc.list_suppliers(
        session=session, actor=actor, q=query.q, include_inactive=query.include_inactive
    )
    return ok(SupplierList(items=suppliers_public(session, rows)))


@bp.post("", responses={201: SupplierPublic})
def create(body: SupplierCreate):
    """Add a supplier with its contacts (buyers, trackers)."""
    actor, session = current_actor(), db_session()
    supplier = svc.create_supplier(session=session, actor=actor, data=body)
    commit()
    return ok(_one(session, supplier), 201)


@bp.get("/<int:supplier_id>", responses={200: SupplierPublic})
def show(path: SupplierPath):
    """One supplier."""
    actor, session = current_actor(), db_session()
    return ok(
        _one(session, svc.get_supplier(session=session, actor=actor, supplier_id=path.supplier_id))
    )


@bp.patch("/<int:supplier_id>", responses={200: SupplierPublic})
def update(path: SupplierPath, body: SupplierUpdate):
    """Change a supplier or deactivate it."""
    actor, session = current_actor(), db_session()
    supplier = svc.update_supplier(
        session=session, actor=actor, supplier_id=path.supplier_id, data=body
    )
    commit()
    return ok(_one(session, supplier))


@bp.post("/<int:supplier_id>/contacts", responses={201: SupplierPublic})
def add_contact(path: SupplierPath, body: ContactIn):
    """Add a contact person."""
    actor, session = current_actor(), db_session()
    svc.add_contact(session=session, actor=actor, supplier_id=path.supplier_id, data=body)
    commit()
    supplier = svc.get_supplier(session=session, actor=actor, supplier_id=path.supplier_id)
    return ok(_one(session, supplier), 201)


@bp.delete("/<int:supplier_id>/contacts/<int:contact_id>", responses={204: None})
def remove_contact(path: ContactPath):
    """Remove a contact person."""
    actor, session = current_actor(), db_session()
    svc.remove_contact(
        session=session, actor=actor, supplier_id=path.supplier_id, contact_id=path.contact_id
    )
    commit()
    return ok()
