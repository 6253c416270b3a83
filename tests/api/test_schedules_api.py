import jsonschema_rs
import pytest

from models.enums import Role
from models.reminders import GroupSchedule
from tests.factories import bearer, count, make_chat_group, make_user


def _setup(session):
    admin, tracker = make_user(session, Role.admin), make_user(session, Role.tracker)
    group = make_chat_group(session, name="三号项目群")
    session.commit()
    return bearer(admin), bearer(tracker), f"/api/schedules/groups/{group.id}", group


def test_an_admin_moves_a_groups_standup_and_resets_it(client, session):
    admin, tracker, url, group = _setup(session)
    r = client.put(
        url, json={"standup_time": "09:30", "standup_days": "mon,wed,fri"}, headers=admin
    )
    assert r.status_code == 200
    body = r.get_json()
    assert body["standup_time"] == "09:30" and body["standup_days_name"] == "周一、周三、周五"
    assert body["group_name"] == "三号项目群"
    listed = client.get("/api/schedules", headers=tracker).get_json()
    assert listed["defaults"]["standup_time"] == "08:45"
    assert [(i["group_id"], i["standup_time"]) for i in listed["items"]] == [(group.id, "09:30")]
    r = client.delete(url, headers=admin)
    assert r.status_code == 200 and r.get_json()["standup_time"] == "08:45"
    assert client.delete(url, headers=admin).status_code == 404


def test_bad_schedules_are_a_422_unknown_groups_a_404_and_a_tracker_gets_a_403(client, session):
    admin, tracker, url, _ = _setup(session)
    for body in ({"standup_time": "25:00"}, {"standup_days": ""}, {"standup_enabled": "maybe"}):
        assert client.put(url, json=body, headers=admin).status_code == 422
    r = client.put("/api/schedules/groups/999", json={"standup_time": "9:00"}, headers=admin)
    assert r.status_code == 404 and r.get_json()["error"]["message"] == "聊天群不存在"
    assert client.put(url, json={"standup_time": "9:00"}, headers=tracker).status_code == 403
    assert count(session, GroupSchedule) == 0


def test_a_group_schedule_is_shown_only_to_who_may_see_the_group(client, session):
    admin, tracker, url, _ = _setup(session)
    r = client.get(url, headers=tracker)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_order_member"
    customer = bearer(make_user(session, Role.customer))
    session.commit()
    r = client.get(url, headers=customer)
    assert (
        r.status_code == 403
        and r.get_json()["error"]["message"] == "只有管理员、管理层或跟单员可以管理聊天群"
    )
    assert client.get(url, headers=admin).status_code == 200


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ({"standup_days": " Mon - Sat "}, True),
        ({"standup_days": "sat-mon,wed"}, True),
        ({"standup_time": "7:05", "report_cutoff": "23:59"}, True),
        ({"standup_days": "monday"}, False),
        ({"standup_days": "¨%"}, False),  # schemathesis sent text like this as valid data
        ({"standup_days": "mon,,fri"}, False),
        ({"standup_time": "٠٨:٤٥"}, False),  # not ASCII digits
        ({"report_cutoff": "24:00"}, False),
    ],
)
def test_a_schedule_is_refused_exactly_where_the_document_says(client, session, body, accepted):
    admin, _, url, _ = _setup(session)
    spec = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    fields = spec["GroupScheduleIn"]["properties"]
    for name, value in body.items():
        text = next(n for n in fields[name]["anyOf"] if n.get("type") == "string")
        assert jsonschema_rs.validator_for(text).is_valid(value) is accepted, (name, value)
    r = client.put(url, json=body, headers=admin)
    assert r.status_code == (200 if accepted else 422), r.get_json()
    if not accepted:
        assert r.get_json()["error"]["code"] == "validation_error"
