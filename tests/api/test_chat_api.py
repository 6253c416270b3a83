"""The chat REST API: binding codes, bindings, groups, the outbox, and chat logins."""

import pytest
from sqlmodel import select

from app.services.orders import add_member
from models.chat import ChatGroup, ChatIdentity
from models.enums import Role
from models.orders import MemberAdd
from models.outbox import Outbox
from tests.chat import admin as sim_admin
from tests.factories import act, bearer, count, make_order, make_user

GROUP = {
    "platform": "dingtalk",
    "name": "项目群",
    "webhook": "https://oapi.dingtalk.com/robot/send?access_token=dingtalk-robot-token-1",
    "secret": "SECdingtalk-robot-secret-1",
    "conversation_id": "cid-project-a001",
}


@pytest.fixture
def api(chat_app):
    return chat_app.test_client()


def test_a_signed_in_user_gets_a_binding_code(api, session):
    user = make_user(session)
    session.commit()
    body = api.post("/api/chat/binding-codes", headers=bearer(user)).get_json()
    assert len(body["code"]) == 6 and body["instruction"] == f"在聊天中发送：绑定 {body['code']}"
    assert api.post("/api/chat/binding-codes").status_code == 401


def test_admins_bind_chat_accounts_by_id_or_by_mobile(api, session, sim):
    admin = make_user(session, Role.admin)
    worker = make_user(session, Role.warehouse, mobile="13800000002")  # lisi in the simulator
    session.commit()
    for body, external_id in (
        ({"platform": "wechat", "external_id": "o-x"}, "o-x"),
        ({"platform": "dingtalk", "by_mobile": True}, "lisi"),
        ({"platform": "wecom", "by_mobile": True}, "lisi"),
    ):
        r = api.post(
            "/api/chat/identities", json={"user_id": worker.id, **body}, headers=bearer(admin)
        )
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["external_id"] == external_id
    r = api.post(
        "/api/chat/identities",
        json={"user_id": worker.id, "platform": "wechat", "by_mobile": True},
        headers=bearer(admin),
    )
    assert r.status_code == 422 and "绑定码" in r.get_json()["error"]["message"]
    mine = api.get("/api/chat/identities", headers=bearer(worker)).get_json()["items"]
    assert {i["platform"] for i in mine} == {"wechat", "dingtalk", "wecom"}


def test_binding_by_an_unknown_mobile_is_a_clear_error(api, session, sim):
    admin = make_user(session, Role.admin)
    worker = make_user(session, Role.warehouse, mobile="13900000000")
    session.commit()
    r = api.post(
        "/api/chat/identities",
        json={"user_id": worker.id, "platform": "dingtalk", "by_mobile": True},
        headers=bearer(admin),
    )
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "chat_user_not_found"
    assert count(session, ChatIdentity) == 0


def test_non_admins_cannot_bind_other_accounts(api, session):
    worker = make_user(session, Role.warehouse)
    session.commit()
    r = api.post(
        "/api/chat/identities",
        json={"user_id": worker.id, "platform": "wechat", "external_id": "o-me"},
        headers=bearer(worker),
    )
    assert r.status_code == 403 and count(session, ChatIdentity) == 0


def test_group_secrets_are_never_echoed_back(api, session):
    tracker = make_user(session)
    order = make_order(session, tracker)
    session.commit()
    r = api.post(
        "/api/chat/groups", json={**GROUP, "order_ids": [order.id]}, headers=bearer(tracker)
    )
    assert r.status_code == 201
    for body in (r.get_json(), api.get("/api/chat/groups", headers=bearer(tracker)).get_json()):
        text = str(body)
        assert "dingtalk-robot-token-1" not in text and "SECdingtalk-robot-secret-1" not in text
    group = r.get_json()
    assert group["webhook"] == "din…en-1" and group["order_ids"] == [order.id]
    listed = api.get(f"/api/chat/groups?order_id={order.id}", headers=bearer(tracker)).get_json()
    assert [g["id"] for g in listed["items"]] == [group["id"]]
    assert count(session, Outbox) == 1  # the welcome


