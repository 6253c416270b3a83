"""The morning standup per chat group, and the daily-report cut-off job."""

from __future__ import annotations

import pytest

from app.services.field import create_issue, submit_daily_report
from app.services.insight import post_group_standup
from models.enums import Role
from models.outbox import Outbox
from models.people import User
from reminders import alert_jobs
from reminders.schedule import TARGETS, Task
from tests.alerting import alerts, bind, local, outbox
from tests.clocks import pin_clock
from tests.factories import (
    act,
    add_to_order,
    count,
    make_bom_line,
    make_chat_group,
    make_material,
    make_procuring_order,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock
# One business day for the whole test: each local(...) reads the day again, and a run that
# crosses Shanghai's midnight between two of them would mix two days.
_pinned_clock = pin_clock()


def _crew(session):
    order = make_procuring_order(session, code="GD-STAND-1")
    other = make_procuring_order(session, code="GD-STAND-2")
    reporter = make_user(session, Role.site_engineer, display_name="陈现场")
    silent = make_user(session, Role.site_engineer, display_name="赵沉默")
    for user in (reporter, silent):
        add_to_order(session, order, user, Role.site_engineer)
    yesterday = local(18, days=-1)
    submit_daily_report(
        session=session,
        actor=act(session, reporter),
        order_id=order.id,
        done_today="底座安装",
        now=yesterday,
    )
    make_bom_line(session, order, make_material(session, is_key=True), days=3)
    create_issue(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        description="法兰漏水",
        risk="high",
        now=local(7),
    )
    group = make_chat_group(session, order_ids=[order.id, other.id])
    session.commit()
    return order, other, group, silent


def test_the_standup_covers_every_order_of_the_group_in_one_message_once_a_day(session):
    order, other, group, _ = _crew(session)
    [row] = post_group_standup(session=session, group_id=group.id, now=local(8, 45))
    session.commit()
    text = row.message["text"]
    assert row.group_id == group.id and row.kind == "standup"
    for code in ("GD-STAND-1", "GD-STAND-2"):
        assert code in text
    assert f"/orders/{order.id}" in text and f"/orders/{other.id}" in text
    assert "/standup/GD-STAND-1" in text
    assert "- 陈现场：完成 底座安装" in text and "未交日报：" in text and "@赵沉默" in text
    assert "未关闭问题点：高 1" in text
    assert "阶段进度：" in text and "物料采购" in text
    assert "1 个问题点今天到期" in text
    assert post_group_standup(session=session, group_id=group.id, now=local(9)) == []
    assert count(session, Outbox, Outbox.kind == "standup") == 1
    tomorrow = post_group_standup(session=session, group_id=group.id, now=local(8, 45, days=1))
    assert tomorrow


def test_the_standup_job_is_scheduled_per_group(db, session):
    _, _, group, _ = _crew(session)
    assert TARGETS[Task.standup] == "reminders.alert_jobs:standup"
    alert_jobs.standup(db=db, now=local(8, 45), services={}, group_id=group.id)
    alert_jobs.standup(db=db, now=local(8, 50), services={}, group_id=group.id)
    assert len(outbox(session, "standup")) == 1


def test_the_report_cutoff_posts_who_has_not_reported_with_mentions(db, session):
    _, _, group, silent = _crew(session)
    bind(session, silent, "zhao")
    session.commit()
    alert_jobs.report_cutoff(db=db, now=local(20), services={}, group_id=group.id)
    alert_jobs.report_cutoff(db=db, now=local(20, 5), services={}, group_id=group.id)
    missing = alerts(session, "report_missing")
    assert silent.id in {a.owner_id for a in missing}
    [row] = [r for r in outbox(session, "alert") if r.group_id == group.id]
    assert "日报未交" in row.message["title"] and "赵沉默" in row.message["text"]
    assert "zhao" in row.message["mention_user_ids"]
