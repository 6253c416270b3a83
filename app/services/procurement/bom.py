"""An order's BOM lines: add, change, remove, list; and what they say about the order.

An order lists each material once. The procurement stage's progress is derived from the BOM
(orders/progress.py): the mean over lines of the received share of the needed quantity
(each line counts the same, whatever its unit), recomputed whenever a line or a receipt changes.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, and_, case, cast
from sqlmodel import Session, col, func, select

from app.services.core import Actor, acts, load_order, require_order_role
from app.services.orders import (
    check_source,
    progress_source,
    refresh_derived_progress,
    refuse_closed,
)
from app.services.procurement.errors import BomLineNotFound
from app.services.procurement.materials import PURCHASERS, check_places, load_material
from models.base import utcnow
from models.bom import BomLine, BomLineCreate, BomLineUpdate
from models.enums import StageKind
from models.errors import Conflict
from models.materials import Material
from models.orders import Order
from models.purchasing import PurchaseLine
from models.scans import KeyMaterials
from models.stages import Stage


def editable_order(session: Session, actor: Actor, order_id: int, action: str) -> Order:
    """The order, locked, if it is open and the actor buys or tracks for it."""
    order = load_order(session, actor, order_id, for_update=True)
    require_order_role(session, actor, order, set(PURCHASERS), action)
    refuse_closed(order)
    return order


def load_line(session: Session, order_id: int, line_id: int) -> BomLine:
    line = session.get(BomLine, line_id)
    if line is None or line.order_id != order_id:
        raise BomLineNotFound()
    return line


def line_for_material(session: Session, order_id: int, material_id: int) -> BomLine | None:
    """The order's BOM line for a material, if it has one."""
    query = select(BomLine).where(BomLine.order_id == order_id, BomLine.material_id == material_id)
    return session.exec(query).first()


@acts
def add_bom_line(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: BomLineCreate,
    now: datetime | None = None,
) -> BomLine:
    """Add a material to the order's BOM."""
    editable_order(session, actor, order_id, "维护 BOM")
    material = load_material(session, data.material_id)
    check_places(material, data.needed, "needed")
    if line_for_material(session, order_id, material.id) is not None:
        raise Conflict(f"BOM 中已有物料 {material.code}，请修改该行", code="duplicate")
    now = now or utcnow()
    last = session.exec(select(func.max(BomLine.position)).where(BomLine.order_id == order_id))
    line = BomLine(
        **data.model_dump(),
        order_id=order_id,
        position=(last.one() or 0) + 1,
        created_at=now,
        updated_at=now,
    )
    session.add(line)
    session.flush()
    refresh_procurement_progress(session, order_id)
    return line


@acts
def update_bom_line(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    line_id: int,
    data: BomLineUpdate,
    now: datetime | None = None,
) -> BomLine:
    """Change a BOM line's quantity, need date, warning days or note (logged)."""
    editable_order(session, actor, order_id, "维护 BOM")
    line = load_line(session, order_id, line_id)
    check_places(load_material(session, line.material_id), data.needed, "needed")
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is not None or key == "warning_days":
            setattr(line, key, value)
    line.updated_at = now or utcnow()
    session.add(line)
    session.flush()
    refresh_procurement_progress(session, order_id)
    return line


@acts
def delete_bom_line(*, session: Session, actor: Actor, order_id: int, line_id: int) -> None:
    """Remove a BOM line that nothing was received, issued or bought for."""
    editable_order(session, actor, order_id, "维护 BOM")
    line = load_line(session, order_id, line_id)
    if line.received or line.issued:
        raise Conflict("该物料已有入库或发料记录，不能删除", code="bom_line_in_use")
    bought = select(PurchaseLine.id).where(PurchaseLine.bom_line_id == line.id).limit(1)
    if session.exec(bought).first() is not None:
        raise Conflict("该物料已有采购行，请先取消采购后再删除", code="bom_line_in_use")
    session.delete(line)
    session.flush()
    refresh_procurement_progress(session, order_id)


def list_bom(*, session: Session, actor: Actor, order_id: int) -> list[BomLine]:
    """The order's BOM lines in their order."""
    load_order(session, actor, order_id)
    query = select(BomLine).where(BomLine.order_id == order_id)
    return list(session.exec(query.order_by(BomLine.position, BomLine.id)))