def test_bad_group_input_answers_422_and_stores_nothing(api, session):
    tracker = make_user(session)
    session.commit()
    for body in (
        {**GROUP, "webhook": ""},
        {**GROUP, "platform": "telegram"},
        {**GROUP, "secret": "nope"},
        {"name": "x"},
    ):
        r = api.post("/api/chat/groups", json=body, headers=bearer(tracker))
        assert r.status_code == 422, body
    assert count(session, ChatGroup) == 0


def test_groups_are_updated_bound_unbound_and_deleted(api, session):
    tracker, manager = make_user(session), make_user(session, Role.manager)
    order = make_order(session, tracker)
    session.commit()
    group = api.post("/api/chat/groups", json=GROUP, headers=bearer(tracker)).get_json()
    url = f"/api/chat/groups/{group['id']}"
    r = api.patch(url, json={"name": "新名字", "active": False}, headers=bearer(tracker))
    assert r.get_json()["name"] == "新名字" and r.get_json()["active"] is False
    r = api.post(f"{url}/orders", json={"order_id": order.id}, headers=bearer(tracker))
    assert r.status_code == 201 and r.get_json()["order_ids"] == [order.id]
    assert api.delete(f"{url}/orders/{order.id}", headers=bearer(tracker)).status_code == 204
    assert api.delete(url, headers=bearer(tracker)).status_code == 403
    assert api.delete(url, headers=bearer(manager)).status_code == 204
    assert api.get(url, headers=bearer(manager)).status_code == 404


def _group_of_an_order(api, session):
    """Order X followed by a group; its liaison, a tracker member, and a tracker outsider."""
    liaison, member, outsider = make_user(session), make_user(session), make_user(session)
    order = make_order(session, liaison)
    add_member(
        session=session,
        actor=act(session, liaison),
        order_id=order.id,
        data=MemberAdd(user_id=member.id, role=Role.tracker),
    )
    session.commit()
    body = {**GROUP, "order_ids": [order.id]}
    group = api.post("/api/chat/groups", json=body, headers=bearer(liaison)).get_json()
    return f"/api/chat/groups/{group['id']}", member, outsider


def test_a_tracker_outside_the_order_cannot_read_or_hijack_its_group(api, session):
    url, _, outsider = _group_of_an_order(api, session)
    own_order = make_order(session, outsider)
    session.commit()
    attack = "https://oapi.dingtalk.com/robot/send?access_token=ATTACKER"
    for method, target, body in (
        ("get", url, None),
        ("patch", url, {"webhook": attack}),
        ("patch", url, {"active": False}),
        ("post", f"{url}/orders", {"order_id": own_order.id}),  # pull the group to his order
    ):
        r = api.open(target, method=method, json=body, headers=bearer(outsider))
        assert r.status_code == 403, (method, body)
        error = r.get_json()["error"]
        assert error["code"] == "not_order_member" and "不是该群所跟订单的成员" in error["message"]
    group = session.exec(select(ChatGroup)).one()
    session.refresh(group)
    assert group.active is True and group.webhook_hint == "din…en-1"
    assert api.get("/api/chat/groups", headers=bearer(outsider)).get_json()["items"] == []


def test_a_member_of_the_order_still_manages_its_group(api, session):
    url, member, _ = _group_of_an_order(api, session)
    assert api.get(url, headers=bearer(member)).status_code == 200
    webhook = "https://oapi.dingtalk.com/robot/send?access_token=new-robot-token-9"
    r = api.patch(url, json={"webhook": webhook, "active": False}, headers=bearer(member))
    assert r.status_code == 200
    assert r.get_json()["webhook"] == "new…en-9" and r.get_json()["active"] is False


