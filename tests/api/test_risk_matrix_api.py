from models.enums import Role
from models.reminders import RiskMatrixSetting
from tests.factories import bearer, count, make_user


def _users(session):
    admin, tracker = make_user(session, Role.admin), make_user(session, Role.tracker)
    session.commit()
    return bearer(admin), bearer(tracker)


def test_everyone_signed_in_reads_the_matrix_and_admins_change_it(client, session):
    admin, tracker = _users(session)
    r = client.get("/api/risk-matrix", headers=tracker)
    assert r.status_code == 200
    body = r.get_json()
    assert body["levels"][0] == {
        "level": "high",
        "name": "高",
        "limit_minutes": 120,
        "limit_hours": 2.0,
    }
    assert body["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert body["timezone"] == "Asia/Shanghai"
    r = client.put(
        "/api/risk-matrix",
        json={"levels": [{"level": "high", "limit_minutes": 60}], "quiet_hours_off": True},
        headers=admin,
    )
    assert r.status_code == 200
    assert r.get_json()["levels"][0]["limit_minutes"] == 60
    assert r.get_json()["quiet_hours"] is None and r.get_json()["customised"]
    r = client.delete("/api/risk-matrix", headers=admin)
    assert r.status_code == 200 and not r.get_json()["customised"]


def test_a_tracker_may_not_change_the_matrix(client, session):
    _, tracker = _users(session)
    r = client.put("/api/risk-matrix", json={"quiet_hours_off": True}, headers=tracker)
    assert r.status_code == 403 and r.get_json()["error"]["message"] == "只有管理员可以修改风险矩阵"
    assert count(session, RiskMatrixSetting) == 0


def test_bad_input_is_a_422_and_nothing_is_stored(client, session):
    admin, _ = _users(session)
    for body in (
        {"levels": [{"level": "urgent", "limit_minutes": 60}]},
        {"levels": [{"level": "high", "limit_minutes": 0}]},
        {"levels": []},
        {"levels": [{"level": "high", "limit_minutes": 5000}]},
        {"quiet_hours": {"start": "night", "end": "07:00"}},
    ):
        r = client.put("/api/risk-matrix", json=body, headers=admin)
        assert r.status_code == 422, body
    assert count(session, RiskMatrixSetting) == 0


def test_reading_the_matrix_needs_a_sign_in(client):
    assert client.get("/api/risk-matrix").status_code == 401
