"""Public (API and page) forms of orders, stages and reviews, loaded in few queries."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from app.services.orders.checks import source_of
from app.services.orders.reviews import signoffs
from app.services.orders.revisions import REVIEWED_FIELDS, field_diffs, snapshot_of
from app.services.orders.sop import checklist, item_done
from app.services.orders.stages import current_stage, order_progress
from app.services.people import user_brief, users_by_id
from models.change_orders import ChangeOrder, ChangeOrderPublic
from models.enums import (
    CHANGE_ORDER_STATUS_NAMES,
    ORDER_STATUS_NAMES,
    STAGE_NAMES,
    STAGE_STATUS_NAMES,
    ChangeOrderStatus,
    OrderStatus,
    StageKind,
    StageStatus,
)
from models.orders import (
    FieldDiff,
    MemberPublic,
    Order,
    OrderMember,
    OrderPublic,
    Review,
    ReviewPublic,
    SignoffPublic,
    StageBrief,
)
from models.people import Department, DepartmentPublic, User
from models.stages import ChecklistItem, ChecklistItemPublic, Stage, StagePublic


def _stages_by_order(session: Session, order_ids: list[int]) -> dict[int, list[Stage]]:
    out: dict[int, list[Stage]] = defaultdict(list)
    if order_ids:
        query = select(Stage).where(col(Stage.order_id).in_(order_ids)).order_by(Stage.seq)
        for stage in session.exec(query):
            out[stage.order_id].append(stage)
    return out


def stage_brief(stage: Stage | None) -> StageBrief | None:
    """Short form of a stage, for order lists."""
    if stage is None:
        return None
    kind = StageKind(stage.kind)
    return StageBrief(
        kind=kind,
        name=STAGE_NAMES[kind],
        status=stage.status,
        progress=100 if stage.status == StageStatus.done else stage.progress,
    )


def orders_public(session: Session, orders: list[Order]) -> list[OrderPublic]:
    """Public forms of many orders with three queries in all."""
    stages = _stages_by_order(session, [o.id for o in orders])
    users = users_by_id(session, [o.liaison_id for o in orders])
    out = []
    for order in orders:
        own = stages.get(order.id, [])
        data = order.model_dump()
        data.update(
            status_name=ORDER_STATUS_NAMES[OrderStatus(order.status)],
            liaison=user_brief(users.get(order.liaison_id)),
            progress=order_progress(own),
            current_stage=stage_brief(current_stage(own)),
        )
        out.append(OrderPublic.model_validate(data))
    return out


def order_public(session: Session, order: Order) -> OrderPublic:
    """Public form of one order."""
    return orders_public(session, [order])[0]


def _item_public(
    session: Session, stage: Stage, item: ChecklistItem, users: dict[int, User]
) -> ChecklistItemPublic:
    source = source_of(StageKind(stage.kind), item.title)
    live = source is not None and stage.status != StageStatus.done
    return ChecklistItemPublic(
        id=item.id,
        title=item.title,
        required=item.required,
        done=item_done(session, stage, item) if live else item.done,
        derived=source is not None,
        source=source.source if source else None,
        done_by=user_brief(users.get(item.done_by_id)),
        done_at=item.done_at,
        note=item.note,
    )


def stage_public(session: Session, stage: Stage) -> StagePublic:
    """Public form of a stage with its checklist."""
    items = checklist(session=session, stage_id=stage.id)
    users = users_by_id(session, [i.done_by_id for i in items] + [stage.started_early_by_id])
    kind = StageKind(stage.kind)
    return StagePublic(
        kind=kind,
        name=STAGE_NAMES[kind],
        seq=stage.seq,
        status=stage.status,
        status_name=STAGE_STATUS_NAMES[StageStatus(stage.status)],
        progress=100 if stage.status == StageStatus.done else stage.progress,
        planned_start=stage.planned_start,
        planned_end=stage.planned_end,
        actual_start=stage.actual_start,
        actual_end=stage.actual_end,
        started_early_by=user_brief(users.get(stage.started_early_by_id)),
        started_early_reason=stage.started_early_reason,
        checklist=[_item_public(session, stage, i, users) for i in items],
    )


def review_public(session: Session, review: Review) -> ReviewPublic:
    """Public form of a review round with every department's sign-off."""
    lines = signoffs(session=session, review_id=review.id)
    users = users_by_id(session, [review.submitted_by_id, *(s.user_id for s in lines)])
    depts = {d.id: d for d in session.exec(select(Department))}
    now = snapshot_of(session.get(Order, review.order_id))
    return ReviewPublic(
        id=review.id,
        round=review.round,
        status=review.status,
        submitted_by=user_brief(users.get(review.submitted_by_id)),
        submitted_at=review.submitted_at,
        decided_at=review.decided_at,
        signoffs=[
            SignoffPublic(
                department=DepartmentPublic.model_validate(
                    depts[s.department_id], from_attributes=True
                ),
                status=s.status,
                user=user_brief(users.get(s.user_id)),
                reason=s.reason,
                signed_at=s.signed_at,
                snapshot=s.snapshot,
                changed_since=field_diffs(s.snapshot, now) if s.snapshot else [],
            )
            for s in lines
        ],
    )


def members_public(session: Session, members: list[OrderMember]) -> list[MemberPublic]:
    """Public forms of order members."""
    users = users_by_id(session, [m.user_id for m in members])
    return [
        MemberPublic(user=user_brief(users[m.user_id]), role=m.role, added_at=m.added_at)
        for m in members
    ]


def change_orders_public(session: Session, rows: list[ChangeOrder]) -> list[ChangeOrderPublic]:
    """Public forms of change orders: each field asked for, before and after."""
    users = users_by_id(session, [i for c in rows for i in (c.requested_by_id, c.decided_by_id)])
    return [
        ChangeOrderPublic(
            id=c.id,
            order_id=c.order_id,
            status=c.status,
            status_name=CHANGE_ORDER_STATUS_NAMES[ChangeOrderStatus(c.status)],
            changes=[
                FieldDiff(field=f, name=REVIEWED_FIELDS[f], before=c.before.get(f), after=v)
                for f, v in c.after.items()
            ],
            requested_by=user_brief(users.get(c.requested_by_id)),
            requested_at=c.requested_at,
            decided_by=user_brief(users.get(c.decided_by_id)),
            decided_at=c.decided_at,
            decision_note=c.decision_note,
        )
        for c in rows
    ]