def test_outbox_is_listed_per_order_and_overall_and_failures_can_be_retried(api, session):
    tracker, admin = make_user(session), make_user(session, Role.admin)
    order = make_order(session, tracker)
    session.commit()
    api.post("/api/chat/groups", json={**GROUP, "order_ids": [order.id]}, headers=bearer(tracker))
    page = api.get(f"/api/orders/{order.id}/outbox", headers=bearer(tracker)).get_json()
    (entry,) = page["items"]
    assert entry["status"] == "pending" and entry["group_name"] == "项目群"
    assert "本群已关联订单" in entry["preview"] and "message" not in entry
    assert api.get("/api/outbox", headers=bearer(tracker)).status_code == 403
    assert api.get("/api/outbox?status=pending", headers=bearer(admin)).get_json()["total"] == 1
    r = api.post(f"/api/outbox/{entry['id']}/retry", headers=bearer(admin))
    assert r.status_code == 409
    row = session.exec(select(Outbox)).one()
    row.status, row.last_error = "failed", "invalid webhook key"
    session.add(row)
    session.commit()
    assert api.get("/api/outbox?status=failed", headers=bearer(admin)).get_json()["total"] == 1
    r = api.post(f"/api/outbox/{entry['id']}/retry", headers=bearer(tracker))
    assert r.status_code == 200 and r.get_json()["status"] == "pending"


def test_wechat_login_gives_a_token_to_a_bound_user_only(api, session, sim):
    user = make_user(session, Role.site_engineer)
    session.commit()
    r = api.post("/api/auth/wechat", json={"code": "wx-code-zhangsan"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "chat_not_bound"
    assert "绑定码" in r.get_json()["error"]["message"]
    sim_admin(sim, "POST", "reset")  # login codes are single-use: start again
    code = api.post("/api/chat/binding-codes", headers=bearer(user)).get_json()["code"]
    r = api.post("/api/auth/wechat", json={"code": "wx-code-zhangsan", "bind_code": code})
    assert r.status_code == 200, r.get_json()
    token = r.get_json()["token"]
    me = api.get("/api/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["id"] == user.id
    r = api.post("/api/auth/wechat", json={"code": "wx-code-zhangsan"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "wx_code_used"


def test_a_wrong_bind_code_at_login_counts_toward_the_attempt_limit(api, session, sim):
    session.commit()
    for _ in range(5):
        sim_admin(sim, "POST", "reset")
        r = api.post("/api/auth/dingtalk", json={"code": "dt-code-lisi", "bind_code": "000000"})
        assert r.status_code == 422
    sim_admin(sim, "POST", "reset")
    r = api.post("/api/auth/dingtalk", json={"code": "dt-code-lisi", "bind_code": "000000"})
    assert r.status_code == 429
    assert count(session, ChatIdentity) == 0


def test_dingtalk_login_for_a_bound_user(api, session, sim):
    admin, user = make_user(session, Role.admin), make_user(session)
    session.commit()
    api.post(
        "/api/chat/identities",
        json={"user_id": user.id, "platform": "dingtalk", "external_id": "lisi"},
        headers=bearer(admin),
    )
    r = api.post("/api/auth/dingtalk", json={"code": "dt-code-lisi"})
    assert r.status_code == 200 and r.get_json()["user"]["id"] == user.id


def test_the_chat_api_is_in_the_openapi_document(api):
    paths = api.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/chat/binding-codes",
        "/api/chat/groups/{group_id}/orders",
        "/api/outbox/{outbox_id}/retry",
        "/api/orders/{order_id}/outbox",
        "/api/auth/wechat",
        "/api/auth/dingtalk",
    ):
        assert path in paths


def test_a_login_code_the_platform_does_not_know_is_a_401_not_invalid_data(api, session, sim):
    # The document says any code of 1..128 characters is well formed; whether the platform
    # knows it is a credential check, answered like a wrong password.
    refusals = (("/api/auth/wechat", "wx_code_invalid"), ("/api/auth/dingtalk", "dt_code_invalid"))
    for path, code in refusals:
        r = api.post(path, json={"code": "no-such-code"})
        assert r.status_code == 401, r.get_json()
        error = r.get_json()["error"]
        assert error["code"] == code and "凭证" in error["message"]
