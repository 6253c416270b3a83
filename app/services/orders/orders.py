"""Orders: create, change, cancel, list, and the order's members."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, func, or_, select

from app.services.core import (
    ORDER_CREATORS,
    Actor,
    acts,
    load_order,
    load_order_by_code,
    require_manage_order,
    roles_of,
    visible_orders_clause,
)
from app.services.orders.revisions import (
    PAST_REVIEW,
    changed_reviewed_fields,
    merged_params,
    reopen_signoffs,
    request_change,
)
from app.services.orders.scope import refuse_closed
from app.services.orders.stages import create_stages
from app.services.people import get_department
from models.base import utcnow
from models.change_orders import ChangeOrder
from models.enums import OrderStatus, Role
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.orders import MemberAdd, Order, OrderCreate, OrderMember, OrderUpdate, Review
from models.people import User


def _check_liaison(session: Session, user_id: int | None) -> None:
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("跟单联络人不存在或已停用", field="liaison_id")
    if Role.tracker not in roles_of(session, user_id):
        raise Conflict("跟单联络人必须是跟单员", code="liaison_not_tracker", field="liaison_id")


def _check_departments(session: Session, codes: list[str]) -> list[str]:
    seen = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not seen:
        raise InvalidInput("至少需要一个会签部门", field="review_departments")
    for code in seen:
        if get_department(session=session, code=code) is None:
            raise NotFound(f"部门代码 {code} 不存在", field="review_departments")
    return seen


def _next_code(session: Session, today: date) -> str:
    prefix = f"GD{today:%y%m}"
    last = session.exec(
        select(func.max(Order.code)).where(col(Order.code).startswith(prefix))
    ).one()
    seq = int(last[len(prefix) :]) + 1 if last and last[len(prefix) :].isdigit() else 1
    return f"{prefix}{seq:03d}"


@acts
def create_order(
    *,
    session: Session,
    actor: Actor,
    data: OrderCreate,
    default_departments: list[str],
    now: datetime | None = None,
) -> Order:
    """Create a draft order with its five stages, SOP checklists and first members."""
    now = now or utcnow()
    if not (actor.is_admin or actor.has(*ORDER_CREATORS)):
        raise Forbidden("只有销售、跟单员或管理层可以创建订单")
    liaison_id = data.liaison_id
    if liaison_id is None and actor.has(Role.tracker):
        liaison_id = actor.id
    _check_liaison(session, liaison_id)
    code = data.code or _next_code(session, now.date())
    if session.exec(select(Order.id).where(Order.code == code)).first() is not None:
        raise Conflict(f"订单号 {code} 已存在", code="duplicate")
    fields = data.model_dump(exclude={"code", "liaison_id", "review_departments"})
    order = Order(
        **fields,
        code=code,
        liaison_id=liaison_id,
        created_by_id=actor.id,
        review_departments=_check_departments(
            session, data.review_departments or default_departments
        ),
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    _add_initial_members(session, actor, order)
    create_stages(session=session, order=order)
    return order


def _add_initial_members(session: Session, actor: Actor, order: Order) -> None:
    if actor.id is not None:
        role = next((r for r in (Role.sales, Role.tracker, Role.manager) if actor.has(r)), None)
        session.add(OrderMember(order_id=order.id, user_id=actor.id, role=role or Role.admin))
    if order.liaison_id and order.liaison_id != actor.id:
        session.add(OrderMember(order_id=order.id, user_id=order.liaison_id, role=Role.tracker))
    session.flush()


@acts
def update_order(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: OrderUpdate,
    now: datetime | None = None,
) -> Order:
    """Change an order's fields; every change lands in the change log.

    A change to what the review signed reopens the concerned sign-offs while in review; past
    review it becomes a pending change order (see `revise_order`, which also returns it).
    """
    return revise_order(session=session, actor=actor, order_id=order_id, data=data, now=now)[0]


@acts
def revise_order(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: OrderUpdate,
    now: datetime | None = None,
) -> tuple[Order, ChangeOrder | None]:
    """Change an order; reviewed fields past review go to a change order, returned too."""
    now = now or utcnow()
    order = load_order(session, actor, order_id, for_update=True)
    require_manage_order(session, actor, order, "修改订单")
    refuse_closed(order, "订单已关闭，不能修改")
    fields = data.model_dump(exclude_unset=True)
    if "tech_params" in fields:
        fields["tech_params"] = merged_params(order.tech_params, fields["tech_params"] or {})
    changed = changed_reviewed_fields(order, fields)
    change = None
    if changed and order.status in PAST_REVIEW:
        change = request_change(session=session, actor=actor, order=order, changed=changed, now=now)
        fields = {k: v for k, v in fields.items() if k not in changed}
    elif changed and order.status == OrderStatus.in_review:
        reopen_signoffs(session=session, order=order, changed=changed)
    _apply(session, order, fields, now)
    return order, change


def _apply(session: Session, order: Order, fields: dict, now: datetime) -> None:
    if "liaison_id" in fields:
        _check_liaison(session, fields["liaison_id"])
        _ensure_liaison_member(session, order, fields["liaison_id"])
    if "review_departments" in fields:
        if order.status != OrderStatus.draft:
            raise Conflict("订单已提交评审，不能修改会签部门", code="review_started")
        fields["review_departments"] = _check_departments(session, fields["review_departments"])
    for key, value in fields.items():
        setattr(order, key, value)
    order.updated_at = now
    session.add(order)
    session.flush()


def _ensure_liaison_member(session: Session, order: Order, user_id: int | None) -> None:
    if user_id is not None and session.get(OrderMember, (order.id, user_id)) is None:
        session.add(OrderMember(order_id=order.id, user_id=user_id, role=Role.tracker))


@acts
def cancel_order(
    *, session: Session, actor: Actor, order_id: int, reason: str, now: datetime | None = None
) -> Order:
    """Cancel an open order, with the reason in the change log."""
    order = load_order(session, actor, order_id, for_update=True)
    require_manage_order(session, actor, order, "取消订单")
    refuse_closed(order)
    order.status = OrderStatus.cancelled
    order.cancel_reason = reason
    order.updated_at = now or utcnow()
    session.add(order)
    session.flush()
    return order


@acts
def delete_order(*, session: Session, actor: Actor, order_id: int) -> None:
    """Delete a draft order that never went to review (admins and its creator)."""
    order = load_order(session, actor, order_id, for_update=True)
    if not (actor.is_admin or order.created_by_id == actor.id):
        raise Forbidden("只有管理员或订单创建人可以删除订单")
    if order.status != OrderStatus.draft or _was_reviewed(session, order.id):
        raise Conflict("只能删除未提交评审的草稿订单，其他订单请取消", code="not_draft")
    session.delete(order)
    session.flush()


def _was_reviewed(session: Session, order_id: int) -> bool:
    return session.exec(select(Review.id).where(Review.order_id == order_id)).first() is not None


def get_order(*, session: Session, actor: Actor, order_id: int) -> Order:
    """The order, if the actor may see it."""
    return load_order(session, actor, order_id)


def find_order_by_code(*, session: Session, actor: Actor, code: str) -> Order:
    """The order with this code (case-insensitive), if the actor may see it."""
    missing = NotFound(f"订单 {code} 不存在", code="order_not_found")
    return load_order_by_code(session, actor, code, missing)


def list_orders(
    *,
    session: Session,
    actor: Actor,
    status: OrderStatus | None = None,
    liaison_id: int | None = None,
    customer: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Order], int]:
    """The orders the actor may see, filtered and paged, newest first."""
    query = select(Order).where(visible_orders_clause(actor))
    if status is not None:
        query = query.where(Order.status == status)
    if liaison_id is not None:
        query = query.where(Order.liaison_id == liaison_id)
    if customer:
        query = query.where(col(Order.customer).ilike(f"%{customer.strip()}%"))
    if q:
        like = f"%{q.strip()}%"
        query = query.where(
            or_(
                col(Order.code).ilike(like),
                col(Order.customer).ilike(like),
                col(Order.contract_no).ilike(like),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Order.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def live_orders_of(*, session: Session, actor: Actor) -> list[Order]:
    """The live orders (past the draft, not closed) the actor works on, as liaison or member:
    "my current order" of the chat's photo button. Newest first."""
    member = select(OrderMember.order_id).where(OrderMember.user_id == actor.id)
    query = select(Order).where(
        col(Order.status).in_(OrderStatus.live()),
        or_(col(Order.id).in_(member), Order.liaison_id == actor.id),
    )
    return list(session.exec(query.order_by(col(Order.id).desc())).all())


