"""The standup (站会) sent to chats, built by the one standup builder (meeting.py) and cut to
the platform's size (meeting_text.py): a group's morning standup covers every live order it
follows (scheduled, posted once per group per day by outbox dedupe keys); an order's is what
the `站会` command answers and `flask standup --order` posts to the order's groups.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.services.chat import enqueue, group_target, order_groups
from app.services.core import Actor, load_order, local_date
from app.services.insight.meeting import build_standup
from app.services.insight.meeting_text import standup_messages
from models.chat import ChatGroup, ChatGroupOrder
from models.enums import OrderStatus
from models.messages import OutboundMessage
from models.orders import Order
from models.outbox import Outbox


def _order_ids(session: Session, group: ChatGroup) -> list[int]:
    query = (
        select(Order.id)
        .join(ChatGroupOrder, ChatGroupOrder.order_id == Order.id)
        .where(ChatGroupOrder.group_id == group.id, col(Order.status).in_(OrderStatus.live()))
        .order_by(Order.code)
    )
    return list(session.exec(query))


def group_standup_messages(
    *, session: Session, group: ChatGroup, now: datetime
) -> list[OutboundMessage]:
    """The group's standup today, as messages for its platform; [] when it follows no live
    order."""
    ids = _order_ids(session, group)
    if not ids:
        return []
    orders = build_standup(session=session, actor=Actor.system(), order_ids=ids, now=now)
    title = f"站会 {group.name} · {local_date(now):%m-%d}"
    return standup_messages(session, title, orders, group.platform)


def group_standup_markdown(
    *, session: Session, group: ChatGroup, now: datetime
) -> tuple[str, str] | None:
    """Title and body of the group's standup today (every part); None without live orders."""
    messages = group_standup_messages(session=session, group=group, now=now)
    if not messages:
        return None
    return messages[0].title, "\n\n".join(m.text for m in messages)


def post_group_standup(*, session: Session, group_id: int, now: datetime) -> list[Outbox]:
    """Queue the group's standup for today (once: a second call the same day queues nothing)."""
    group = session.get(ChatGroup, group_id)
    if group is None or not group.active:
        return []
    key = f"standup:g{group_id}:{local_date(now).isoformat()}"
    if session.exec(select(Outbox.id).where(Outbox.dedupe_key == key)).first() is not None:
        return []
    rows = []
    for i, message in enumerate(group_standup_messages(session=session, group=group, now=now)):
        row = enqueue(
            session=session,
            target=group_target(group),
            message=message,
            kind="standup",
            dedupe_key=key if i == 0 else f"{key}:p{i + 1}",
            now=now,
        )
        rows.append(row)
    return [r for r in rows if r is not None]


def order_standup_messages(
    *, session: Session, actor: Actor, order_id: int, platform: str, now: datetime
) -> list[OutboundMessage]:
    """One order's standup today as messages for a platform (the `站会` command)."""
    order = load_order(session, actor, order_id)
    orders = build_standup(session=session, actor=actor, order_ids=[order.id], now=now)
    title = f"站会 {order.code} · {local_date(now):%m-%d}"
    return standup_messages(session, title, orders, platform)


def post_order_standup(
    *, session: Session, actor: Actor, order_id: int, now: datetime
) -> list[Outbox]:
    """Queue one order's standup to every group following it (once per group and day)."""
    rows = []
    day = local_date(now).isoformat()
    for group in order_groups(session=session, order_id=order_id):
        key = f"standup:o{order_id}:{day}:g{group.id}"
        messages = order_standup_messages(
            session=session, actor=actor, order_id=order_id, platform=group.platform, now=now
        )
        for i, message in enumerate(messages):
            row = enqueue(
                session=session,
                target=group_target(group),
                message=message,
                kind="standup",
                order_id=order_id,
                dedupe_key=key if i == 0 else f"{key}:p{i + 1}",
                now=now,
            )
            if row is None:
                break  # posted before today
            rows.append(row)
    return rows
