"""GET /api/me/todo (我的待办): warnings to acknowledge, overdue issues, today's milestones and
shortages, each of the signed-in person's own orders only, the day from the project's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import clock
from models.alerts import Alert
from models.enums import RiskLevel, Role, StageKind
from models.production import Operation
from models.stages import Stage
from tests.clocks import local, pin_clock, today
from tests.factories import (
    add_to_order,
    bearer,
    make_bom_line,
    make_order,
    make_procuring_order,
    make_user,
)

pytestmark = pytest.mark.clock
_pinned = pin_clock()


def _alert(session, order, owner, message="物料缺口：垫片") -> Alert:
    alert = Alert(
        rule="shortage",
        entity_type="user",
        entity_id=owner.id,
        order_id=order.id,
        level=RiskLevel.high,
        day=today(),
        owner_id=owner.id,
        message=message,
    )
    session.add(alert)
    session.flush()
    return alert


def _todo(client, user) -> dict:
    r = client.get("/api/me/todo", headers=bearer(user))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_list_holds_only_my_warnings_and_an_acknowledged_one_leaves_it(client, session):
    order = make_order(session)
    me = make_user(session, Role.site_engineer)
    other = make_user(session, Role.site_engineer)
    add_to_order(session, order, me, Role.site_engineer)
    add_to_order(session, order, other, Role.site_engineer)
    mine = _alert(session, order, me)
    _alert(session, order, other, message="别人的预警")
    session.commit()
    body = _todo(client, me)
    assert body["day"] == today().isoformat()
    assert [a["id"] for a in body["alerts"]] == [mine.id]
    assert body["alerts"][0]["order_code"] == order.code
    r = client.post(f"/api/alerts/{mine.id}/ack", headers=bearer(me))
    assert r.status_code == 200, r.get_json()
    assert _todo(client, me)["alerts"] == []


def test_the_liaison_sees_the_warnings_of_the_orders_they_run(client, session):
    order = make_order(session)
    engineer = make_user(session, Role.site_engineer)
    add_to_order(session, order, engineer, Role.site_engineer)
    alert = _alert(session, order, engineer)
    session.commit()
    liaison = session.get(type(engineer), order.liaison_id)
    assert [a["id"] for a in _todo(client, liaison)["alerts"]] == [alert.id]
    outsider = make_user(session, Role.site_engineer)
    session.commit()
    assert _todo(client, outsider)["alerts"] == []


def test_an_issue_i_own_appears_once_it_is_past_due(client, session):
    order = make_order(session)
    owner = make_user(session, Role.production)
    add_to_order(session, order, owner, Role.production)
    session.commit()
    r = client.post(
        f"/api/orders/{order.id}/issues",
        json={"description": "法兰漏水", "risk": "high", "owner_id": owner.id},
        headers=bearer(session.get(type(owner), order.liaison_id)),
    )
    assert r.status_code == 201, r.get_json()
    number = r.get_json()["id"]
    assert _todo(client, owner)["overdue_issues"] == []
    with clock.frozen(local(10, days_after=5)):
        late = _todo(client, owner)["overdue_issues"]
        assert [i["id"] for i in late] == [number] and late[0]["overdue"]
        client.post(
            f"/api/issues/{number}/resolve", json={"resolution": "已紧固"}, headers=bearer(owner)
        )
        assert _todo(client, owner)["overdue_issues"] == []


def test_todays_milestones_are_the_unfinished_stages_and_steps_due_today(client, session):
    order = make_order(session)
    me = make_user(session, Role.production)
    add_to_order(session, order, me, Role.production)
    stages = {s.kind: s for s in session.exec(select(Stage).where(Stage.order_id == order.id))}
    stages[StageKind.procurement].planned_end = today()
    stages[StageKind.production].planned_end = today() + timedelta(days=1)
    for name, end in (("下料", today()), ("焊接", today() - timedelta(days=1))):
        session.add(
            Operation(
                order_id=order.id,
                name=name,
                planned_qty=10,
                planned_start=today() - timedelta(days=3),
                planned_end=end,
            )
        )
    session.add_all(stages.values())
    session.commit()
    found = _todo(client, me)["milestones"]
    assert [(m["kind"], m["name"]) for m in found] == [("stage", "物料采购"), ("operation", "下料")]
    assert all(m["order_code"] == order.code and m["status_name"] for m in found)
    with clock.frozen(local(10, days_after=1)):
        found = _todo(client, me)["milestones"]
        assert [m["name"] for m in found] == ["生产制造"]


def test_shortages_are_those_of_my_orders(client, session):
    mine = make_procuring_order(session)
    theirs = make_procuring_order(session)
    me = make_user(session, Role.buyer)
    add_to_order(session, mine, me, Role.buyer)
    make_bom_line(session, mine, days=3)
    make_bom_line(session, theirs, days=3)
    session.commit()
    found = _todo(client, me)["shortages"]
    assert found and {s["order_id"] for s in found} == {mine.id}


def test_without_a_token_the_list_is_refused(client):
    r = client.get("/api/me/todo")
    assert r.status_code == 401
    assert r.get_json()["error"]["message"]


def test_a_manager_on_an_order_gets_the_warnings_they_own_not_all_they_may_acknowledge(
    client, session
):
    order = make_order(session)
    manager = make_user(session, Role.manager)
    engineer = make_user(session, Role.site_engineer)
    add_to_order(session, order, manager, Role.manager)
    add_to_order(session, order, engineer, Role.site_engineer)
    theirs = _alert(session, order, manager)
    _alert(session, order, engineer)
    session.commit()
    assert [a["id"] for a in _todo(client, manager)["alerts"]] == [theirs.id]
