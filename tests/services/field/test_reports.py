from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.services.core import configure, settings
from app.services.field import (
    REPORT_ENTITY,
    labour_summary,
    list_daily_reports,
    list_missing_reporters,
    submit_daily_report,
)
from app.services.orders import cancel_order, photos_of, upload_photo
from models.changes import ChangeLog
from models.enums import Channel, Role
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.people import User
from models.reports import DailyReport, LabourEntry, LabourIn
from tests.factories import act, add_to_order, count, make_order, make_user
from tests.images import jpeg

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

# 10:00 in Shanghai on 2026-11-25.
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


@pytest.fixture()
def site(session):
    """An order with a site engineer on it; returns (session, order, engineer actor)."""
    order = make_order(session)
    engineer = make_user(session, Role.site_engineer)
    add_to_order(session, order, engineer, Role.site_engineer)
    return session, order, act(session, engineer, Channel.bot)


def _submit(session, actor, order, **values):
    data = {"done_today": "完成 2 号机组基础验收", "now": NOW}
    data.update(values)
    return submit_daily_report(session=session, actor=actor, order_id=order.id, **data)


def test_a_report_is_filed_for_today_with_labour_and_photos(site):
    session, order, engineer = site
    photo = upload_photo(session=session, actor=engineer, order_id=order.id, data=jpeg())
    report = _submit(
        session,
        engineer,
        order,
        plan_tomorrow="吊装",
        problems="吊车晚到 1 小时",
        hours=9.5,
        labour=[
            LabourIn(worker="张三", hours=8, work="焊接"),
            {"worker": " 李四 ", "hours": 4, "work": "搬运"},
        ],
        photo_ids=[photo.id],
    )
    assert report.day == TODAY and report.hours == 9.5 and report.user_id == engineer.id
    entries = session.exec(select(LabourEntry).order_by(LabourEntry.position)).all()
    assert [(e.worker, e.hours, e.work, e.day) for e in entries] == [
        ("张三", 8, "焊接", TODAY),
        ("李四", 4, "搬运", TODAY),
    ]
    assert photos_of(session=session, entity=REPORT_ENTITY, entity_ids=[report.id])[report.id]


def test_a_second_report_the_same_day_updates_the_first_and_logs_each_changed_field(site):
    session, order, engineer = site
    first = _submit(session, engineer, order, hours=8, labour=[{"worker": "张三", "hours": 8}])
    before = count(session, ChangeLog)
    second = _submit(
        session,
        engineer,
        order,
        hours=10,
        labour=[{"worker": "张三", "hours": 6}, {"worker": "王五", "hours": 3}],
        now=NOW + timedelta(hours=6),
    )
    assert second.id == first.id and count(session, DailyReport) == 1
    changes = session.exec(select(ChangeLog).where(ChangeLog.id > before)).all()
    logged = {(c.entity, c.action, c.field, c.old_value, c.new_value) for c in changes}
    assert ("daily_report", "update", "hours", "8", "10") in logged
    assert ("labour_entry", "update", "hours", "8", "6") in logged
    assert {c.entity for c in changes if c.action == "create"} == {"labour_entry"}
    assert not any(c.field == "done_today" for c in changes)


def test_a_shorter_labour_list_on_resubmission_removes_the_lines_dropped(site):
    session, order, engineer = site
    _submit(session, engineer, order, labour=[{"worker": "张三", "hours": 8}] * 3)
    _submit(session, engineer, order, labour=[{"worker": "张三", "hours": 8}])
    assert count(session, LabourEntry) == 1


