"""The yes/no permission checks agree with the raising ones they stand beside."""

from __future__ import annotations

import pytest
from sqlmodel import delete

from app.services.core import (
    Actor,
    can_act_in,
    can_manage_group,
    can_manage_groups,
    can_manage_order,
    can_sign_for,
    can_view_group,
    is_member,
    load_order,
    load_order_to_act,
    require_manage_group,
    require_manage_order,
    require_member,
    require_order_role,
    require_view_group,
    user_and_roles,
)
from models.enums import Channel, Role
from models.errors import DomainError, Forbidden
from models.people import UserRole
from tests.factories import act, add_to_order, make_chat_group, make_order, make_user


def _raises(check, *args) -> bool:
    try:
        check(*args)
    except Forbidden:
        return True
    return False


def _order_with_buyer(session):
    """An order, its liaison and a buyer member; and a sales user who is not a member."""
    liaison = make_user(session)
    order = make_order(session, liaison)
    buyer, seller = make_user(session, Role.buyer), make_user(session, Role.sales)
    add_to_order(session, order, buyer, Role.buyer)
    return order, liaison, buyer, seller


def test_order_checks_say_yes_exactly_when_the_raising_ones_pass(session):
    order, liaison, buyer, outsider = _order_with_buyer(session)
    for user in (liaison, buyer, outsider, make_user(session, Role.manager)):
        actor = act(session, user)
        assert is_member(session, actor, order) != _raises(
            require_member, session, actor, order, "x"
        )
        assert can_manage_order(session, actor, order) != _raises(
            require_manage_order, session, actor, order, "x"
        )
        allowed = {Role.buyer}
        assert can_act_in(session, actor, order, allowed) != _raises(
            require_order_role, session, actor, order, allowed, "x"
        )
    assert is_member(session, act(session, buyer), order)
    assert not is_member(session, act(session, outsider), order)


def _answer(fn, *args):
    try:
        return fn(*args).id
    except DomainError as exc:
        return (type(exc), exc.code, exc.message)


def _two_steps(session, actor, order_id, allowed, action):
    order = load_order(session, actor, order_id)
    require_order_role(session, actor, order, allowed, action)
    return order


def test_loading_an_order_to_act_answers_as_the_two_checks_do(session):
    order, liaison, buyer, seller = _order_with_buyer(session)
    add_to_order(session, order, seller, Role.sales)
    users = [liaison, buyer, seller, make_user(session, Role.buyer)]
    users += [make_user(session, Role.manager), make_user(session, Role.admin)]
    session.commit()
    for user in users:
        actor = act(session, user)
        for order_id in (order.id, order.id + 1000):
            for allowed in ({Role.buyer}, {Role.warehouse}):
                args = (session, actor, order_id, allowed, "扫码")
                assert _answer(load_order_to_act, *args) == _answer(_two_steps, *args)
    session.commit()


def test_a_user_and_their_roles_are_read_together(session):
    many, none = make_user(session, Role.buyer, Role.warehouse), make_user(session)
    session.commit()
    assert user_and_roles(session, many.id) == (many, {Role.buyer, Role.warehouse})
    assert user_and_roles(session, many.id + 1000) == (None, frozenset())
    session.exec(delete(UserRole).where(UserRole.user_id == none.id))
    assert user_and_roles(session, none.id) == (none, frozenset())
    session.commit()


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.admin, True), (Role.manager, True), (Role.tracker, True), (Role.buyer, False)],
)
def test_who_may_manage_chat_groups_at_all(session, role, expected):
    assert can_manage_groups(act(session, make_user(session, role))) is expected
    assert can_manage_groups(Actor.system(Channel.cli))


def test_a_group_is_seen_and_changed_by_members_of_every_order_it_follows(session):
    first, second = make_user(session), make_user(session)
    order_a, order_b = make_order(session, first), make_order(session, second)
    both = make_chat_group(session, order_ids=[order_a.id, order_b.id])
    only_a = make_chat_group(session, order_ids=[order_a.id])
    manager = act(session, make_user(session, Role.manager))
    a = act(session, first)
    assert can_view_group(session, a, both) and not can_manage_group(session, a, both)
    assert can_manage_group(session, a, only_a)
    assert not can_view_group(session, act(session, second), only_a)
    assert can_manage_group(session, manager, both)
    for actor, group in ((a, both), (act(session, second), only_a)):
        assert can_view_group(session, actor, group) != _raises(
            require_view_group, session, actor, group
        )
        assert can_manage_group(session, actor, group) != _raises(
            require_manage_group, session, actor, group
        )


def test_a_group_that_follows_no_order_belongs_to_its_creator(session):
    creator, other = make_user(session), make_user(session)
    group = make_chat_group(session)
    group.created_by_id = creator.id
    assert can_manage_group(session, act(session, creator), group)
    assert not can_view_group(session, act(session, other), group)


def test_only_a_departments_staff_or_an_admin_sign_for_it(session):
    sales = make_user(session, Role.sales)
    department = sales.department_id
    assert can_sign_for(act(session, sales), department)
    assert not can_sign_for(act(session, make_user(session, Role.buyer)), department)
    assert can_sign_for(act(session, make_user(session, Role.admin)), department)
