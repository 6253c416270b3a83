from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.services.chat import (
    create_group,
    enqueue,
    enqueue_detached,
    enqueue_for_order,
    list_outbox,
    outbox_public,
    retry_outbox,
    session_target,
    user_target,
)
from app.services.core import Actor
from app.services.insight import order_standup_messages, standup_summary
from app.services.orders import update_stage
from models import clock
from models.chat import ChatGroupCreate
from models.enums import Channel, ChatPlatform, OutboxChannel, OutboxStatus, Role, StageKind
from models.errors import Conflict, Forbidden
from models.messages import Button, OutboundMessage, message_from_dict, message_to_dict
from models.outbox import Outbox
from models.stages import StageUpdate
from tests.factories import act, add_to_order, count, make_order, make_user

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _group(session, order_ids, conversation="cid-1"):
    return create_group(
        session=session,
        actor=Actor.system(Channel.cli),
        data=ChatGroupCreate(
            platform=ChatPlatform.dingtalk,
            name="群",
            webhook="tok-0123456789",
            conversation_id=conversation,
            order_ids=order_ids,
        ),
    )


def test_messages_round_trip_through_their_stored_form():
    message = OutboundMessage(
        kind="action_card",
        text="正文",
        title="标题",
        image=b"\x89PNG\r\n\x1a\n...",
        mention_mobiles=("138",),
        mention_user_ids=("u1",),
        mention_all=True,
        buttons=(Button("查看", "http://x"),),
        fields={"thing1": "值"},
    )
    assert message_from_dict(message_to_dict(message)) == message


def test_a_dedupe_key_sends_a_cause_once_however_often_it_repeats(session):
    target = user_target(ChatPlatform.wecom, "lisi")
    key = "overdue:stage:7:high:2026-11-25"
    first = enqueue(
        session=session,
        target=target,
        message=OutboundMessage.plain("逾期"),
        kind="r",
        dedupe_key=key,
    )
    again = enqueue(
        session=session,
        target=target,
        message=OutboundMessage.plain("逾期"),
        kind="r",
        dedupe_key=key,
    )
    assert first is not None and again is None
    assert count(session, Outbox) == 1


def test_the_database_holds_a_dedupe_key_once_and_any_number_of_rows_without_one(session):
    """The unique index covers the rows that have a key only (migration d7f2b9e4a6c1)."""
    row = {
        "created_at": clock.now(),
        "kind": "r",
        "channel": OutboxChannel.wecom_robot,
        "target": {},
        "message": {"kind": "text", "text": "提醒"},
        "status": OutboxStatus.pending,
        "not_before": clock.now(),
        "attempts": 0,
    }
    session.execute(insert(Outbox.__table__), [row | {"dedupe_key": None}] * 3)
    session.execute(insert(Outbox.__table__), [row | {"dedupe_key": "once"}])
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(insert(Outbox.__table__), [row | {"dedupe_key": "once"}])
    session.rollback()
    assert count(session, Outbox) == 4


def test_enqueue_for_order_writes_one_row_per_active_group(session):
    tracker = make_user(session)
    order = make_order(session, tracker)
    _group(session, [order.id], "cid-1")
    _group(session, [order.id], "cid-2")
    session.exec(select(Outbox)).all()
    before = count(session, Outbox)  # the two welcomes
    rows = enqueue_for_order(
        session=session,
        order_id=order.id,
        message=OutboundMessage.plain("缺料"),
        kind="shortage",
        dedupe_key="shortage:1",
    )
    assert len(rows) == 2 and {r.channel for r in rows} == {OutboxChannel.dingtalk_robot}
    enqueue_for_order(
        session=session,
        order_id=order.id,
        message=OutboundMessage.plain("缺料"),
        kind="shortage",
        dedupe_key="shortage:1",
    )
    assert count(session, Outbox) == before + 2


