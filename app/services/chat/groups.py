"""Chat groups: WeCom / DingTalk group robots bound to the orders they follow.

The robot key (WeCom) or access token (DingTalk) and the DingTalk signing secret are sealed at
rest and shown only masked. Binding a group to an order greets the group through the outbox,
in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.services.chat._sealing import mask, seal, unseal
from app.services.chat._texts import group_welcome
from app.services.chat.outbox import enqueue, group_target
from app.services.core import (
    Actor,
    acts,
    load_order,
    require_manage_group,
    require_manage_groups,
    require_manage_order,
    require_view_group,
    visible_orders_clause,
)
from models.base import utcnow
from models.chat import ChatGroup, ChatGroupCreate, ChatGroupOrder, ChatGroupPublic, ChatGroupUpdate
from models.enums import ChatPlatform, Role
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.messages import OutboundMessage
from models.orders import Order

CREDENTIAL_PARAM = {ChatPlatform.wecom: "key", ChatPlatform.dingtalk: "access_token"}


def _credential(platform: ChatPlatform, raw: str) -> str:
    """The robot key / access token, also when the whole webhook URL was pasted."""
    raw = raw.strip()
    name = CREDENTIAL_PARAM[platform]
    if "://" in raw:
        values = parse_qs(urlsplit(raw).query).get(name)
        if not values:
            raise InvalidInput(f"Webhook 地址里没有 {name} 参数", field="webhook")
        raw = values[0].strip()
    if not raw or len(raw) > 200 or "/" in raw or any(ch.isspace() for ch in raw):
        raise InvalidInput("机器人 key / access_token 格式不正确", field="webhook")
    return raw


def _secret(platform: ChatPlatform, raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if platform != ChatPlatform.dingtalk:
        raise InvalidInput("只有钉钉机器人有加签密钥", field="secret")
    if not raw.startswith("SEC") or any(ch.isspace() for ch in raw):
        raise InvalidInput("钉钉加签密钥以 SEC 开头", field="secret")
    return raw


def _check_conversation(session: Session, group: ChatGroup) -> None:
    if not group.conversation_id:
        group.conversation_id = None
        return
    query = select(ChatGroup.id).where(
        ChatGroup.platform == group.platform, ChatGroup.conversation_id == group.conversation_id
    )
    if group.id is not None:
        query = query.where(ChatGroup.id != group.id)
    with session.no_autoflush:  # the group already carries the new id: check before writing it
        taken = session.exec(query).first() is not None
    if taken:
        raise Conflict("该群会话 ID 已绑定到另一个群", code="duplicate")


@acts
def create_group(
    *, session: Session, actor: Actor, data: ChatGroupCreate, now: datetime | None = None
) -> ChatGroup:
    """Register a group robot, optionally bound to orders at once."""
    require_manage_groups(actor)
    platform = ChatPlatform(data.platform)
    if platform not in CREDENTIAL_PARAM:
        raise InvalidInput("只能绑定企业微信或钉钉的群机器人", field="platform")
    webhook, secret = _credential(platform, data.webhook), _secret(platform, data.secret)
    group = ChatGroup(
        platform=platform,
        name=data.name.strip(),
        conversation_id=(data.conversation_id or "").strip() or None,
        webhook_sealed=seal(webhook),
        webhook_hint=mask(webhook),
        secret_sealed=seal(secret) if secret else None,
        secret_hint=mask(secret) if secret else None,
        created_by_id=actor.id,
        created_at=now or utcnow(),
    )
    _check_conversation(session, group)
    session.add(group)
    session.flush()
    for order_id in dict.fromkeys(data.order_ids):
        bind_group_order(
            session=session, actor=actor, group_id=group.id, order_id=order_id, now=now
        )
    return group


@acts
def update_group(
    *, session: Session, actor: Actor, group_id: int, data: ChatGroupUpdate
) -> ChatGroup:
    """Rename a group, replace its credentials, set its conversation id, pause or resume it."""
    group = _load(session, group_id)
    require_manage_group(session, actor, group)
    fields = data.model_dump(exclude_unset=True)
    platform = ChatPlatform(group.platform)
    if fields.get("webhook") is not None:
        webhook = _credential(platform, fields["webhook"])
        group.webhook_sealed, group.webhook_hint = seal(webhook), mask(webhook)
    if "secret" in fields:
        secret = _secret(platform, fields["secret"])
        group.secret_sealed = seal(secret) if secret else None
        group.secret_hint = mask(secret) if secret else None
    if fields.get("name") is not None:
        group.name = fields["name"].strip()
    if "conversation_id" in fields:
        group.conversation_id = (fields["conversation_id"] or "").strip() or None
        _check_conversation(session, group)
    if fields.get("active") is not None:
        group.active = fields["active"]
    session.add(group)
    session.flush()
    return group


@acts
def delete_group(*, session: Session, actor: Actor, group_id: int) -> None:
    """Forget a group and its pending messages (admins and managers)."""
    if not (actor.is_admin or actor.has(Role.manager)):
        raise Forbidden("只有管理员或管理层可以删除聊天群")
    for link in session.exec(select(ChatGroupOrder).where(ChatGroupOrder.group_id == group_id)):
        session.delete(link)
    session.delete(_load(session, group_id))
    session.flush()


@acts
def bind_group_order(
    *, session: Session, actor: Actor, group_id: int, order_id: int, now: datetime | None = None
) -> ChatGroupOrder:
    """Make a group follow an order; the group is greeted once through the outbox."""
    group = _load(session, group_id)
    require_manage_group(session, actor, group)
    order = load_order(session, actor, order_id)
    require_manage_order(session, actor, order, "绑定聊天群")
    link = session.get(ChatGroupOrder, (group.id, order.id))
    if link is not None:
        return link
    link = ChatGroupOrder(group_id=group.id, order_id=order.id, created_at=now or utcnow())
    session.add(link)
    session.flush()
    enqueue(
        session=session,
        target=group_target(group),
        message=OutboundMessage.markdown(
            *group_welcome(str(group.platform), order.code, order.customer)
        ),
        kind="group_bound",
        order_id=order.id,
        dedupe_key=f"group-bound:{group.id}:{order.id}",
        now=now,
    )
    return link


@acts
def unbind_group_order(*, session: Session, actor: Actor, group_id: int, order_id: int) -> None:
    """Stop a group following an order."""
    group = _load(session, group_id)
    order = load_order(session, actor, order_id)
    require_manage_order(session, actor, order, "解除聊天群绑定")
    link = session.get(ChatGroupOrder, (group.id, order.id))
    if link is None:
        raise NotFound("该群没有绑定这个订单")
    session.delete(link)
    session.flush()


def _load(session: Session, group_id: int) -> ChatGroup:
    group = session.get(ChatGroup, group_id)
    if group is None:
        raise NotFound("聊天群不存在", code="group_not_found")
    return group


def get_group(*, session: Session, actor: Actor, group_id: int) -> ChatGroup:
    """One group, for group managers who created it or belong to an order it follows."""
    group = _load(session, group_id)
    require_view_group(session, actor, group)
    return group


def list_groups(*, session: Session, actor: Actor, order_id: int | None = None) -> list[ChatGroup]:
    """Groups of one order (its members), or every group the actor may see."""
    query = select(ChatGroup).order_by(ChatGroup.id)
    if order_id is not None:
        load_order(session, actor, order_id)
        linked = select(ChatGroupOrder.group_id).where(ChatGroupOrder.order_id == order_id)
        return list(session.exec(query.where(col(ChatGroup.id).in_(linked))).all())
    if not actor.sees_everything:
        visible = select(Order.id).where(visible_orders_clause(actor))
        linked = select(ChatGroupOrder.group_id).where(col(ChatGroupOrder.order_id).in_(visible))
        query = query.where(col(ChatGroup.id).in_(linked) | (ChatGroup.created_by_id == actor.id))
    return list(session.exec(query).all())


# Built once with bound parameters: every message in a group chat reads its group and the
# orders the group follows, in one statement (a row per order; one with NULL when it follows
# none). _GROUP_ORDERS reads the orders of several groups at once (the group list, alerts).
_GROUP_OF_CONVERSATION = (
    select(ChatGroup, ChatGroupOrder.order_id)
    .outerjoin(ChatGroupOrder, col(ChatGroupOrder.group_id) == ChatGroup.id)
    .where(
        ChatGroup.platform == bindparam("platform"),
        ChatGroup.conversation_id == bindparam("conversation_id"),
        ChatGroup.active,
    )
    .order_by(ChatGroupOrder.order_id)
)
_GROUP_ORDERS = (
    select(ChatGroupOrder.group_id, ChatGroupOrder.order_id)
    .where(col(ChatGroupOrder.group_id).in_(bindparam("group_ids", expanding=True)))
    .order_by(ChatGroupOrder.order_id)
)


def group_for_conversation(
    *, session: Session, platform: ChatPlatform, conversation_id: str
) -> tuple[ChatGroup | None, list[int]]:
    """The active group a chat conversation is, if it was registered with its id, and the
    orders it follows; one query (every group message asks both)."""
    params = {"platform": platform, "conversation_id": conversation_id}
    rows = session.execute(_GROUP_OF_CONVERSATION, params).all()
    if not rows:
        return None, []
    return rows[0][0], [order_id for _, order_id in rows if order_id is not None]


def group_order_ids(*, session: Session, group_ids: list[int]) -> dict[int, list[int]]:
    """The orders each group follows."""
    out: dict[int, list[int]] = {g: [] for g in group_ids}
    if group_ids:
        for group_id, order_id in session.execute(_GROUP_ORDERS, {"group_ids": group_ids}):
            out[group_id].append(order_id)
    return out


def group_credentials(group: ChatGroup) -> tuple[str, str | None]:
    """The robot key / access token and the signing secret, unsealed for sending."""
    secret = unseal(group.secret_sealed) if group.secret_sealed else None
    return unseal(group.webhook_sealed), secret


def groups_public(session: Session, groups: list[ChatGroup]) -> list[ChatGroupPublic]:
    """Public forms: credentials masked, with the orders each follows."""
    orders = group_order_ids(session=session, group_ids=[g.id for g in groups])
    return [
        ChatGroupPublic(
            id=g.id,
            platform=g.platform,
            name=g.name,
            conversation_id=g.conversation_id,
            webhook=g.webhook_hint,
            secret=g.secret_hint,
            active=g.active,
            paused_until=g.paused_until,
            order_ids=orders[g.id],
            created_at=g.created_at,
        )
        for g in groups
    ]
