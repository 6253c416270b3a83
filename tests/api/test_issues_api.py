import io

import pytest

from models.enums import Role
from models.issues import IssueEvent, SiteIssue
from models.people import User
from tests.factories import add_to_order, bearer, count, make_order, make_user
from tests.images import jpeg


def _setup(session):
    order = make_order(session)
    engineer = make_user(session, Role.site_engineer)
    production = make_user(session, Role.production)
    add_to_order(session, order, engineer, Role.site_engineer)
    add_to_order(session, order, production, Role.production)
    session.commit()
    return order, engineer, production


def _photo(client, order_id, h, seed=1):
    r = client.post(
        f"/api/orders/{order_id}/photos",
        headers=h,
        data={"file": (io.BytesIO(jpeg(seed=seed)), "p.jpg")},
        content_type="multipart/form-data",
    )
    return r.get_json()["id"]


def _create(client, order_id, h, **values):
    body = {"description": "基础螺栓孔位偏差 5mm", "risk": "high", **values}
    return client.post(f"/api/orders/{order_id}/issues", json=body, headers=h)


def test_an_issue_goes_round_the_loop_through_the_api(client, session):
    order, engineer, production = _setup(session)
    he, hp = bearer(engineer), bearer(production)
    photo = _photo(client, order.id, he)
    r = _create(
        client, order.id, he, owner_id=production.id, photo_ids=[photo], location="1 号基础"
    )
    assert r.status_code == 201, r.get_json()
    issue = r.get_json()
    assert issue["state"] == "open" and issue["risk_name"] == "高" and issue["order_code"]
    assert issue["owner"]["id"] == production.id and not issue["overdue"]
    number = issue["id"]
    r = client.post(f"/api/issues/{number}/acknowledge", headers=hp)
    assert r.status_code == 200 and r.get_json()["state_name"] == "处理中"
    assert r.get_json()["response_seconds"] is not None
    fix = _photo(client, order.id, hp, seed=2)
    r = client.post(
        f"/api/issues/{number}/resolve",
        json={"resolution": "重新开孔", "photo_ids": [fix]},
        headers=hp,
    )
    assert r.status_code == 200 and r.get_json()["resolution_photos"][0]["id"] == fix
    r = client.post(f"/api/issues/{number}/verify", json={}, headers=he)
    assert r.status_code == 200
    body = r.get_json()
    assert body["state"] == "verified" and body["verified_by"]["id"] == engineer.id
    assert [e["action"] for e in body["events"]] == [
        "created",
        "acknowledged",
        "resolved",
        "verified",
    ]


def test_forbidden_steps_answer_403_or_409_and_change_nothing(client, session):
    order, engineer, production = _setup(session)
    he, hp = bearer(engineer), bearer(production)
    number = _create(client, order.id, he, owner_id=engineer.id).get_json()["id"]
    r = client.post(f"/api/issues/{number}/acknowledge", headers=hp)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_issue_owner"
    r = client.post(f"/api/issues/{number}/verify", json={}, headers=he)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "issue_state"
    client.post(f"/api/issues/{number}/resolve", json={"resolution": "已处理"}, headers=he)
    r = client.post(f"/api/issues/{number}/verify", json={}, headers=he)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "own_resolution"
    tracker = bearer(session.get(User, order.liaison_id))
    assert client.post(f"/api/issues/{number}/verify", headers=tracker).status_code == 200
    r = client.post(f"/api/issues/{number}/resolve", json={"resolution": "再处理"}, headers=he)
    assert r.status_code == 409
    r = client.post(f"/api/issues/{number}/reopen", json={"reason": "又坏了"}, headers=tracker)
    assert r.status_code == 409
    assert count(session, IssueEvent) == 3


