"""收到 #A12 in chat acknowledges a warning; 收到 #12 still acknowledges a site issue."""

from __future__ import annotations

import pytest

from app.services.orders import update_stage
from bots.commands import parse, render
from models.enums import Role, StageKind
from models.stages import StageUpdate
from tests.alerting import alerts, run
from tests.bots.live import bind_all, passive_text, say
from tests.clocks import days
from tests.factories import act, make_procuring_order, make_user

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def test_alert_references_parse_and_render_back():
    for text in ("收到 #A12", "收到 A12", "收到 ＃Ａ１２", "ack #a12"):
        command = parse(text)
        assert (command.name, command.args["id"], command.args.get("alert")) == ("ack", 12, True)
        assert parse(render(command)) == command
    assert parse("收到 #12").args == {"id": 12, "note": None}


def test_acknowledging_a_warning_from_chat_stops_it(sim, gendan, session):
    tracker = make_user(session, Role.tracker, display_name="李跟单")
    order = make_procuring_order(session, tracker)
    update_stage(
        session=session,
        actor=act(session, tracker),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=days(-2)),
    )
    bind_all(session, tracker, "lisi")
    tracker_id = tracker.id
    session.commit()
    run(session)  # at noon: no report cut-off or quiet hours in the way
    [alert] = alerts(session)
    chat = "wecom:user:lisi"
    reply = passive_text(say(sim, chat, "lisi", f"收到 #A{alert.id}"))
    assert f"已确认收到预警 #A{alert.id}" in reply
    [acked] = alerts(session)
    assert acked.ack_via == "chat" and acked.acknowledged_by_id == tracker_id
    assert "已确认过" in passive_text(say(sim, chat, "lisi", f"收到 #A{alert.id}"))
    assert "不存在" in passive_text(say(sim, chat, "lisi", "收到 #A999999"))
