from models.contingency import ContingencyPlan, ContingencyStep
from models.enums import Role
from tests.factories import bearer, count, make_user


def _users(session):
    admin, tracker = make_user(session, Role.admin), make_user(session, Role.tracker)
    session.commit()
    return bearer(admin), bearer(tracker)


def test_the_library_lists_every_plan_and_filters_by_risk_type(client, session):
    _, tracker = _users(session)
    r = client.get("/api/contingency-plans", headers=tracker)
    assert r.status_code == 200 and len(r.get_json()["items"]) == 5
    r = client.get("/api/contingency-plans?risk_type=equipment_failure", headers=tracker)
    (plan,) = r.get_json()["items"]
    assert plan["risk_type_name"] == "设备故障" and plan["steps"][0]["position"] == 1
    assert client.get(f"/api/contingency-plans/{plan['id']}", headers=tracker).status_code == 200


def test_an_admin_replaces_a_plan(client, session):
    admin, _ = _users(session)
    plan = client.get("/api/contingency-plans?risk_type=weather", headers=admin).get_json()
    plan_id = plan["items"][0]["id"]
    assert client.delete(f"/api/contingency-plans/{plan_id}", headers=admin).status_code == 204
    body = {
        "risk_type": "weather",
        "title": "台风应急预案",
        "summary": "台风预警发布后执行",
        "steps": [
            {"action": "暂停吊装作业", "role": "site_engineer"},
            {"action": "改期发货并通知客户", "role": "logistics"},
        ],
    }
    r = client.post("/api/contingency-plans", json=body, headers=admin)
    assert r.status_code == 201
    created = r.get_json()
    assert [s["role_name"] for s in created["steps"]] == ["现场工程师", "物流"]
    r = client.patch(
        f"/api/contingency-plans/{created['id']}", json={"summary": "黄色预警起执行"}, headers=admin
    )
    assert r.status_code == 200 and r.get_json()["summary"] == "黄色预警起执行"
    assert len(r.get_json()["steps"]) == 2


def test_a_second_plan_for_a_risk_type_is_a_409(client, session):
    admin, _ = _users(session)
    body = {"risk_type": "labour", "title": "x", "steps": [{"action": "y"}]}
    r = client.post("/api/contingency-plans", json=body, headers=admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "plan_exists"
    assert count(session, ContingencyPlan) == 5


def test_bad_plans_are_a_422_and_nothing_is_stored(client, session):
    admin, _ = _users(session)
    steps_before = count(session, ContingencyStep)
    for body in (
        {"risk_type": "flood", "title": "x", "steps": [{"action": "y"}]},
        {"risk_type": "weather", "title": "", "steps": [{"action": "y"}]},
        {"risk_type": "weather", "title": "x", "steps": []},
        {"risk_type": "weather", "title": "x", "steps": [{"action": "y", "role": "pilot"}]},
        {"risk_type": "weather", "title": "x", "steps": [{"action": "y" * 201}]},
    ):
        r = client.post("/api/contingency-plans", json=body, headers=admin)
        assert r.status_code == 422, body
    plan_id = client.get("/api/contingency-plans", headers=admin).get_json()["items"][0]["id"]
    r = client.patch(f"/api/contingency-plans/{plan_id}", json={"steps": []}, headers=admin)
    assert r.status_code == 422
    assert count(session, ContingencyPlan) == 5
    assert count(session, ContingencyStep) == steps_before


def test_trackers_read_but_do_not_change_the_library(client, session):
    _, tracker = _users(session)
    plan_id = client.get("/api/contingency-plans", headers=tracker).get_json()["items"][0]["id"]
    r = client.delete(f"/api/contingency-plans/{plan_id}", headers=tracker)
    assert r.status_code == 403 and r.get_json()["error"]["message"] == "只有管理员可以维护应急预案"
    assert count(session, ContingencyPlan) == 5


def test_an_unknown_plan_is_a_404(client, session):
    admin, _ = _users(session)
    assert client.get("/api/contingency-plans/9999", headers=admin).status_code == 404
    r = client.patch("/api/contingency-plans/9999", json={"title": "x"}, headers=admin)
    assert r.status_code == 404 and r.get_json()["error"]["message"] == "应急预案不存在"
