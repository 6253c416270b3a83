from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.chat import (
    bind_identity,
    issue_binding_code,
    list_identities,
    redeem_binding_code,
    unbind_identity,
    user_for_chat,
)
from app.services.core import Actor
from models.base import utcnow
from models.chat import BindingCode, ChatIdentity, ChatInbound
from models.enums import Channel, ChatPlatform, Role
from models.errors import Forbidden, InvalidInput, RateLimited
from tests.factories import act, count, make_user

BOT = Actor.system(Channel.bot)


def redeem(session, code, external_id="o-1", now=None, platform=ChatPlatform.wechat):
    return redeem_binding_code(
        session=session,
        actor=BOT,
        platform=platform,
        external_id=external_id,
        code=code,
        now=now,
    )


def test_a_code_binds_the_chat_account_to_its_user_once(session):
    user = make_user(session, Role.site_engineer)
    code, expires = issue_binding_code(session=session, actor=act(session, user))
    assert len(code) == 6 and code.isdigit() and expires > utcnow()
    identity = redeem(session, code)
    assert (identity.user_id, identity.platform, identity.external_id) == (
        user.id,
        ChatPlatform.wechat,
        "o-1",
    )
    assert user_for_chat(session=session, platform=ChatPlatform.wechat, external_id="o-1") == user
    with pytest.raises(InvalidInput, match="无效或已使用"):
        redeem(session, code, external_id="o-2")
    assert count(session, ChatIdentity) == 1


def test_codes_expire_after_ten_minutes(session):
    user = make_user(session)
    now = utcnow()
    code, _ = issue_binding_code(session=session, actor=act(session, user), now=now)
    with pytest.raises(InvalidInput, match="已过期") as caught:
        redeem(session, code, now=now + timedelta(minutes=10, seconds=1))
    assert caught.value.code == "binding_code_expired"
    assert count(session, ChatIdentity) == 0


def test_a_new_code_replaces_the_users_previous_one(session):
    user = make_user(session)
    first, _ = issue_binding_code(session=session, actor=act(session, user))
    second, _ = issue_binding_code(session=session, actor=act(session, user))
    with pytest.raises(InvalidInput):
        redeem(session, first)
    assert redeem(session, second).user_id == user.id


def test_only_the_hash_of_a_code_is_stored(session):
    user = make_user(session)
    code, _ = issue_binding_code(session=session, actor=act(session, user))
    stored = session.exec(select(BindingCode.code_hash)).one()
    assert code not in stored and len(stored) == 64


def test_asking_for_codes_is_rate_limited(session):
    actor = act(session, make_user(session))
    for _ in range(5):
        issue_binding_code(session=session, actor=actor)
    with pytest.raises(RateLimited):
        issue_binding_code(session=session, actor=actor)


def test_five_wrong_codes_lock_the_chat_account_for_fifteen_minutes(session):
    user = make_user(session)
    now = utcnow()
    code, _ = issue_binding_code(session=session, actor=act(session, user), now=now)
    for i in range(5):  # what the bot door records for each wrong try
        session.add(
            ChatInbound(
                platform="wechat",
                message_id=f"m{i}",
                sender_id="o-guess",
                conversation_id="o-guess",
                kind="text",
                command="bind",
                outcome="error",
                received_at=now,
            )
        )
    with pytest.raises(RateLimited, match="15 分钟"):
        redeem(session, code, external_id="o-guess", now=now + timedelta(minutes=9))
    later = now + timedelta(minutes=16)
    code, _ = issue_binding_code(session=session, actor=act(session, user), now=later)
    assert redeem(session, code, external_id="o-guess", now=later)


def test_malformed_codes_are_refused_before_any_lookup(session):
    with pytest.raises(InvalidInput, match="6 位数字"):
        redeem(session, "12ab56")


