"""One path for every accepted chat message: dedupe, identify, parse, run, record, reply.

The message is recorded in `chat_inbound` (unique per platform and message id) in the same
transaction as the command's effects and its queued replies; a command that only reads has
none, so it runs in a read transaction first and that write holds the inserts alone (see
`handle_message`). A platform retry of the same
message id finds that row and gets the stored reply; two deliveries racing each other
collide on the unique key and the loser replays the winner's reply. Refused requests never
get here: the adapters refuse them before anything is parsed or stored; only a refusal that
needs the database (a DingTalk timestamp/sign pair seen with another body) is made here, by the
caller's `Claim`, and it writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Row, Select, bindparam, insert
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session, col, select

from app.services.chat import (
    chat_user_and_roles,
    enqueue_detached,
    enqueue_task,
    group_for_conversation,
    session_target,
)
from app.services.core import actor_for, settings
from bots import menu_handlers, texts
from bots.commands import SPECS, ParseError, parse
from bots.delivery.deliverer import Claimed
from bots.handlers import ChatContext, reply_target
from bots.message import InboundMessage, SessionWebhookContext
from bots.replies import Reply, plain, render_for
from models.base import utcnow
from models.chat import ChatInbound
from models.enums import Channel, ChatPlatform
from models.errors import DomainError
from models.messages import OutboundMessage
from models.outbox import Outbox

log = logging.getLogger("gendan.bots")
IMAGE_WINDOW = timedelta(minutes=10)
ISSUE_ENTITY = "site_issue"
ENTITY_NAMES = {ISSUE_ENTITY: "问题 #{id}"}
# What a following image attaches to: an issue just reported, or the 拍照报问题 button's.
IMAGE_ENTITIES = (ISSUE_ENTITY, menu_handlers.PHOTO_ORDER, menu_handlers.PHOTO_ISSUE)


@dataclass(frozen=True)
class Handled:
    reply: OutboundMessage | None  # the passive reply (WeChat / WeCom), if any
    outbox_ids: tuple[int, ...] = ()  # queued replies worth sending right away (DingTalk)
    leased: tuple[Claimed, ...] = ()  # the same, inserted leased to the deliverer (`lease`)
    duplicate: bool = False


@dataclass
class _Result:
    reply: Reply | None = None
    command: str | None = None
    outcome: str = "ok"
    user_id: int | None = None
    awaiting: tuple[str, int] | None = None


class Claim(Protocol):
    """What a message must hold before it runs, written in the transaction that records it (a
    DingTalk timestamp/sign pair, bots/sign_claim.py). `judge` and `take` raise to refuse the
    message; nothing of it is then written."""

    # A scalar subquery of what holds the claim now, read with the message's dedupe lookup in
    # one statement; one object per kind of claim (the statement is built once for it).
    seen: ScalarSelect

    def seen_params(self) -> dict:
        """The parameters of `seen`."""
        ...

    def judge(self, seen) -> bool:
        """In the read transaction, given `seen`'s value: True when the message holds the claim
        already (a retry)."""
        ...

    def take(self, session: Session) -> None:
        """In the write transaction, before the command runs."""
        ...


def handle_message(
    db,
    message: InboundMessage,
    *,
    now: datetime | None = None,
    throttle: Callable[[InboundMessage], bool] | None = None,
    claim: Claim | None = None,
    lease: Callable[[Outbox], bool] | None = None,
) -> Handled:
    """Run a verified message once and return what to answer.

    `throttle` counts a new (not retried) message against its sender's rate limit; a sender
    over it gets a hint and the command does not run.

    A message whose answer only reads (help, progress, shortages, hints, events) is answered
    from a read transaction, and the chat_inbound row (with the DingTalk reply's outbox row) is
    then written in a transaction of its own: SQLite's single writer is held for one insert,
    not for the command. Commands that change data run in the write transaction with their
    chat_inbound row, as one unit.

    `claim` is checked first in the read transaction and taken first in the write transaction
    (a refusal raises and writes nothing); a command that fails then rolls back to a savepoint
    after it, so the claim stays with the message's row. `lease` is applied to the DingTalk
    reply's outbox row before it is inserted (see OutboxDeliverer.lease_new): the rows it took
    come back in `Handled.leased`, the others in `Handled.outbox_ids`.
    """
    now = now or utcnow()
    result = _Result()
    with db.session(readonly=True) as reader:
        if claim is None:
            held, prior = True, _prior(reader, message)
        else:
            prior, seen = _prior_and_seen(reader, message, claim)
            held = claim.judge(seen)  # a refused claim raises: nothing ran
        if prior is not None and held:
            return _replay(message, prior)
        # A retry under a pair not claimed yet (signed anew) claims it in the write below.
        answered_here = prior is None and _answer_here(reader, message, now, result, throttle)
        reader.rollback()
    with db.session() as session:
        if claim is not None:
            claim.take(session)  # before the command runs: a refusal rolls back the lot
        if not answered_here:
            prior = _prior(session, message)  # a delivery racing this one may have run it
            if prior is not None:
                if claim is not None:
                    session.commit()  # the claim alone
                return _replay(message, prior)
            _run_guarded(session, message, now, result, keep=claim is not None)
        return _record(session, message, result, now, claim=claim, lease=lease)


def _answer_here(
    reader: Session,
    message: InboundMessage,
    now: datetime,
    result: _Result,
    throttle: Callable[[InboundMessage], bool] | None,
) -> bool:
    """Answer a throttled or read-only message in the read transaction (True), or leave it to
    the write transaction (False)."""
    if throttle is not None and not throttle(message):
        result.reply, result.outcome = plain(texts.TOO_FAST), "rate_limited"
        return True
    if _writes(message):
        return False
    _run_guarded(reader, message, now, result)
    if reader.new or reader.dirty or reader.deleted:
        raise RuntimeError(f"read-only chat command {result.command} changed data")
    return True


def _writes(message: InboundMessage) -> bool:
    """Whether answering the message may change data (then it runs in the write transaction)."""
    if message.kind == "image":
        return True  # attaches to the issue awaiting it
    if message.kind == "event":
        return menu_handlers.is_menu_message(message)  # a scan, or a photo issue begun
    if message.kind != "text":
        return False
    if menu_handlers.may_be_quantity(message.text):
        return True  # completes a scan that waits for its quantity
    try:
        command = parse(message.text)
    except ParseError:
        return False
    return SPECS[command.name].writes


def _run_guarded(
    session: Session, message: InboundMessage, now: datetime, result: _Result, *, keep=False
):
    """Run the message; a refusal or a failure becomes the reply (its effects rolled back: to a
    savepoint taken first when `keep`, so what the transaction wrote before stays)."""
    savepoint = session.begin_nested() if keep else None
    try:
        _run(session, message, now, result)
        if savepoint is not None:
            savepoint.commit()
    except DomainError as exc:
        _undo(session, savepoint)
        result.reply, result.outcome, result.awaiting = plain(exc.message), "error", None
    except Exception:
        _undo(session, savepoint)
        log.exception("chat command failed: %s %s", message.platform, message.message_id)
        result.reply, result.outcome, result.awaiting = (
            plain(texts.INTERNAL_ERROR),
            "failed",
            None,
        )


def _undo(session: Session, savepoint) -> None:
    if savepoint is not None:
        savepoint.rollback()
    else:
        session.rollback()


# Built once: the dedupe read runs on every message (twice when a command writes). With the
# sender's read (chat_user_and_roles) and the sign pair's (kvstore) built once too: 0.13-0.19
# against 0.39-0.47 ms of CPU for the three on SQLite, 0.64-0.75 against 1.0-1.6 on
# PostgreSQL (six interleaved rounds of 1,000, 2026-12-06).
# The columns a replay needs, read by Core: no ORM entity is built for the row (about 0.03 ms
# on SQLite and 0.06 on PostgreSQL a message, measured alone).
_INBOUND = ChatInbound.__table__
_PRIOR = sa_select(_INBOUND.c.id, _INBOUND.c.reply).where(
    _INBOUND.c.platform == bindparam("platform"),
    _INBOUND.c.message_id == bindparam("message_id"),
)


def _prior(session: Session, message: InboundMessage) -> Row | None:
    """The message's stored row (its id and reply) when it was handled before."""
    params = {"platform": message.platform, "message_id": message.message_id}
    return session.connection().execute(_PRIOR, params).first()


# The dedupe lookup with a claim's `seen` beside it, one statement per kind of claim (keyed by
# the subquery object's identity): a FROM-less SELECT of scalar subqueries answers one row
# whether or not the message was stored.
_PRIOR_WITH: dict[int, Select] = {}


def _prior_and_seen(session: Session, message: InboundMessage, claim: Claim) -> tuple:
    """`_prior` and the claim's `seen` value, in one round trip."""
    statement = _PRIOR_WITH.get(id(claim.seen))
    if statement is None:
        prior = _PRIOR.subquery()
        statement = _PRIOR_WITH[id(claim.seen)] = sa_select(
            sa_select(prior.c.id).scalar_subquery().label("id"),
            sa_select(prior.c.reply).scalar_subquery().label("reply"),
            claim.seen.label("seen"),
        )
    params = {"platform": message.platform, "message_id": message.message_id}
    row = session.connection().execute(statement, params | claim.seen_params()).one()
    return (row if row.id is not None else None), row.seen


def _replay(message: InboundMessage, prior: Row) -> Handled:
    log.info("chat message %s %s delivered again: replaying", message.platform, message.message_id)
    passive = not isinstance(message.reply, SessionWebhookContext)
    reply = OutboundMessage.plain(prior.reply) if passive and prior.reply else None
    return Handled(reply=reply, duplicate=True)


def _run(session: Session, message: InboundMessage, now: datetime, result: _Result) -> None:
    platform = ChatPlatform(message.platform)
    user, roles = chat_user_and_roles(
        session=session, platform=platform, external_id=message.sender_id
    )
    result.user_id = user.id if user else None
    ctx = ChatContext(session=session, message=message, now=now, user=user)
    if user is not None:
        ctx.actor = actor_for(session, user, Channel.bot, roles=roles)
    if message.conversation_type == "group":
        ctx.group, ctx.group_orders = group_for_conversation(
            session=session, platform=platform, conversation_id=message.conversation_id
        )
    if message.kind != "text":
        result.command = (message.event_key or message.kind)[:24]
        result.reply = _non_text(ctx)
        result.awaiting = ctx.awaiting
        return
    if user is not None:
        answer = menu_handlers.quantity_reply(ctx)
        if answer is not None:
            result.command, result.reply, result.awaiting = "quantity", answer, ctx.awaiting
            return
    try:
        command = parse(message.text)
    except ParseError as exc:
        result.command, result.outcome = exc.command, "invalid"
        bind_hint = user is not None or exc.command == "bind"
        result.reply = plain(exc.hint) if bind_hint else _unbound()
        return
    result.command = command.name
    ctx.spec = SPECS[command.name]
    if user is None and ctx.spec.needs_binding:
        result.outcome, result.reply = "unbound", _unbound()
        return
    result.reply = ctx.spec.handler(ctx, command.args)
    result.awaiting = ctx.awaiting


def _unbound() -> Reply:
    return plain(texts.UNBOUND.format(base=settings().public_base_url, page=texts.BINDING_PAGE))


def _non_text(ctx: ChatContext) -> Reply | None:
    message = ctx.message
    if message.kind == "event":
        if menu_handlers.is_menu_event(ctx):
            return _unbound() if ctx.user is None else menu_handlers.menu_event(ctx)
        if message.event != "subscribe":
            return None
        hint = "发送「帮助」查看可用命令。" if ctx.user else _unbound().text
        return plain(texts.SUBSCRIBED.format(unbound=hint))
    if ctx.user is None:
        return _unbound()
    if message.kind == "image" and message.image is not None:
        return _image(ctx)
    return plain(texts.ONLY_TEXT)


def _image(ctx: ChatContext) -> Reply:
    """Attach the image to what the sender reported just before (the next image only)."""
    message = ctx.message
    query = (
        select(ChatInbound)
        .where(
            ChatInbound.platform == message.platform,
            ChatInbound.sender_id == message.sender_id,
            ChatInbound.conversation_id == message.conversation_id,
            col(ChatInbound.awaiting_until) > ctx.now,
            col(ChatInbound.awaiting_entity).in_(IMAGE_ENTITIES),
        )
        .order_by(col(ChatInbound.id).desc())
        .with_for_update()
    )
    waiting = ctx.session.exec(query).first()
    if waiting is None:
        return plain(texts.IMAGE_WITHOUT_ISSUE)
    if waiting.awaiting_entity == ISSUE_ENTITY:
        waiting.awaiting_until = None  # the next image only
    started = None
    if waiting.awaiting_entity == menu_handlers.PHOTO_ORDER:
        # 拍照报问题: the first photo starts the issue; the others of the window join it.
        started = menu_handlers.start_photo_issue(ctx, waiting.awaiting_id)
        waiting.awaiting_entity, waiting.awaiting_id = menu_handlers.PHOTO_ISSUE, started.id
    ctx.session.add(waiting)
    what = ENTITY_NAMES.get(ISSUE_ENTITY, "{id}").format(id=waiting.awaiting_id)
    _attach(ctx, ISSUE_ENTITY, waiting.awaiting_id, what)
    if started is not None:
        return plain(texts.PHOTO_ISSUE_STARTED.format(id=started.id))
    return plain(texts.IMAGE_QUEUED.format(what=what))


def _attach(ctx: ChatContext, entity: str, entity_id: int, what: str) -> None:
    message = ctx.message
    enqueue_task(
        session=ctx.session,
        kind="attach_image",
        payload={
            "user_id": ctx.user.id,
            "platform": message.platform,
            "media_id": message.image.media_id,
            "url": message.image.url,
            "robot_code": getattr(message.reply, "robot_code", ""),
            "entity": entity,
            "entity_id": entity_id,
            "what": what,
            "reply": reply_target(message),
        },
        now=ctx.now,
    )


_INSERT_INBOUND = insert(_INBOUND)


def _record(
    session: Session,
    message: InboundMessage,
    result: _Result,
    now: datetime,
    *,
    claim: Claim | None = None,
    lease: Callable[[Outbox], bool] | None = None,
) -> Handled:
    """Write the message's row (and the DingTalk reply's outbox row) and commit; a delivery of
    the same message that got there first wins, and this one replays its reply.

    Both rows go in by one INSERT each, not by the session's unit of work: the write
    transaction holds SQLite's writer, which the reply thread waits for (enqueue_detached)."""
    out = render_for(message.platform, result.reply) if result.reply else None
    text = "绑定 ******" if result.command == "bind" else message.text
    row = {
        "platform": message.platform,
        "message_id": message.message_id[:128],
        "sender_id": message.sender_id[:128],
        "conversation_id": message.conversation_id[:128],
        "user_id": result.user_id,
        "kind": message.kind,
        "text": text[:1000],
        "command": result.command,
        "outcome": result.outcome,
        "reply": out.text if out else "",
        "received_at": now,
        "awaiting_entity": result.awaiting[0] if result.awaiting else None,
        "awaiting_id": result.awaiting[1] if result.awaiting else None,
        "awaiting_until": now + IMAGE_WINDOW if result.awaiting else None,
    }
    queued: list[int] = []
    leased: list[Claimed] = []
    try:
        session.flush()  # the command's own changes, before the row that records it
        session.connection().execute(_INSERT_INBOUND, row)  # a racing delivery collides here
        if out is not None and isinstance(message.reply, SessionWebhookContext):
            target = session_target(message.reply.url, message.reply.expires_at)
            reply = enqueue_detached(
                session=session, target=target, message=out, kind="bot_reply", now=now, lease=lease
            )
            if reply.lease_owner is not None:
                leased.append(Claimed.of(reply))
            else:
                queued.append(reply.id)
        session.commit()
    except IntegrityError:
        session.rollback()
        prior = _prior(session, message)
        if prior is None:
            raise
        if claim is not None:  # the rollback took the claim too: a retry signed anew
            claim.take(session)
            session.commit()
        return _replay(message, prior)
    passive = out if not isinstance(message.reply, SessionWebhookContext) else None
    return Handled(reply=passive, outbox_ids=tuple(queued), leased=tuple(leased))
