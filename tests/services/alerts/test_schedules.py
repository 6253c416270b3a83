"""Per-group standup times and cut-offs over the deployment defaults."""

from __future__ import annotations

from datetime import time

import pytest

from app.services.alerts import (
    GroupTimes,
    group_schedule,
    group_times,
    reset_group_schedule,
    schedule_overview,
    set_group_schedule,
)
from models.enums import Role
from models.errors import Forbidden, InvalidInput, NotFound
from models.reminders import GroupSchedule, GroupScheduleIn
from tests.factories import act, count, make_chat_group, make_user


def admin(session):
    return act(session, make_user(session, Role.admin))


def test_the_defaults_are_08_45_monday_to_saturday_and_a_20_00_cut_off(session):
    overview = schedule_overview(session=session)
    d = overview.defaults
    assert (d.standup_time, d.standup_days, d.report_cutoff) == (
        "08:45",
        "mon,tue,wed,thu,fri,sat",
        "20:00",
    )
    assert d.standup_days_name == "周一至周六" and d.standup_enabled
    assert overview.timezone == "Asia/Shanghai" and overview.rule_sweep_minutes == 5
    assert overview.items == [] and group_times(session) == []


def test_every_active_group_follows_the_defaults_until_it_has_its_own(session):
    first, second = make_chat_group(session, name="一号项目群"), make_chat_group(session)
    assert group_times(session) == [
        GroupTimes(first.id, time(8, 45), (0, 1, 2, 3, 4, 5), time(20, 0)),
        GroupTimes(second.id, time(8, 45), (0, 1, 2, 3, 4, 5), time(20, 0)),
    ]
    (item, _) = schedule_overview(session=session).items
    assert (item.group_id, item.group_name, item.own) == (first.id, "一号项目群", [])
    second.active = False
    session.add(second)
    session.flush()
    assert [t.group_id for t in group_times(session)] == [first.id]


def test_a_group_overrides_only_what_it_sets(session):
    group = make_chat_group(session)
    set_group_schedule(
        session=session,
        actor=admin(session),
        group_id=group.id,
        data=GroupScheduleIn(standup_time="9:15", standup_days="mon-fri"),
    )
    assert group_times(session) == [GroupTimes(group.id, time(9, 15), (0, 1, 2, 3, 4), time(20, 0))]
    shown = group_schedule(session=session, group_id=group.id)
    assert shown.standup_days_name == "周一至周五" and shown.own == [
        "standup_time",
        "standup_days",
    ]


def test_null_puts_a_field_back_to_the_default_and_omitted_fields_stay(session):
    actor, group = admin(session), make_chat_group(session)
    set_group_schedule(
        session=session,
        actor=actor,
        group_id=group.id,
        data=GroupScheduleIn(standup_time="9:15", report_cutoff="18:30", standup_enabled=False),
    )
    set_group_schedule(
        session=session,
        actor=actor,
        group_id=group.id,
        data=GroupScheduleIn.model_validate({"standup_time": None}),
    )
    (times,) = group_times(session)
    assert times.standup_time == time(8, 45) and times.report_cutoff == time(18, 30)
    assert not times.standup_enabled


def test_reset_lets_the_group_follow_the_defaults(session):
    actor, group = admin(session), make_chat_group(session)
    set_group_schedule(
        session=session, actor=actor, group_id=group.id, data=GroupScheduleIn(standup_time="7:30")
    )
    reset_group_schedule(session=session, actor=actor, group_id=group.id)
    assert group_schedule(session=session, group_id=group.id).standup_time == "08:45"
    with pytest.raises(NotFound):
        reset_group_schedule(session=session, actor=actor, group_id=group.id)


@pytest.mark.parametrize(
    "data",
    [
        # Unvalidated (the model's patterns refuse these at the door already).
        GroupScheduleIn.model_construct(standup_time="8:70"),
        GroupScheduleIn.model_construct(standup_days="weekdays"),
        GroupScheduleIn.model_construct(report_cutoff="8pm"),
    ],
)
def test_bad_times_are_refused_and_nothing_is_stored(session, data):
    group = make_chat_group(session)
    with pytest.raises(InvalidInput) as err:
        set_group_schedule(session=session, actor=admin(session), group_id=group.id, data=data)
    assert err.value.code == "bad_schedule"
    assert count(session, GroupSchedule) == 0


def test_only_admins_set_group_schedules(session):
    tracker = act(session, make_user(session, Role.tracker))
    group = make_chat_group(session)
    with pytest.raises(Forbidden):
        set_group_schedule(
            session=session,
            actor=tracker,
            group_id=group.id,
            data=GroupScheduleIn(standup_time="9:00"),
        )
    assert count(session, GroupSchedule) == 0


def test_an_unknown_group_is_not_found(session):
    with pytest.raises(NotFound):
        set_group_schedule(
            session=session, actor=admin(session), group_id=999, data=GroupScheduleIn()
        )
    with pytest.raises(NotFound):
        group_schedule(session=session, group_id=999)
    assert count(session, GroupSchedule) == 0
