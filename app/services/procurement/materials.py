"""The material master (物料): create, change, find by code, and bind suppliers' barcodes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from app.services.core import Actor, acts
from app.services.procurement.errors import (
    MaterialNotFound,
    SupplierNotFound,
    TooManyPlaces,
    places_rule,
)
from app.services.procurement.scans.codes import alias_form
from models.base import utcnow
from models.bom import BomLine
from models.enums import ROLE_NAMES, Role
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.materials import (
    AliasCreate,
    Material,
    MaterialAlias,
    MaterialCreate,
    MaterialUpdate,
    default_places,
)
from models.purchasing import PurchaseLine
from models.quantities import QUANTITY_PLACES
from models.suppliers import Supplier
from scanning.payload import PlainCode, parse_payload

# Who may do what with procurement data, besides admins (roles from permissions.STAGE_ROLES).
# The catalogue (materials, suppliers, any barcode alias) is shared by every order, so changing
# it is the buyers' job; scanners may add aliases and remove only the ones they added.
CATALOGUE_ROLES = frozenset({Role.buyer})
PURCHASERS = frozenset({Role.buyer, Role.tracker})
SCANNERS = frozenset({Role.warehouse, Role.buyer, Role.tracker})


def require_role(actor: Actor, roles: frozenset[Role], action: str) -> None:
    """Refuse unless the actor is an admin or holds one of the roles globally."""
    if actor.is_admin or actor.has(*roles):
        return
    names = "、".join(sorted(ROLE_NAMES[r] for r in roles))
    raise Forbidden(f"只有{names}可以{action}", code="forbidden_role")


def require_staff(actor: Actor) -> None:
    """Master data is for the company's staff, not for customers."""
    if actor.is_admin or actor.roles - {Role.customer}:
        return
    raise Forbidden("没有权限查看物料和供应商资料")


def check_suppliers(session: Session, *supplier_ids: int | None) -> None:
    """Every given supplier id exists."""
    for supplier_id in supplier_ids:
        if supplier_id is not None and session.get(Supplier, supplier_id) is None:
            raise SupplierNotFound()


def find_material(session: Session, code: str, *, lock: bool = False) -> Material | None:
    """The material with this code: exact, else ignoring case. `lock`: its row locked for
    the transaction (FOR NO KEY UPDATE on PostgreSQL) and read afresh, as a receipt locks it."""
    by_code, by_upper = _LOCKED if lock else _UNLOCKED
    material = session.exec(by_code, params={"code": code}).first()
    if material is None:
        material = session.exec(by_upper, params={"code": code.upper()}).first()
    return material


def _locked(statement):
    return statement.with_for_update(key_share=True).execution_options(populate_existing=True)


# Built once (a scan resolves its code with them): bound parameters, not a new statement.
_BY_CODE = select(Material).where(Material.code == bindparam("code"))
_BY_UPPER_CODE = select(Material).where(func.upper(Material.code) == bindparam("code"))
_UNLOCKED = (_BY_CODE, _BY_UPPER_CODE)
_LOCKED = (_locked(_BY_CODE), _locked(_BY_UPPER_CODE))


def check_places(material: Material, quantity: Decimal | None, field: str = "quantity") -> None:
    """Refuse a quantity finer than the material's unit allows: 2.5 件 is no quantity."""
    if quantity is None:
        return
    step = Decimal(1).scaleb(-material.quantity_places)
    if quantity != quantity.quantize(step):
        raise TooManyPlaces(material.unit, material.quantity_places, field=field)


def load_material(session: Session, material_id: int) -> Material:
    material = session.get(Material, material_id)
    if material is None:
        raise MaterialNotFound()
    return material


@acts
def create_material(
    *, session: Session, actor: Actor, data: MaterialCreate, now: datetime | None = None
) -> Material:
    """Add a material to the master; codes are unique whatever their case."""
    require_role(actor, CATALOGUE_ROLES, "维护物料")
    if find_material(session, data.code) is not None:
        raise Conflict(f"物料编码 {data.code} 已存在", code="duplicate")
    check_suppliers(session, data.preferred_supplier_id, data.backup_supplier_id)
    now = now or utcnow()
    places = data.quantity_places
    material = Material(
        **data.model_dump(exclude={"quantity_places"}),
        quantity_places=default_places(data.unit) if places is None else places,
        created_at=now,
        updated_at=now,
    )
    session.add(material)
    session.flush()
    return material


@acts
def update_material(
    *,
    session: Session,
    actor: Actor,
    material_id: int,
    data: MaterialUpdate,
    now: datetime | None = None,
) -> Material:
    """Change a material's master data (logged field by field)."""
    require_role(actor, CATALOGUE_ROLES, "维护物料")
    material = load_material(session, material_id)
    fields = data.model_dump(exclude_unset=True)
    check_suppliers(session, fields.get("preferred_supplier_id"), fields.get("backup_supplier_id"))
    # Places not given with a new unit, or given as null: the unit's default.
    unit = fields.get("unit", material.unit)
    if fields.get("quantity_places", 0) is None or (
        "quantity_places" not in fields and unit != material.unit
    ):
        fields["quantity_places"] = default_places(unit)
    places = fields.get("quantity_places", material.quantity_places)
    if places < material.quantity_places:
        _refuse_finer_in_use(session, material, unit, places)
    for key, value in fields.items():
        setattr(material, key, value)
    material.updated_at = now or utcnow()
    session.add(material)
    session.flush()
    return material


