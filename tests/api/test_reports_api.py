import io
from datetime import timedelta

import pytest

from app.services.core import local_date
from models import clock
from models.base import utcnow
from models.enums import Role
from models.reports import DailyReport, LabourEntry
from tests.factories import add_to_order, bearer, count, make_order, make_user
from tests.images import jpeg

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _setup(session):
    order = make_order(session)
    engineer = make_user(session, Role.site_engineer)
    add_to_order(session, order, engineer, Role.site_engineer)
    session.commit()
    return order, bearer(engineer), engineer


def _url(order_id, tail=""):
    return f"/api/orders/{order_id}/daily-reports{tail}"


REPORT = {
    "done_today": "完成设备就位",
    "plan_tomorrow": "接线",
    "problems": "",
    "hours": 9,
    "labour": [{"worker": "张三", "hours": 8, "work": "搬运"}],
}


def test_a_report_with_a_photo_is_filed_listed_and_updated(client, session):
    order, h, engineer = _setup(session)
    photo = client.post(
        f"/api/orders/{order.id}/photos",
        headers=h,
        data={"file": (io.BytesIO(jpeg()), "p.jpg")},
        content_type="multipart/form-data",
    ).get_json()
    r = client.post(_url(order.id), json={**REPORT, "photo_ids": [photo["id"]]}, headers=h)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["day"] == local_date(utcnow()).isoformat()
    assert body["user"]["id"] == engineer.id and body["labour"][0]["worker"] == "张三"
    assert client.get(body["photos"][0]["url"], headers=h).status_code == 200
    r = client.post(_url(order.id), json={**REPORT, "hours": 10}, headers=h)
    assert r.get_json()["id"] == body["id"] and r.get_json()["hours"] == 10
    items = client.get(_url(order.id), headers=h).get_json()["items"]
    assert len(items) == 1 and len(items[0]["photos"]) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": -2}, "hours"),
        ({"done_today": ""}, "done_today"),
        ({"labour": [{"worker": "", "hours": 3}]}, "labour.0.worker"),
        ({"labour": [{"worker": "张三", "hours": 30}]}, "labour.0.hours"),
        ({"day": "2026-13-01"}, "day"),
        ({"photo_ids": ["abc"]}, "photo_ids.0"),
    ],
)
def test_bad_reports_are_422_naming_the_field_and_store_nothing(client, session, change, field):
    order, h, _ = _setup(session)
    r = client.post(_url(order.id), json={**REPORT, **change}, headers=h)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert field in {f["field"] for f in error["details"]["fields"]}
    assert count(session, DailyReport) == 0 and count(session, LabourEntry) == 0


def test_a_report_dated_after_tomorrow_is_422(client, session):
    order, h, _ = _setup(session)
    later = (local_date(utcnow()) + timedelta(days=2)).isoformat()
    r = client.post(_url(order.id), json={**REPORT, "day": later}, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["message"] == "日报日期不能晚于明天"
    assert count(session, DailyReport) == 0


def test_a_report_for_another_order_is_403_and_an_unknown_photo_404(client, session):
    order, h, _ = _setup(session)
    other = make_order(session)
    session.commit()
    assert client.post(_url(other.id), json=REPORT, headers=h).status_code == 403
    r = client.post(_url(order.id), json={**REPORT, "photo_ids": [424242]}, headers=h)
    assert r.status_code == 404 and "424242" in r.get_json()["error"]["message"]
    assert count(session, DailyReport) == 0


def test_who_has_not_reported_today(client, session):
    order, h, _engineer = _setup(session)
    production = make_user(session, Role.production)
    add_to_order(session, order, production, Role.production)
    session.commit()
    client.post(_url(order.id), json=REPORT, headers=h)
    body = client.get(_url(order.id, "/missing"), headers=h).get_json()
    assert body["expected_roles"] == ["site_engineer", "production", "tracker"]
    assert {(m["user"]["id"], m["role"]) for m in body["items"]} == {
        (production.id, "production"),
        (order.liaison_id, "tracker"),
    }
    r = client.get(_url(order.id, "/missing?day=yesterday"), headers=h)
    assert r.status_code == 422


def test_the_labour_summary_endpoint(client, session):
    order, h, _ = _setup(session)
    client.post(_url(order.id), json=REPORT, headers=h)
    body = client.get(f"/api/orders/{order.id}/labour", headers=h).get_json()
    assert body["total_hours"] == 8 and body["by_worker"][0] == {
        "worker": "张三",
        "hours": 8,
        "days": 1,
    }
    today = clock.today()
    r = client.get(
        f"/api/orders/{order.id}/labour?start={today}&end={today - timedelta(days=1)}", headers=h
    )
    assert r.status_code == 422


def test_reports_are_only_for_those_who_see_the_order(client, session):
    order, _h, _ = _setup(session)
    stranger = make_user(session, Role.site_engineer)
    session.commit()
    assert client.get(_url(order.id), headers=bearer(stranger)).status_code == 403
    assert client.get(_url(order.id)).status_code == 401


def test_a_second_report_keeps_what_it_does_not_send(client, session):
    order, h, _ = _setup(session)
    client.post(_url(order.id), json={**REPORT, "problems": "缺垫片"}, headers=h)
    r = client.post(_url(order.id), json={"done_today": "完成接线"}, headers=h)
    body = r.get_json()
    assert (body["done_today"], body["plan_tomorrow"], body["problems"], body["hours"]) == (
        "完成接线",
        "接线",
        "缺垫片",
        9,
    )
    assert [line["worker"] for line in body["labour"]] == ["张三"]


def test_a_labourer_over_24_hours_in_a_day_is_422_in_chinese(client, session):
    order, h, _ = _setup(session)
    other, h2, _ = _setup(session)
    assert client.post(_url(other.id), json=REPORT, headers=h2).status_code == 200
    labour = [{"worker": "张三", "hours": 10}, {"worker": "张三", "hours": 7}]
    r = client.post(_url(order.id), json={**REPORT, "labour": labour}, headers=h)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "hours_over_day" and "点工「张三」" in error["message"]
    assert count(session, DailyReport) == 1 and count(session, LabourEntry) == 1