def test_reopening_needs_a_reason(client, session):
    order, engineer, production = _setup(session)
    he, hp = bearer(engineer), bearer(production)
    number = _create(client, order.id, he, owner_id=production.id).get_json()["id"]
    client.post(f"/api/issues/{number}/resolve", json={"resolution": "已处理"}, headers=hp)
    r = client.post(f"/api/issues/{number}/reopen", json={"reason": " "}, headers=he)
    assert r.status_code == 422
    r = client.post(f"/api/issues/{number}/reopen", json={"reason": "仍渗漏"}, headers=he)
    assert r.status_code == 200 and r.get_json()["state"] == "reopened"


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"risk": "critical"}, 422),
        ({"description": ""}, 422),
        ({"category": "天气"}, 422),
        ({"due_at": "tomorrow"}, 422),
        ({"due_at": "2000-01-01T00:00:00+08:00"}, 422),
        ({"owner_id": 999999}, 404),
        ({"photo_ids": [999999]}, 404),
    ],
)
def test_bad_issues_are_refused_and_nothing_is_stored(client, session, values, status):
    order, engineer, _ = _setup(session)
    r = _create(client, order.id, bearer(engineer), **values)
    assert r.status_code == status and r.get_json()["error"]["message"]
    assert count(session, SiteIssue) == 0 and count(session, IssueEvent) == 0


def test_issue_photos_are_served_only_to_those_who_see_the_order(client, session):
    order, engineer, _ = _setup(session)
    he = bearer(engineer)
    photo = _photo(client, order.id, he)
    number = _create(client, order.id, he, photo_ids=[photo]).get_json()["id"]
    stranger = make_user(session, Role.site_engineer)
    session.commit()
    url = client.get(f"/api/issues/{number}", headers=he).get_json()["photos"][0]["url"]
    assert client.get(url, headers=he).status_code == 200
    assert client.get(url, headers=bearer(stranger)).status_code == 403
    assert client.get(f"/api/issues/{number}", headers=bearer(stranger)).status_code == 403


def test_listing_with_filters_and_paging(client, session):
    order, engineer, production = _setup(session)
    he = bearer(engineer)
    _create(client, order.id, he, owner_id=production.id)
    _create(client, order.id, he, risk="low", category="safety")
    other = make_order(session)
    session.commit()
    body = client.get(f"/api/issues?order_id={order.id}", headers=he).get_json()
    assert body["total"] == 2 and len(body["items"]) == 2
    body = client.get("/api/issues?risk=low&category=safety", headers=he).get_json()
    assert body["total"] == 1 and body["items"][0]["category_name"] == "安全"
    assert client.get(f"/api/issues?owner_id={production.id}", headers=he).get_json()["total"] == 1
    assert client.get("/api/issues?overdue=true", headers=he).get_json()["total"] == 0
    assert client.get("/api/issues?state=closed", headers=he).status_code == 422
    assert client.get(f"/api/issues?order_id={other.id}", headers=he).status_code == 403
    assert client.get("/api/issues/424242", headers=he).status_code == 404


def test_an_issue_is_reassigned_by_the_tracker(client, session):
    order, engineer, production = _setup(session)
    tracker = bearer(session.get(User, order.liaison_id))
    number = _create(client, order.id, bearer(engineer)).get_json()["id"]
    r = client.patch(f"/api/issues/{number}", json={"owner_id": production.id}, headers=tracker)
    assert r.status_code == 200 and r.get_json()["owner"]["id"] == production.id
    r = client.patch(f"/api/issues/{number}", json={"risk": "extreme"}, headers=tracker)
    assert r.status_code == 422
    r = client.patch(f"/api/issues/{number}", json={"owner_id": 999999}, headers=tracker)
    assert r.status_code == 404 and r.get_json()["error"]["details"]["field"] == "owner_id"
    issue = client.get(f"/api/issues/{number}", headers=tracker).get_json()
    assert issue["owner"]["id"] == production.id and issue["risk"] == "high"