def materials_by_id(session: Session, ids) -> dict[int, Material]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {m.id: m for m in session.exec(select(Material).where(col(Material.id).in_(ids)))}


@dataclass(frozen=True)
class BomSummary:
    """Percent received (mean of the lines' received shares; None without a BOM) and how
    many key-material lines are complete."""

    progress: int | None
    key_materials: KeyMaterials


# While the procurement stage is refreshed, the summaries already known (issue 18: the stage's
# progress and its key-materials check each read the same summary).
_KNOWN: ContextVar[dict[int, BomSummary] | None] = ContextVar("bom_summaries", default=None)


def bom_summary(session: Session, order_id: int) -> BomSummary:
    """The order's BOM in two figures, from one aggregate query."""
    known = _KNOWN.get()
    if known is not None and order_id in known:
        return known[order_id]
    complete = BomLine.received >= BomLine.needed
    share = case((complete, 1.0), else_=cast(BomLine.received, Float) / cast(BomLine.needed, Float))
    keys = func.coalesce(func.sum(case((Material.is_key, 1), else_=0)), 0)
    keys_done = func.coalesce(func.sum(case((and_(Material.is_key, complete), 1), else_=0)), 0)
    lines, total, key_total, key_done = session.exec(
        select(func.count(), func.sum(share), keys, keys_done)
        .join(Material, Material.id == BomLine.material_id)
        .where(BomLine.order_id == order_id)
    ).one()
    progress = math.floor(100 * float(total) / lines + 1e-9) if lines else None
    key_materials = KeyMaterials(
        total=key_total, complete=key_done, all_complete=key_done == key_total
    )
    summary = BomSummary(progress, key_materials)
    if known is not None:
        known[order_id] = summary
    return summary


def summarise(lines: list[tuple[Decimal, Decimal, bool]]) -> BomSummary:
    """bom_summary from (received, needed, is_key) of every line of an order, computed in
    Python with the same formula (a scan batch keeps the lines it changes in memory)."""
    shares = [
        1.0 if received >= needed else float(received) / float(needed)
        for received, needed, _ in lines
    ]
    progress = math.floor(100 * sum(shares) / len(lines) + 1e-9) if lines else None
    keys = [received >= needed for received, needed, is_key in lines if is_key]
    key_done = sum(keys)
    key_materials = KeyMaterials(
        total=len(keys), complete=key_done, all_complete=key_done == len(keys)
    )
    return BomSummary(progress, key_materials)


@progress_source(StageKind.procurement)
def _progress_from_bom(*, session: Session, order_id: int) -> int | None:
    """Procurement progress from the BOM (see the module docstring), None without a BOM."""
    return bom_summary(session, order_id).progress


KEY_MATERIALS_ITEM = "关键物料已全部入库"


@check_source(
    StageKind.procurement, KEY_MATERIALS_ITEM, "BOM 入库数量：关键物料（未标关键时为全部物料）"
)
def key_materials_in(*, session: Session, order_id: int) -> bool:
    """The order has a BOM and every key material line (every line when none is marked key)
    is received in full."""
    return key_materials_done(bom_summary(session, order_id))


def key_materials_done(summary: BomSummary) -> bool:
    """key_materials_in from a summary already at hand."""
    if summary.progress is None:
        return False
    keys = summary.key_materials
    return keys.all_complete if keys.total else summary.progress == 100


def refresh_procurement_progress(
    session: Session,
    order_id: int,
    summary: BomSummary | None = None,
    stage: Stage | None = None,
    *,
    fact_changed: bool = True,
) -> int | None:
    """Recompute the running procurement stage's progress from the BOM; that progress.

    The BOM summary is computed once for it (or taken from `summary`, the current one, when the
    caller already knows it: a scan batch computes it from the lines it holds), and so is the
    stage (`stage`, when the caller has read it in this transaction). `fact_changed=False`:
    the caller knows key_materials_done is what it was before its change, so the stage's
    derived checklist item (synced then) needs no new look."""
    token = _KNOWN.set({} if summary is None else {order_id: summary})
    try:
        return refresh_derived_progress(
            session=session,
            order_id=order_id,
            kind=StageKind.procurement,
            stage=stage,
            sync=fact_changed,
        )
    finally:
        _KNOWN.reset(token)
