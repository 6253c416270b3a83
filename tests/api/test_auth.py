from datetime import timedelta

from app.services.people import issue_token
from models.base import utcnow
from models.enums import Role
from tests.factories import PASSWORD, SECRET, bearer, make_user, tampered


def test_a_password_buys_a_bearer_token_that_opens_the_api(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    r = client.post("/api/auth/token", json={"username": "li", "password": PASSWORD})
    assert r.status_code == 200
    body = r.get_json()
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "li"
    assert me.get_json()["roles"] == ["tracker"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    wrong = client.post("/api/auth/token", json={"username": "li", "password": "nope-nope"})
    unknown = client.post("/api/auth/token", json={"username": "zz", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["message"] == "用户名或密码错误"


def test_a_deactivated_user_cannot_log_in_or_use_old_tokens(client, session):
    user = make_user(session, Role.tracker, username="li")
    headers = bearer(user)
    user.is_active = False
    session.add(user)
    session.commit()
    assert (
        client.post("/api/auth/token", json={"username": "li", "password": PASSWORD}).status_code
        == 401
    )
    assert client.get("/api/me", headers=headers).status_code == 401


def test_an_expired_token_is_refused_with_its_own_message(client, session):
    user = make_user(session, Role.tracker)
    session.commit()
    token, _ = issue_token(user=user, secret=SECRET, ttl_hours=1, now=utcnow() - timedelta(days=30))
    r = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "token_expired"


def test_a_tampered_token_is_refused(client, session):
    user = make_user(session, Role.tracker)
    session.commit()
    token = bearer(user)["Authorization"].split()[1]
    forged = tampered(token)
    r = client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "token_invalid"


def test_a_token_signed_with_another_key_is_refused(client, session):
    user = make_user(session, Role.tracker)
    session.commit()
    token, _ = issue_token(user=user, secret="another-secret-key-entirely-0000000000", ttl_hours=1)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_revoking_ends_every_token_issued_so_far(client, session):
    user = make_user(session, Role.tracker)
    session.commit()
    headers = bearer(user)
    assert client.post("/api/auth/revoke", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_no_token_is_a_401_in_the_envelope(client):
    r = client.get("/api/orders")
    assert r.status_code == 401
    assert r.get_json() == {"error": {"code": "not_authenticated", "message": "请先登录"}}


def test_a_cookie_session_cannot_write_to_the_api_without_the_csrf_header(client, session):
    import re

    from tests.factories import make_order

    tracker = make_user(session, Role.tracker, username="li")
    order = make_order(session, liaison=tracker)
    session.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": token})
    assert client.get(f"/api/orders/{order.id}").status_code == 200
    r = client.patch(f"/api/orders/{order.id}", json={"customer": "被篡改"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "csrf_failed"
    # Logging in starts a fresh session, so a page served after login carries the token.
    page = client.get("/orders").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.patch(
        f"/api/orders/{order.id}", json={"customer": "正常修改"}, headers={"X-CSRFToken": token}
    )
    assert r.status_code == 200
