import pytest
from sqlmodel import select

from app.services.chat import (
    bind_group_order,
    create_group,
    group_credentials,
    group_for_conversation,
    groups_public,
    list_groups,
    unbind_group_order,
    update_group,
)
from app.services.core import configure, settings
from models.changes import ChangeLog
from models.chat import ChatGroup, ChatGroupCreate, ChatGroupUpdate
from models.enums import ChatPlatform, Role
from models.errors import Conflict, Forbidden, InvalidInput, Unavailable
from models.outbox import Outbox
from tests.factories import act, count, make_order, make_user


def _create(session, actor, **overrides):
    data = {
        "platform": ChatPlatform.dingtalk,
        "name": "项目群",
        "webhook": "https://oapi.dingtalk.com/robot/send?access_token=tok-0123456789abc",
        "secret": "SECabcdefghijklmnop0123",
        "conversation_id": "cid-1",
    }
    data.update(overrides)
    return create_group(session=session, actor=actor, data=ChatGroupCreate(**data))


def test_credentials_are_sealed_at_rest_and_only_shown_masked(session):
    tracker = make_user(session)
    group = _create(session, act(session, tracker))
    row = session.exec(select(ChatGroup)).one()
    assert "tok-0123456789abc" not in row.webhook_sealed
    assert "SECabcdefghijklmnop0123" not in (row.secret_sealed or "")
    (public,) = groups_public(session, [group])
    assert public.webhook == "tok…9abc" and public.secret == "SEC…0123"
    assert group_credentials(group) == ("tok-0123456789abc", "SECabcdefghijklmnop0123")
    logged = " ".join(str(v) for v in session.exec(select(ChangeLog.new_value)).all())
    assert "tok-0123456789abc" not in logged and "sealed" not in logged


def test_a_changed_secret_key_makes_sealed_credentials_a_clear_error(session):
    group = _create(session, act(session, make_user(session)))
    key = settings().secret_key
    configure(secret_key="another-secret-key-that-is-long-enough-0123")
    try:
        with pytest.raises(Unavailable, match="重新绑定"):
            group_credentials(group)
    finally:
        configure(secret_key=key)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"webhook": "https://oapi.dingtalk.com/robot/send?foo=1"}, "access_token"),
        ({"webhook": "has space"}, "格式不正确"),
        ({"secret": "not-a-sec"}, "SEC"),
        ({"platform": ChatPlatform.wechat}, "企业微信或钉钉"),
        ({"platform": ChatPlatform.wecom, "webhook": "k-1", "secret": "SECx"}, "只有钉钉"),
    ],
)
def test_bad_group_input_is_refused_and_nothing_stored(session, overrides, message):
    with pytest.raises(InvalidInput, match=message):
        _create(session, act(session, make_user(session)), **overrides)
    assert count(session, ChatGroup) == 0


def test_a_wecom_webhook_url_is_reduced_to_its_key(session):
    group = _create(
        session,
        act(session, make_user(session)),
        platform=ChatPlatform.wecom,
        webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123-def-456",
        secret=None,
        conversation_id=None,
    )
    assert group_credentials(group) == ("abc-123-def-456", None)


def test_one_conversation_id_belongs_to_one_group(session):
    actor = act(session, make_user(session))
    _create(session, actor)
    with pytest.raises(Conflict):
        _create(session, actor)
    other = _create(session, actor, conversation_id="cid-2")
    with pytest.raises(Conflict):
        update_group(
            session=session,
            actor=actor,
            group_id=other.id,
            data=ChatGroupUpdate(conversation_id="cid-1"),
        )


def test_binding_an_order_greets_the_group_once(session):
    tracker = make_user(session)
    order = make_order(session, tracker, code="GD-G-1")
    actor = act(session, tracker)
    group = _create(session, actor, order_ids=[order.id])
    bind_group_order(session=session, actor=actor, group_id=group.id, order_id=order.id)
    (welcome,) = session.exec(select(Outbox)).all()
    assert (welcome.kind, welcome.group_id, welcome.order_id) == ("group_bound", group.id, order.id)
    assert "GD-G-1" in welcome.message["text"]
    unbind_group_order(session=session, actor=actor, group_id=group.id, order_id=order.id)
    bind_group_order(session=session, actor=actor, group_id=group.id, order_id=order.id)
    assert count(session, Outbox) == 1


def test_only_managers_of_the_order_bind_groups_to_it(session):
    tracker, other = make_user(session), make_user(session)
    order = make_order(session, tracker)
    group = _create(session, act(session, other))
    with pytest.raises(Forbidden):
        bind_group_order(
            session=session, actor=act(session, other), group_id=group.id, order_id=order.id
        )
    with pytest.raises(Forbidden):
        _create(session, act(session, make_user(session, Role.warehouse)), conversation_id="c9")


def test_groups_are_listed_per_order_and_found_by_conversation(session):
    tracker = make_user(session)
    order = make_order(session, tracker)
    actor = act(session, tracker)
    group = _create(session, actor, order_ids=[order.id])
    _create(session, act(session, make_user(session)), conversation_id="cid-other")
    assert [g.id for g in list_groups(session=session, actor=actor, order_id=order.id)] == [
        group.id
    ]
    assert [g.id for g in list_groups(session=session, actor=actor)] == [group.id]
    found, orders = group_for_conversation(
        session=session, platform=ChatPlatform.dingtalk, conversation_id="cid-1"
    )
    assert found.id == group.id and orders == [order.id]
    assert (
        group_for_conversation(
            session=session, platform=ChatPlatform.dingtalk, conversation_id="cid-other"
        )[1]
        == []
    ), "a group that follows no order"
    update_group(
        session=session, actor=actor, group_id=group.id, data=ChatGroupUpdate(active=False)
    )
    assert group_for_conversation(
        session=session, platform="dingtalk", conversation_id="cid-1"
    ) == (None, [])