def _refuse_finer_in_use(session: Session, material: Material, unit: str, places: int) -> None:
    """Fewer places only when no stock, BOM line or purchase line of the material has more."""
    step = 10 ** (QUANTITY_PLACES - places)

    def finer(column):  # stored as whole thousandths
        return sa.type_coerce(column, sa.BigInteger) % step != 0

    queries = [
        select(BomLine.id).where(
            BomLine.material_id == material.id,
            or_(finer(BomLine.needed), finer(BomLine.received), finer(BomLine.issued)),
        ),
        select(PurchaseLine.id)
        .join(BomLine, BomLine.id == PurchaseLine.bom_line_id)
        .where(
            BomLine.material_id == material.id,
            or_(finer(PurchaseLine.quantity), finer(PurchaseLine.received)),
        ),
    ]
    in_use = material.stock != material.stock.quantize(Decimal(1).scaleb(-places)) or any(
        session.exec(query.limit(1)).first() is not None for query in queries
    )
    if in_use:
        raise InvalidInput(
            f"{places_rule(unit, places)}；该物料的库存、BOM 或采购数量已有更多小数位，"
            "请先修正这些数量",
            code="quantity_places_in_use",
            field="quantity_places",
        )


def get_material(*, session: Session, actor: Actor, material_id: int) -> Material:
    """One material."""
    require_staff(actor)
    return load_material(session, material_id)


def list_materials(
    *,
    session: Session,
    actor: Actor,
    q: str | None = None,
    key_only: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Material], int]:
    """Materials by code, filtered by text (code, name, spec) and key flag."""
    require_staff(actor)
    query = select(Material)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(
            or_(
                col(Material.code).ilike(like),
                col(Material.name).ilike(like),
                col(Material.spec).ilike(like),
            )
        )
    if key_only:
        query = query.where(Material.is_key)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(Material.code).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def aliases_of(session: Session, material_ids: list[int]) -> dict[int, list[MaterialAlias]]:
    """The barcode aliases of several materials."""
    out: dict[int, list[MaterialAlias]] = {i: [] for i in material_ids}
    if material_ids:
        query = select(MaterialAlias).where(col(MaterialAlias.material_id).in_(material_ids))
        for alias in session.exec(query.order_by(MaterialAlias.id)):
            out[alias.material_id].append(alias)
    return out


def find_alias(session: Session, codes: list[str]) -> MaterialAlias | None:
    """The alias bound to the first of these code forms that has one."""
    for code in codes:
        alias = session.exec(select(MaterialAlias).where(MaterialAlias.code == code)).first()
        if alias is not None:
            return alias
    return None


@acts
def bind_alias(
    *, session: Session, actor: Actor, data: AliasCreate, now: datetime | None = None
) -> MaterialAlias:
    """Bind a supplier's barcode to a material; binding the same pair again changes nothing."""
    require_role(actor, SCANNERS | CATALOGUE_ROLES, "绑定条码")
    material = load_material(session, data.material_id)
    check_suppliers(session, data.supplier_id)
    payload = parse_payload(data.code)
    if not isinstance(payload, PlainCode):
        raise InvalidInput("本系统打印的标签无需绑定，直接扫码即可", code="label_not_bindable")
    code = alias_form(payload.text, data.symbology)
    if find_material(session, code) is not None:
        raise Conflict("该条码就是一个物料编码，无需绑定", code="alias_is_material_code")
    existing = find_alias(session, [code])
    if existing is not None:
        if existing.material_id == material.id:
            return existing
        other = session.get(Material, existing.material_id)
        raise Conflict(
            f"该条码已绑定到物料 {other.code} {other.name}，请先解除绑定",
            code="alias_taken",
            material_id=other.id,
        )
    alias = MaterialAlias(
        code=code,
        material_id=material.id,
        symbology=data.symbology,
        supplier_id=data.supplier_id,
        created_by_id=actor.id,
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(alias)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("该条码刚被绑定到其他物料，请刷新后重试", code="alias_taken") from exc
    return alias


@acts
def unbind_alias(*, session: Session, actor: Actor, alias_id: int) -> None:
    """Remove a barcode alias: buyers and admins any, scanners only the ones they bound."""
    require_role(actor, SCANNERS | CATALOGUE_ROLES, "解除条码绑定")
    alias = session.get(MaterialAlias, alias_id)
    if alias is None:
        raise NotFound("条码绑定不存在", code="alias_not_found")
    if not (actor.is_admin or actor.has(*CATALOGUE_ROLES) or alias.created_by_id == actor.id):
        raise Forbidden(
            "只能解除自己绑定的条码，其他条码请联系采购或管理员", code="alias_not_yours"
        )
    session.delete(alias)
    session.flush()