def test_each_user_has_their_own_report_per_day_and_order(site):
    session, order, engineer = site
    other = make_user(session, Role.production)
    add_to_order(session, order, other, Role.production)
    _submit(session, engineer, order)
    _submit(session, act(session, other), order)
    _submit(session, engineer, order, day=TODAY - timedelta(days=1))
    assert count(session, DailyReport) == 3
    rows = list_daily_reports(session=session, actor=engineer, order_id=order.id, day=TODAY)
    assert {r.user_id for r in rows} == {engineer.id, other.id}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"hours": -1}, "hours"),
        ({"hours": 25}, "hours"),
        ({"done_today": "   "}, "done_today"),
        ({"labour": [{"worker": " ", "hours": 2}]}, "labour.0.worker"),
        ({"labour": [{"worker": "张三", "hours": 0}]}, "labour.0.hours"),
        ({"labour": [{"worker": "张三", "hours": -3}]}, "labour.0.hours"),
        ({"labour": [{"worker": "张三"}]}, "labour.0.hours"),
        ({"labour": [{"worker": "张三", "hours": 1}] * 51}, "labour"),
        ({"plan_tomorrow": "x" * 2001}, "plan_tomorrow"),
    ],
)
def test_bad_report_input_is_refused_with_the_field_named_and_nothing_stored(site, values, field):
    session, order, engineer = site
    with pytest.raises(InvalidInput) as err:
        _submit(session, engineer, order, **values)
    assert err.value.code == "validation_error"
    assert field in {f["field"] for f in err.value.details["fields"]}
    assert field.split(".")[0] in err.value.message
    assert count(session, DailyReport) == 0 and count(session, LabourEntry) == 0


def test_a_day_beyond_tomorrow_or_too_long_ago_is_refused(site):
    session, order, engineer = site
    _submit(session, engineer, order, day=TODAY + timedelta(days=1))
    with pytest.raises(InvalidInput, match="不能晚于明天"):
        _submit(session, engineer, order, day=TODAY + timedelta(days=2))
    with pytest.raises(InvalidInput, match="最近 31 天"):
        _submit(session, engineer, order, day=TODAY - timedelta(days=32))
    assert count(session, DailyReport) == 1


