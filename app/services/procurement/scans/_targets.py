"""Which BOM line a scan goes to.

1. The order printed on the label, else the order the worker picked (`order_id`): that order's
   line for the material (the worker must act on the order as warehouse, buyer or tracker).
2. Otherwise the open needs of the material in the orders the worker acts on: lines still
   short (receive) or not fully issued (issue), in open orders. The earliest need date wins;
   when several orders need it on that same earliest day, the scan is refused with the list
   of choices, and the phone sends it again with `order_id`.

A receipt is never split over several orders: what exceeds the chosen line's need is an
over-receipt and needs confirming.
"""

from __future__ import annotations

from sqlalchemy import true
from sqlmodel import Session, col, or_, select

from app.services.core import Actor, load_order_to_act
from app.services.orders import refuse_closed
from app.services.procurement.bom import line_for_material
from app.services.procurement.errors import AmbiguousOrder, NoOpenNeed, NotInBom
from app.services.procurement.materials import SCANNERS
from app.services.procurement.scans._resolve import Resolved
from models.bom import BomLine
from models.enums import OrderStatus, ScanAction
from models.errors import InvalidInput
from models.materials import Material
from models.orders import Order, OrderMember
from models.quantities import number
from models.scans import OpenNeed


def acting_orders_clause(actor: Actor):
    """Orders the actor may scan for: as liaison, or as a member acting in a scanning role."""
    if actor.is_admin:
        return true()
    member = select(OrderMember.order_id).where(OrderMember.user_id == actor.id)
    if not actor.has(*SCANNERS):
        member = member.where(col(OrderMember.role).in_(SCANNERS))
    return or_(col(Order.id).in_(member), Order.liaison_id == actor.id)


def open_needs(
    session: Session, actor: Actor, material_id: int, action: ScanAction = ScanAction.receive
) -> list[OpenNeed]:
    """The material's open needs in the actor's open orders, earliest need date first."""
    done = BomLine.issued if action == ScanAction.issue else BomLine.received
    query = (
        select(BomLine, Order.code)
        .join(Order, Order.id == BomLine.order_id)
        .where(
            BomLine.material_id == material_id,
            done < BomLine.needed,
            col(Order.status).not_in(OrderStatus.closed()),
            acting_orders_clause(actor),
        )
        .order_by(BomLine.need_date, BomLine.order_id)
    )
    return [
        OpenNeed(
            order_id=line.order_id,
            order_code=code,
            bom_line_id=line.id,
            needed=line.needed,
            received=line.received,
            missing=line.missing,
            need_date=line.need_date,
        )
        for line, code in session.exec(query)
    ]


def choose_line(
    session: Session,
    actor: Actor,
    resolved: Resolved,
    order_id: int | None,
    action: ScanAction,
) -> tuple[Order, BomLine]:
    """The order and BOM line a receipt or issue goes to (see the module docstring)."""
    material = resolved.material
    if resolved.order is not None and order_id is not None and resolved.order.id != order_id:
        raise InvalidInput(
            f"标签上的订单是 {resolved.order.code}，与所选订单不一致", code="order_mismatch"
        )
    chosen = resolved.order.id if resolved.order is not None else order_id
    if chosen is not None:
        return _line_in_order(session, actor, material, chosen)
    needs = open_needs(session, actor, material.id, action)
    if not needs:
        verb = "发料" if action == ScanAction.issue else "入库"
        raise NoOpenNeed(
            f"您参与的订单中没有待{verb}的物料 {material.code} {material.name}，"
            "如需记到某个订单，请选择订单后重新提交",
            material_id=material.id,
        )
    earliest = [n for n in needs if n.need_date == needs[0].need_date]
    if len(earliest) > 1:
        raise AmbiguousOrder(
            f"物料 {material.code} {material.name} 有 {len(earliest)} 个订单在同一天需要，"
            "请选择订单后重新提交",
            choices=[_choice(n) for n in earliest],
            choose_field="order_id",
        )
    first = needs[0]
    return session.get(Order, first.order_id), session.get(BomLine, first.bom_line_id)


def _line_in_order(
    session: Session, actor: Actor, material: Material, order_id: int
) -> tuple[Order, BomLine]:
    order = load_order_to_act(session, actor, order_id, set(SCANNERS), "为该订单扫码收发料")
    refuse_closed(order, f"订单 {order.code} 已关闭")
    line = line_for_material(session, order.id, material.id)
    if line is None:
        raise NotInBom(
            f"订单 {order.code} 的 BOM 中没有物料 {material.code} {material.name}",
            order_id=order.id,
            material_id=material.id,
        )
    return order, line


def _choice(need: OpenNeed) -> dict:
    return {
        "order_id": need.order_id,
        "order_code": need.order_code,
        "need_date": need.need_date.isoformat(),
        "missing": number(need.missing),
    }