def test_a_rolled_back_decision_leaves_no_message(db):
    with db.session() as session:
        enqueue(
            session=session,
            target=user_target(ChatPlatform.wechat, "o-1"),
            message=OutboundMessage.plain("x"),
            kind="k",
        )
        session.rollback()
    with db.session() as session:
        assert session.exec(select(Outbox)).first() is None


def test_outbox_lists_are_for_admins_and_the_orders_managers(session):
    tracker, admin = make_user(session), make_user(session, Role.admin)
    worker = make_user(session, Role.warehouse)
    order = make_order(session, tracker)
    add_to_order(session, order, worker, Role.warehouse)
    _group(session, [order.id])
    rows, total = list_outbox(session=session, actor=act(session, tracker), order_id=order.id)
    assert total == 1 and outbox_public(session, rows)[0].group_name == "群"
    assert list_outbox(session=session, actor=act(session, admin))[1] == 1
    with pytest.raises(Forbidden):
        list_outbox(session=session, actor=act(session, tracker))
    with pytest.raises(Forbidden):
        list_outbox(session=session, actor=act(session, worker), order_id=order.id)


def test_only_failed_messages_can_be_retried(session):
    admin = make_user(session, Role.admin)
    row = enqueue(
        session=session,
        target=user_target(ChatPlatform.wechat, "o-1"),
        message=OutboundMessage.plain("x"),
        kind="k",
    )
    with pytest.raises(Conflict):
        retry_outbox(session=session, actor=act(session, admin), outbox_id=row.id)
    row.status, row.errcode, row.last_error = OutboxStatus.failed, 93000, "invalid webhook key"
    retried = retry_outbox(session=session, actor=act(session, admin), outbox_id=row.id)
    assert retried.status == OutboxStatus.pending and retried.errcode is None
    with pytest.raises(Forbidden):
        retry_outbox(session=session, actor=act(session, make_user(session)), outbox_id=row.id)


def test_standup_summary_names_late_stages_and_open_sop_items(session):
    tracker = make_user(session, display_name="李跟单")
    order = make_order(
        session, tracker, code="GD-SU-1", delivery_date=clock.today() + timedelta(days=30)
    )
    update_stage(
        session=session,
        actor=act(session, tracker),
        order_id=order.id,
        kind=StageKind.review,
        data=StageUpdate(planned_end=clock.today() - timedelta(days=2)),
    )
    summary = standup_summary(session=session, actor=act(session, tracker), order_id=order.id)
    assert summary.days_left == 30 and summary.liaison == "李跟单"
    assert summary.stages[0].days_late == 2
    [message] = order_standup_messages(
        session=session,
        actor=act(session, tracker),
        order_id=order.id,
        platform="wecom",
        now=clock.now(),
    )
    text = message.text
    assert (
        message.title.startswith("站会 GD-SU-1") and "已逾期 2 天" in text and "⚠订单评审" in text
    )
    with pytest.raises(Forbidden):
        standup_summary(session=session, actor=act(session, make_user(session)), order_id=order.id)


def test_a_detached_row_is_written_whole_leased_and_is_not_in_the_session(session):
    """enqueue_detached (a webhook's reply): one INSERT, every value a claim would write."""
    now = clock.now()
    target = session_target("http://127.0.0.1:9/robot/sendBySession?session=s", now)

    def lease(row):
        row.status, row.lease_owner, row.lease_until = OutboxStatus.sending, "w1", now
        row.attempts = 1

    row = enqueue_detached(
        session=session,
        target=target,
        message=OutboundMessage.plain("回复"),
        kind="bot_reply",
        now=now,
        lease=lease,
    )
    assert row.id is not None and row not in session
    session.commit()
    stored = session.get(Outbox, row.id)
    assert (stored.status, stored.lease_owner, stored.lease_until, stored.attempts) == (
        OutboxStatus.sending,
        "w1",
        now,
        1,
    )
    assert stored.channel == OutboxChannel.dingtalk_session and stored.target == target.data
    assert message_from_dict(stored.message).text == "回复"
    assert stored.kind == "bot_reply" and stored.not_before == now and stored.dedupe_key is None
    assert count(session, Outbox) == 1