def test_the_day_is_the_local_day_not_the_utc_day(site):
    session, order, engineer = site
    # 23:30 UTC on the 24th is already 07:30 on the 25th in Shanghai.
    report = _submit(session, engineer, order, now=datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    assert report.day == TODAY


def test_a_report_for_an_order_one_is_not_a_member_of_is_refused(site):
    session, _, engineer = site
    other = make_order(session)
    with pytest.raises(Forbidden):
        _submit(session, engineer, other)
    assert count(session, DailyReport) == 0


def test_a_photo_of_another_order_cannot_be_attached_to_a_report(site):
    session, order, engineer = site
    other = make_order(session)
    add_to_order(session, other, session.get(User, engineer.id), Role.site_engineer)
    photo = upload_photo(session=session, actor=engineer, order_id=other.id, data=jpeg(seed=4))
    with pytest.raises(NotFound, match="不属于本订单"):
        _submit(session, engineer, order, photo_ids=[photo.id])


def test_no_report_on_a_closed_order(site):
    session, order, engineer = site
    tracker = act(session, session.get(User, order.liaison_id))
    cancel_order(session=session, actor=tracker, order_id=order.id, reason="客户取消")
    with pytest.raises(Conflict) as err:
        _submit(session, engineer, order)
    assert err.value.code == "order_closed"


def test_who_has_not_reported_are_the_expected_roles_minus_those_who_did(site):
    session, order, engineer = site
    production = make_user(session, Role.production)
    buyer = make_user(session, Role.buyer)
    add_to_order(session, order, production, Role.production)
    add_to_order(session, order, buyer, Role.buyer)
    _submit(session, engineer, order)
    day, missing = list_missing_reporters(
        session=session, actor=engineer, order_id=order.id, now=NOW
    )
    assert day == TODAY
    assert {m.user_id for m in missing} == {production.id, order.liaison_id}
    day, missing = list_missing_reporters(
        session=session, actor=engineer, order_id=order.id, day=TODAY - timedelta(days=1)
    )
    assert engineer.id in {m.user_id for m in missing}


def test_the_roles_expected_to_report_are_a_deployment_setting(site):
    session, order, engineer = site
    saved = settings().daily_report_roles
    configure(daily_report_roles=("site_engineer",))
    try:
        _, missing = list_missing_reporters(
            session=session, actor=engineer, order_id=order.id, day=TODAY
        )
    finally:
        configure(daily_report_roles=saved)
    assert [m.user_id for m in missing] == [engineer.id]


def test_labour_summary_totals_hours_per_worker_and_per_day(site):
    session, order, engineer = site
    other = make_user(session, Role.production)
    add_to_order(session, order, other, Role.production)
    yesterday = TODAY - timedelta(days=1)
    _submit(session, engineer, order, day=yesterday, labour=[{"worker": "张三", "hours": 8}])
    _submit(
        session,
        engineer,
        order,
        labour=[{"worker": "张三", "hours": 4}, {"worker": "李四", "hours": 2.5}],
    )
    _submit(session, act(session, other), order, labour=[{"worker": "李四", "hours": 3}])
    summary = labour_summary(session=session, actor=engineer, order_id=order.id)
    assert summary.total_hours == 17.5
    assert [(w.worker, w.hours, w.days) for w in summary.by_worker] == [
        ("张三", 12, 2),
        ("李四", 5.5, 1),
    ]
    assert [(d.day, d.hours, d.workers) for d in summary.by_day] == [
        (yesterday, 8, 1),
        (TODAY, 9.5, 2),
    ]
    only_today = labour_summary(
        session=session, actor=engineer, order_id=order.id, start=TODAY, end=TODAY
    )
    assert only_today.total_hours == 9.5
    with pytest.raises(InvalidInput):
        labour_summary(
            session=session, actor=engineer, order_id=order.id, start=TODAY, end=yesterday
        )


def test_a_resubmission_keeps_the_parts_it_does_not_send(site):
    session, order, engineer = site
    _submit(
        session,
        engineer,
        order,
        plan_tomorrow="吊装",
        problems="吊车未到",
        hours=9.5,
        labour=[{"worker": "张三", "hours": 8}],
    )
    again = submit_daily_report(
        session=session, actor=engineer, order_id=order.id, plan_tomorrow="接线", now=NOW
    )
    assert (again.done_today, again.plan_tomorrow, again.problems, again.hours) == (
        "完成 2 号机组基础验收",
        "接线",
        "吊车未到",
        9.5,
    )
    assert [(e.worker, e.hours) for e in session.exec(select(LabourEntry))] == [("张三", 8)]


def test_a_first_report_without_what_was_done_today_is_refused(site):
    session, order, engineer = site
    with pytest.raises(InvalidInput, match="今日完成") as err:
        submit_daily_report(
            session=session, actor=engineer, order_id=order.id, plan_tomorrow="接线", now=NOW
        )
    assert err.value.details["field"] == "done_today"
    assert count(session, DailyReport) == 0


def test_one_labourers_lines_in_a_report_cannot_add_up_to_more_than_24_hours(site):
    session, order, engineer = site
    with pytest.raises(InvalidInput, match=r"张三.*超过每天 24 小时") as err:
        _submit(
            session,
            engineer,
            order,
            labour=[{"worker": "张三", "hours": 16}, {"worker": "张三", "hours": 10}],
        )
    assert err.value.code == "hours_over_day" and err.value.details["field"] == "labour"
    assert count(session, DailyReport) == 0 and count(session, LabourEntry) == 0


def test_a_labourers_day_is_capped_across_reports_and_orders(site):
    session, order, engineer = site
    other_order = make_order(session)
    foreman = make_user(session, Role.site_engineer)
    add_to_order(session, other_order, foreman, Role.site_engineer)
    _submit(session, act(session, foreman), other_order, labour=[{"worker": "张三", "hours": 20}])
    with pytest.raises(InvalidInput, match="其他日报已登记 20 小时"):
        _submit(session, engineer, order, labour=[{"worker": "张三", "hours": 8}])
    assert count(session, LabourEntry) == 1
    # The same report resubmitted replaces its own lines, so they are not counted twice.
    _submit(session, engineer, order, labour=[{"worker": "张三", "hours": 4}])
    _submit(
        session,
        engineer,
        order,
        labour=[{"worker": "张三", "hours": 4}, {"worker": "李四", "hours": 9}],
    )
    assert count(session, LabourEntry) == 3


def test_ones_own_hours_on_several_orders_are_capped_at_24_a_day(site):
    session, order, engineer = site
    other_order = make_order(session)
    add_to_order(session, other_order, session.get(User, engineer.id), Role.site_engineer)
    _submit(session, engineer, other_order, hours=16)
    with pytest.raises(InvalidInput, match="本人工时合计 25 小时") as err:
        _submit(session, engineer, order, hours=9)
    assert err.value.details["field"] == "hours"
    _submit(session, engineer, order, hours=8)
    assert count(session, DailyReport) == 2