def test_rebinding_moves_the_chat_account_to_the_new_user(session):
    first, second = make_user(session), make_user(session)
    code, _ = issue_binding_code(session=session, actor=act(session, first))
    redeem(session, code)
    code, _ = issue_binding_code(session=session, actor=act(session, second))
    redeem(session, code)
    assert user_for_chat(session=session, platform="wechat", external_id="o-1") == second
    assert count(session, ChatIdentity) == 1


def test_admins_bind_directly_others_may_not(session):
    admin = make_user(session, Role.admin)
    worker = make_user(session, Role.warehouse)
    with pytest.raises(Forbidden):
        bind_identity(
            session=session,
            actor=act(session, worker),
            user_id=worker.id,
            platform=ChatPlatform.dingtalk,
            external_id="d1",
        )
    identity = bind_identity(
        session=session,
        actor=act(session, admin),
        user_id=worker.id,
        platform=ChatPlatform.dingtalk,
        external_id=" d1 ",
    )
    assert identity.external_id == "d1" and identity.bound_via == "admin"
    with pytest.raises(InvalidInput):
        bind_identity(
            session=session,
            actor=act(session, admin),
            user_id=worker.id,
            platform=ChatPlatform.dingtalk,
            external_id="   ",
        )


def test_people_see_and_remove_only_their_own_bindings(session):
    admin, me, other = make_user(session, Role.admin), make_user(session), make_user(session)
    for user, external_id in ((me, "a"), (other, "b")):
        bind_identity(
            session=session,
            actor=act(session, admin),
            user_id=user.id,
            platform=ChatPlatform.wecom,
            external_id=external_id,
        )
    mine = list_identities(session=session, actor=act(session, me))
    assert [i.external_id for i in mine] == ["a"]
    with pytest.raises(Forbidden):
        list_identities(session=session, actor=act(session, me), user_id=other.id)
    theirs = list_identities(session=session, actor=act(session, admin), user_id=other.id)
    with pytest.raises(Forbidden):
        unbind_identity(session=session, actor=act(session, me), identity_id=theirs[0].id)
    unbind_identity(session=session, actor=act(session, me), identity_id=mine[0].id)
    assert count(session, ChatIdentity) == 1


def test_a_deactivated_user_is_not_found_for_their_chat_account(session):
    admin, user = make_user(session, Role.admin), make_user(session)
    bind_identity(
        session=session,
        actor=act(session, admin),
        user_id=user.id,
        platform=ChatPlatform.wechat,
        external_id="o-x",
    )
    user.is_active = False
    session.add(user)
    session.flush()
    assert user_for_chat(session=session, platform="wechat", external_id="o-x") is None


def test_a_chat_account_gives_its_user_with_every_role_in_one_read(session):
    from app.services.chat import chat_user_and_roles

    admin, user = make_user(session, Role.admin), make_user(session, Role.buyer, Role.tracker)
    bind_identity(
        session=session,
        actor=act(session, admin),
        user_id=user.id,
        platform=ChatPlatform.wecom,
        external_id="zhangsan",
    )
    found, roles = chat_user_and_roles(session=session, platform="wecom", external_id="zhangsan")
    assert found == user and roles == {Role.buyer, Role.tracker}
    # The same account id on another platform is another account: not bound.
    assert chat_user_and_roles(session=session, platform="wechat", external_id="zhangsan") == (
        None,
        frozenset(),
    )


def test_a_users_account_ids_on_one_platform_newest_first(session):
    from app.services.chat import chat_ids_of_user

    admin, user = make_user(session, Role.admin), make_user(session)
    for external_id in ("old", "new"):
        bind_identity(
            session=session,
            actor=act(session, admin),
            user_id=user.id,
            platform=ChatPlatform.dingtalk,
            external_id=external_id,
        )
    ids = chat_ids_of_user(session=session, user_id=user.id, platform=ChatPlatform.dingtalk)
    assert ids == ["new", "old"]
    assert chat_ids_of_user(session=session, user_id=user.id, platform=ChatPlatform.wecom) == []