@acts
def add_member(*, session: Session, actor: Actor, order_id: int, data: MemberAdd) -> OrderMember:
    """Add a user to the order in one of the roles they hold."""
    order = load_order(session, actor, order_id, for_update=True)
    require_manage_order(session, actor, order, "管理订单成员")
    user = session.get(User, data.user_id)
    if user is None or not user.is_active:
        raise NotFound("用户不存在或已停用", field="user_id")
    if data.role not in roles_of(session, user.id):
        raise InvalidInput("该用户没有这个角色，请先由管理员授予", field="role")
    existing = session.get(OrderMember, (order.id, user.id))
    if existing is not None:
        existing.role = data.role
        session.add(existing)
        session.flush()
        return existing
    member = OrderMember(order_id=order.id, user_id=user.id, role=data.role)
    session.add(member)
    session.flush()
    return member


@acts
def remove_member(*, session: Session, actor: Actor, order_id: int, user_id: int) -> None:
    """Remove a member; the liaison stays until another liaison is named."""
    order = load_order(session, actor, order_id, for_update=True)
    require_manage_order(session, actor, order, "管理订单成员")
    if order.liaison_id == user_id:
        raise Conflict("不能移除跟单联络人，请先更换联络人", code="is_liaison")
    member = session.get(OrderMember, (order.id, user_id))
    if member is None:
        raise NotFound("该用户不是订单成员")
    session.delete(member)
    session.flush()


def list_members(*, session: Session, actor: Actor, order_id: int) -> list[OrderMember]:
    """The order's members."""
    load_order(session, actor, order_id)
    query = select(OrderMember).where(OrderMember.order_id == order_id)
    return list(session.exec(query.order_by(OrderMember.added_at)).all())
