from datetime import timedelta

import pytest

from models.enums import Role
from models.production import Operation, OperationLink, OperationOutput, OperationTemplate
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import bearer, count, make_user
from tests.production_factories import make_team

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
_pinned_clock = pin_clock(TODAY)


def _ops_url(team):
    return f"/api/orders/{team.order.id}/operations"


def _op(client, team, who="production", **fields):
    body = {
        "name": "焊接",
        "planned_qty": 10,
        "planned_start": str(TODAY - timedelta(days=4)),
        "planned_end": str(TODAY + timedelta(days=5)),
        "work_weekdays": [1, 2, 3, 4, 5, 6, 7],
        **fields,
    }
    return client.post(_ops_url(team), json=body, headers=team.headers(who))


def _output(client, team, op_id, who="production", **fields):
    body = {"day": str(TODAY), "quantity": 3, **fields}
    return client.post(f"{_ops_url(team)}/{op_id}/outputs", json=body, headers=team.headers(who))


@pytest.fixture()
def team(session):
    team = make_team(session, production_started=True)
    session.commit()
    return team


def test_plan_report_and_read_the_dashboard_views(client, session, team):
    r = client.post(
        f"{_ops_url(team)}/from-templates",
        json={
            "planned_qty": 8,
            "planned_start": str(TODAY - timedelta(days=6)),
            "planned_end": str(TODAY + timedelta(days=29)),
        },
        headers=team.headers("production"),
    )
    assert r.status_code == 201, r.get_json()
    ops = {o["name"]: o for o in r.get_json()["items"]}
    assert ops["焊接"]["depends_on"] == [ops["下料"]["id"]]
    assert _output(client, team, ops["下料"]["id"], quantity=1).status_code == 200
    again = _output(client, team, ops["下料"]["id"], quantity=2, note="更正")
    assert again.status_code == 200 and again.get_json()["quantity"] == 2
    assert again.get_json()["reporter"]["id"] == team.production.id
    h = team.headers("tracker")
    base = f"/api/orders/{team.order.id}"
    overview = client.get(f"{base}/production/overview", headers=h).get_json()
    assert overview["bottleneck"]["name"] == "下料"
    assert overview["operations"][0]["series"]["actual_cum"][-1] == 2
    board = client.get(f"{base}/production/kanban?day={TODAY}", headers=h).get_json()
    assert [c["key"] for c in board["columns"]] == ["not_started", "in_progress", "blocked", "done"]
    chart = client.get(f"{base}/production/gantt", headers=h).get_json()
    assert len(chart["stages"]) == 5 and len(chart["operations"]) == 7
    stages = client.get(f"{base}/stages", headers=h).get_json()["items"]
    production = next(s for s in stages if s["kind"] == "production")
    assert production["progress"] == 3  # 2 of 8 on one of seven equal operations: 3.57%
    listed = client.get(f"{base}/outputs?operation_id={ops['下料']['id']}", headers=h).get_json()
    assert [o["quantity"] for o in listed["items"]] == [2]


@pytest.mark.parametrize(
    ("fields", "word"),
    [
        ({"quantity": -1}, "数值过小"),
        ({"quantity": "many"}, "应为数字"),
        ({"day": "yesterday"}, "日期格式"),
        ({"day": str(TODAY + timedelta(days=1))}, "不能填报未来日期的产量"),
    ],
)
def test_bad_output_is_a_422_and_nothing_is_stored(client, session, team, fields, word):
    op_id = _op(client, team).get_json()["id"]
    r = _output(client, team, op_id, **fields)
    assert r.status_code == 422 and word in r.get_json()["error"]["message"]
    assert count(session, OperationOutput) == 0


def test_a_buyer_reporting_output_is_a_403(client, session, team):
    op_id = _op(client, team).get_json()["id"]
    r = _output(client, team, op_id, who="buyer")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden_role"
    assert count(session, OperationOutput) == 0


def test_another_orders_operation_is_a_404(client, session, team):
    other = make_team(session, production_started=True)
    session.commit()
    foreign = _op(client, other).get_json()["id"]
    r = _output(client, team, foreign)
    assert r.status_code == 404
    r = client.patch(
        f"{_ops_url(team)}/{foreign}", json={"planned_qty": 1}, headers=team.headers("tracker")
    )
    assert r.status_code == 404
    assert count(session, OperationOutput) == 0


def test_a_dependency_cycle_is_a_422_naming_the_loop(client, session, team):
    a = _op(client, team, name="焊接").get_json()["id"]
    b = _op(client, team, name="热处理", depends_on=[a]).get_json()["id"]
    r = client.patch(
        f"{_ops_url(team)}/{a}", json={"depends_on": [b]}, headers=team.headers("production")
    )
    error = r.get_json()["error"]
    assert r.status_code == 422 and error["code"] == "dependency_cycle"
    assert error["message"] == "工序依赖不能形成循环：焊接 → 热处理 → 焊接"
    assert count(session, OperationLink) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"planned_qty": 0},
        {"planned_end": str(TODAY - timedelta(days=30))},
        {"work_weekdays": [0, 8]},
        {"work_weekdays": []},
        {"daily_plan": {str(TODAY): 4}},
        {"daily_plan": {str(TODAY): -10, str(TODAY - timedelta(days=1)): 20}},
        {"name": ""},
    ],
)
def test_a_bad_operation_is_a_422_and_nothing_is_stored(client, session, team, fields):
    r = _op(client, team, **fields)
    assert r.status_code == 422 and r.get_json()["error"]["message"]
    assert count(session, Operation) == 0


