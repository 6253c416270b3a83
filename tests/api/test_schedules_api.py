from models.enums import Role
from models.reminders import GroupSchedule
from tests.factories import bearer, count, make_user


def _users(session):
    admin, tracker = make_user(session, Role.admin), make_user(session, Role.tracker)
    session.commit()
    return bearer(admin), bearer(tracker)


def test_an_admin_moves_a_groups_standup_and_resets_it(client, session):
    admin, tracker = _users(session)
    r = client.put(
        "/api/schedules/groups/5",
        json={"standup_time": "09:30", "standup_days": "mon,wed,fri"},
        headers=admin,
    )
    assert r.status_code == 200
    body = r.get_json()
    assert body["standup_time"] == "09:30" and body["standup_days_name"] == "周一、周三、周五"
    listed = client.get("/api/schedules", headers=tracker).get_json()
    assert listed["defaults"]["standup_time"] == "08:45"
    assert [i["group_id"] for i in listed["items"]] == [5]
    r = client.delete("/api/schedules/groups/5", headers=admin)
    assert r.status_code == 200 and r.get_json()["standup_time"] == "08:45"
    assert client.delete("/api/schedules/groups/5", headers=admin).status_code == 404


def test_bad_schedules_are_a_422_and_a_tracker_gets_a_403(client, session):
    admin, tracker = _users(session)
    for body in ({"standup_time": "25:00"}, {"standup_days": ""}, {"standup_enabled": "maybe"}):
        assert client.put("/api/schedules/groups/5", json=body, headers=admin).status_code == 422
    r = client.put("/api/schedules/groups/5", json={"standup_time": "9:00"}, headers=tracker)
    assert r.status_code == 403
    assert count(session, GroupSchedule) == 0
