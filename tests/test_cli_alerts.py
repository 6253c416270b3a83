"""`flask --app wsgi sweep` and `standup`: run the warning sweep or a standup by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.orders import update_stage
from models.alerts import Alert
from models.chat import ChatGroupOrder
from models.enums import StageKind
from models.outbox import Outbox
from models.people import User
from models.stages import StageUpdate
from tests.clocks import today
from tests.factories import act, count, make_chat_group, make_procuring_order

# The sweep runs at the wall clock's today: `make test-clock` runs these around midnight too.
pytestmark = pytest.mark.clock


def _late_order(session, code="GD-SW-1"):
    order = make_procuring_order(session, code=code)
    update_stage(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=today() - timedelta(days=2)),
    )
    make_chat_group(session, order_ids=[order.id])
    session.commit()
    return order


def test_sweep_dry_run_prints_the_warnings_and_stores_nothing(app, session):
    _late_order(session)
    r = app.test_cli_runner().invoke(args=["sweep", "--rule", "stage_overdue", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "阶段逾期 GD-SW-1" in r.output and "将发出预警 1 条" in r.output
    assert "试运行" in r.output
    session.commit()
    assert count(session, Alert) == 0 and count(session, Outbox, Outbox.kind == "alert") == 0


def test_sweep_raises_and_queues_the_warnings_once(app, session):
    _late_order(session)
    runner = app.test_cli_runner()
    r = runner.invoke(args=["sweep", "--rule", "stage_overdue"])
    assert r.exit_code == 0 and "已发出预警 1 条，消息 1 条" in r.output, r.output
    [alert] = session.exec(Alert.__table__.select()).all()
    assert f"#A{alert.id}" in r.output
    session.commit()  # release SQLite's lock before the command writes
    again = runner.invoke(args=["sweep", "--rule", "stage_overdue"])
    assert "已发出预警 0 条" in again.output
    session.commit()
    assert count(session, Alert) == 1 and count(session, Outbox, Outbox.kind == "alert") == 1


def test_sweep_refuses_an_unknown_rule_and_names_the_rules(app, session):
    r = app.test_cli_runner().invoke(args=["sweep", "--rule", "nope"])
    assert r.exit_code != 0 and "没有规则「nope」" in r.output and "stage_overdue" in r.output
    session.commit()
    assert count(session, Alert) == 0


def test_standup_of_an_order_prints_with_dry_run_and_posts_once_without(app, session):
    _late_order(session, "GD-SU-1")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["standup", "--order", "gd-su-1", "--dry-run"])
    assert r.exit_code == 0 and "GD-SU-1" in r.output and "已排队" not in r.output, r.output
    session.commit()
    assert count(session, Outbox, Outbox.kind == "standup") == 0
    r = runner.invoke(args=["standup", "--order", "GD-SU-1"])
    assert r.exit_code == 0 and "已排队发送到 1 个群" in r.output, r.output
    r = runner.invoke(args=["standup", "--order", "GD-SU-1"])
    assert "没有发送" in r.output
    session.commit()
    assert count(session, Outbox, Outbox.kind == "standup") == 1


def test_standup_of_a_group_prints_and_posts(app, session):
    order = _late_order(session, "GD-SU-2")
    group_id = (
        session.exec(ChatGroupOrder.__table__.select().where(ChatGroupOrder.order_id == order.id))
        .first()
        .group_id
    )
    session.commit()  # release SQLite's lock before the command writes
    runner = app.test_cli_runner()
    r = runner.invoke(args=["standup", "--group", str(group_id), "--dry-run"])
    assert r.exit_code == 0 and "站会" in r.output and "GD-SU-2" in r.output, r.output
    r = runner.invoke(args=["standup", "--group", str(group_id)])
    assert r.exit_code == 0 and "已排队发送到 1 个群" in r.output, r.output
    session.commit()
    assert count(session, Outbox, Outbox.kind == "standup") == 1


def test_standup_refuses_bad_arguments_with_a_clear_message(app, session):
    runner = app.test_cli_runner()
    both = runner.invoke(args=["standup"])
    assert both.exit_code != 0 and "请指定 --group 或 --order 其中之一" in both.output
    missing = runner.invoke(args=["standup", "--order", "NO-1"])
    assert missing.exit_code != 0 and "订单 NO-1 不存在" in missing.output
    group = runner.invoke(args=["standup", "--group", "999999"])
    assert group.exit_code != 0 and "不存在" in group.output
    session.commit()
    assert count(session, Outbox, Outbox.kind == "standup") == 0