def test_the_openapi_document_lists_the_field_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/orders/{order_id}/daily-reports",
        "/api/orders/{order_id}/daily-reports/missing",
        "/api/orders/{order_id}/labour",
        "/api/orders/{order_id}/issues",
        "/api/issues/{issue_id}/acknowledge",
        "/api/issues/{issue_id}/verify",
        "/api/orders/{order_id}/documents",
        "/api/documents/{document_id}",
        "/api/orders/{order_id}/acceptance",
        "/api/orders/{order_id}/acceptance/links",
    ):
        assert path in paths


def test_a_bad_resolution_is_refused_and_leaves_the_issue_as_it_was(client, session):
    order, engineer, production = _setup(session)
    he, hp = bearer(engineer), bearer(production)
    number = _create(client, order.id, he, owner_id=production.id).get_json()["id"]
    other = make_order(session)
    add_to_order(session, other, production, Role.production)
    session.commit()
    foreign = _photo(client, other.id, hp, seed=3)
    for body, status in (
        ({"resolution": "  "}, 422),
        ({"resolution": "已处理", "photo_ids": [foreign]}, 404),  # not this order's photo
        ({}, 422),
    ):
        r = client.post(f"/api/issues/{number}/resolve", json=body, headers=hp)
        assert r.status_code == status and r.get_json()["error"]["message"]
    issue = client.get(f"/api/issues/{number}", headers=he).get_json()
    assert issue["state"] == "open" and issue["resolution"] is None
    assert issue["resolution_photos"] == [] and len(issue["events"]) == 1


def test_a_deadline_is_extended_only_by_a_manager_with_a_reason(client, session):
    order, engineer, _ = _setup(session)
    manager = make_user(session, Role.manager, Role.tracker)
    add_to_order(session, order, manager, Role.tracker)
    session.commit()
    he, hm = bearer(engineer), bearer(manager)
    issue = _create(client, order.id, he).get_json()
    later = "2099-01-01T08:00:00+08:00"
    r = client.patch(f"/api/issues/{issue['id']}", json={"due_at": later}, headers=he)
    assert r.status_code == 403
    assert r.get_json()["error"]["message"] == "只有管理层可以推迟问题点的处理期限"
    r = client.patch(f"/api/issues/{issue['id']}", json={"due_at": later}, headers=hm)
    assert r.status_code == 422 and r.get_json()["error"]["message"] == "推迟处理期限须填写原因"
    r = client.patch(f"/api/issues/{issue['id']}", json={"risk": "low"}, headers=he)
    assert r.status_code == 403 and "降低高风险" in r.get_json()["error"]["message"]
    assert count(session, IssueEvent) == 1
    r = client.patch(
        f"/api/issues/{issue['id']}", json={"due_at": later, "reason": "等进口备件"}, headers=hm
    )
    assert r.status_code == 200, r.get_json()
    body = client.get(f"/api/issues/{issue['id']}", headers=hm).get_json()
    assert body["first_due_at"] == issue["due_at"] != body["due_at"]
    step = body["events"][-1]
    assert step["action"] == "extended" and "等进口备件" in step["note"]


def test_mine_lists_the_issues_i_own_or_raised_and_no_others(client, session):
    order, engineer, production = _setup(session)
    quality = make_user(session, Role.quality)
    add_to_order(session, order, quality, Role.quality)
    session.commit()
    he, hq = bearer(engineer), bearer(quality)
    raised = _create(client, order.id, he, owner_id=production.id).get_json()["id"]
    owned = _create(client, order.id, hq, owner_id=engineer.id).get_json()["id"]
    other = _create(client, order.id, hq, owner_id=production.id).get_json()["id"]
    r = client.get("/api/issues?mine=true", headers=he)
    assert r.status_code == 200
    assert [i["id"] for i in r.get_json()["items"]] == [owned, raised]
    assert r.get_json()["total"] == 2
    r = client.get("/api/issues", headers=he)
    assert {i["id"] for i in r.get_json()["items"]} == {raised, owned, other}
    r = client.get("/api/issues?mine=perhaps", headers=he)
    assert r.status_code == 422 and r.get_json()["error"]["message"]