def test_blocking_an_operation_shows_on_the_board(client, session, team):
    op_id = _op(client, team).get_json()["id"]
    url = f"{_ops_url(team)}/{op_id}/block"
    r = client.post(url, json={"blocked": True}, headers=team.headers("production"))
    assert r.status_code == 422
    r = client.post(
        url, json={"blocked": True, "reason": "缺焊丝"}, headers=team.headers("production")
    )
    assert r.status_code == 200 and r.get_json()["blocked_reason"] == "缺焊丝"
    board = client.get(
        f"/api/orders/{team.order.id}/production/kanban", headers=team.headers("quality")
    ).get_json()
    assert board["columns"][2]["cards"][0]["blocked_reason"] == "缺焊丝"


def test_an_operation_with_output_is_not_deleted(client, session, team):
    op_id = _op(client, team).get_json()["id"]
    _output(client, team, op_id)
    r = client.delete(f"{_ops_url(team)}/{op_id}", headers=team.headers("production"))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "operation_has_output"
    assert count(session, Operation) == 1


def test_templates_are_read_by_everyone_and_edited_by_admins(client, session):
    worker = make_user(session, Role.production)
    admin = make_user(session, Role.admin)
    session.commit()
    r = client.get("/api/operation-templates", headers=bearer(worker))
    names = [t["name"] for t in r.get_json()["items"]]
    assert names[:3] == ["下料", "焊接", "热处理"]
    r = client.post("/api/operation-templates", json={"name": "喷砂"}, headers=bearer(worker))
    assert r.status_code == 403
    r = client.post(
        "/api/operation-templates",
        json={"name": "喷砂", "depends_on": [12345]},
        headers=bearer(admin),
    )
    assert r.status_code == 404  # the predecessor does not exist
    assert count(session, OperationTemplate, OperationTemplate.name == "喷砂") == 0
    r = client.post(
        "/api/operation-templates",
        json={"name": "喷砂", "unit": "台", "position": 65},
        headers=bearer(admin),
    )
    assert r.status_code == 201
    tid = r.get_json()["id"]
    assert (
        client.delete(f"/api/operation-templates/{tid}", headers=bearer(admin)).status_code == 204
    )


def test_the_openapi_document_lists_the_production_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/orders/{order_id}/operations",
        "/api/orders/{order_id}/operations/{operation_id}/outputs",
        "/api/orders/{order_id}/production/overview",
        "/api/orders/{order_id}/production/kanban",
        "/api/orders/{order_id}/production/gantt",
        "/api/orders/{order_id}/inspections",
        "/api/orders/{order_id}/reworks/{rework_id}/done",
        "/api/orders/{order_id}/shipments/{shipment_id}/status",
        "/api/operation-templates",
    ):
        assert path in paths


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"planned_qty": 0}, "数值过小"),
        (
            {
                "planned_qty": 5,
                "planned_start": str(TODAY),
                "planned_end": str(TODAY - timedelta(days=1)),
            },
            "计划结束日期不能早于计划开始日期",
        ),
    ],
)
def test_bad_template_plans_are_a_422_and_nothing_is_stored(client, session, team, body, word):
    r = client.post(
        f"{_ops_url(team)}/from-templates", json=body, headers=team.headers("production")
    )
    assert r.status_code == 422 and word in r.get_json()["error"]["message"]
    assert count(session, Operation) == 0


def test_an_unknown_template_in_a_plan_is_404_and_nothing_is_stored(client, session, team):
    body = {"planned_qty": 5, "template_ids": [99999]}
    r = client.post(
        f"{_ops_url(team)}/from-templates", json=body, headers=team.headers("production")
    )
    assert r.status_code == 404
    assert r.get_json()["error"]["details"]["field"] == "template_ids"
    assert "工序模板 [99999] 不存在" in r.get_json()["error"]["message"]
    assert count(session, Operation) == 0


def test_blocking_without_a_reason_changes_nothing(client, session, team):
    op_id = _op(client, team).get_json()["id"]
    r = client.post(
        f"{_ops_url(team)}/{op_id}/block", json={"blocked": True}, headers=team.headers("tracker")
    )
    assert r.status_code == 422 and r.get_json()["error"]["message"] == "标记受阻时必须填写原因"
    assert count(session, Operation, Operation.blocked) == 0


def test_an_unknown_predecessor_operation_is_a_404_naming_the_field(client, session, team):
    r = _op(client, team, depends_on=[987654])
    assert r.status_code == 404, r.get_json()
    error = r.get_json()["error"]
    assert error["details"]["field"] == "depends_on" and "不存在" in error["message"]
    assert count(session, Operation) == 0
