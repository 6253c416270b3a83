"""Rate limits on login (per address, per username) and on the chat webhooks."""

from __future__ import annotations

import os
import socket

import pytest
from flask_limiter.util import get_qualified_name
from sqlmodel import select

from app.security import LOGIN_ENDPOINTS, limited_endpoints
from models.chat import ChatInbound
from models.enums import Role
from tests.bots.test_webhooks import post_wechat, reply_of, wechat_fields
from tests.factories import PASSWORD, count, make_user
from tests.web.test_pages import _csrf

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _token(client, username, password):
    return client.post("/api/auth/token", json={"username": username, "password": password})


def test_brute_force_on_one_username_gets_429_in_the_envelope(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_USER", "3 per 15 minutes")
    make_user(session, Role.tracker, username="li")
    make_user(session, Role.tracker, username="wang")
    session.commit()
    answers = [_token(client, "li", f"guess-{i}").status_code for i in range(3)]
    assert answers == [401, 401, 401]
    r = _token(client, "LI ", PASSWORD)  # even the right password waits, whatever the spelling
    assert r.status_code == 429
    assert r.get_json() == {"error": {"code": "rate_limited", "message": "操作太频繁，请稍后再试"}}
    assert int(r.headers["Retry-After"]) > 0
    assert _token(client, "wang", PASSWORD).status_code == 200  # other people are not locked out


def test_successful_logins_do_not_use_up_the_per_user_limit(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_USER", "2 per 15 minutes")
    make_user(session, Role.tracker, username="li")
    session.commit()
    assert [_token(client, "li", PASSWORD).status_code for _ in range(4)] == [200] * 4


def test_one_address_trying_many_usernames_is_limited(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_ADDRESS", "5 per minute")
    answers = [_token(client, f"user{i}", "x-password").status_code for i in range(6)]
    assert answers == [401] * 5 + [429]


def test_the_web_login_page_says_so_in_chinese(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_USER", "2 per 15 minutes")
    make_user(session, Role.tracker, username="li")
    session.commit()
    token = _csrf(client.get("/login").get_data(as_text=True))
    form = {"username": "li", "password": "wrong-one", "csrf_token": token}
    assert [client.post("/login", data=form).status_code for _ in range(2)] == [401, 401]
    r = client.post("/login", data={**form, "password": PASSWORD})
    assert r.status_code == 429 and r.mimetype == "text/html"
    assert "登录尝试太频繁" in r.get_data(as_text=True) and int(r.headers["Retry-After"]) > 0


@pytest.fixture
def web(chat_app):
    return chat_app.test_client()


def test_flask_limiter_holds_limits_only_for_the_endpoints_it_is_handed(app):
    """app/security.py hands Flask-Limiter the logins and the webhooks alone (its resolving of
    limits costs every request otherwise): a limit put on any other endpoint would be skipped,
    so none may be, whether by decorator, blueprint, default or application limit."""
    manager = app.extensions["gendan.limiter"].limit_manager
    limited = limited_endpoints(app)
    views = {get_qualified_name(view): endpoint for endpoint, view in app.view_functions.items()}
    assert not manager._default_limits and not manager._application_limits
    assert {views[name] for name in manager._decorated_limits} == set(LOGIN_ENDPOINTS)
    assert set(manager._blueprint_limits) == {"bots"}
    bots = {endpoint for endpoint in app.view_functions if endpoint.startswith("bots.")}
    assert bots and bots <= limited and set(LOGIN_ENDPOINTS) <= limited
    assert "api_scans.create" not in limited and "healthz" not in limited


def test_a_flood_of_webhook_posts_from_one_address_gets_429(chat_app, web, monkeypatch):
    monkeypatch.setitem(chat_app.config, "WEBHOOK_RATE_LIMIT", "3 per minute")
    answers = [web.post("/bots/wechat", data=b"<xml/>").status_code for _ in range(4)]
    assert answers[:3] == [403] * 3  # forged: refused, but counted
    assert answers[3] == 429
    r = web.post("/bots/dingtalk", data=b"{}")
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(r.headers["Retry-After"]) <= 60  # the minute's window, whatever is left of it


def test_a_chat_sender_who_floods_gets_a_chinese_hint_and_nothing_runs(
    chat_app, web, session, monkeypatch
):
    monkeypatch.setitem(chat_app.config, "CHAT_RATE_LIMIT", "2 per minute")
    sender = "o-flood"
    replies = [
        reply_of(post_wechat(web, wechat_fields("帮助", sender=sender, msg_id=i)), to_user=sender)
        for i in (1, 2, 3)
    ]
    assert "可用命令" in replies[0] and "可用命令" in replies[1]
    assert "太频繁" in replies[2] and "可用命令" not in replies[2]
    # A platform retry of an answered message replays its reply and is not counted again.
    again = post_wechat(web, wechat_fields("帮助", sender=sender, msg_id=1))
    assert "可用命令" in reply_of(again, to_user=sender)
    outcomes = sorted(session.exec(select(ChatInbound.outcome)).all())
    assert outcomes == ["ok", "ok", "rate_limited"] and count(session, ChatInbound) == 3
    other = post_wechat(web, wechat_fields("帮助", sender="o-calm", msg_id=9))
    assert "可用命令" in reply_of(other, to_user="o-calm")


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_two_workers_share_the_login_counts_through_redis(db, session, upload_dir, tmp_path):
    """Like two gunicorn workers: each app has its own limiter, the counts are shared."""
    if not _redis_up():
        if IN_CI:
            pytest.fail("Redis at 127.0.0.1:6379 is required in CI")
        pytest.skip("no Redis on 127.0.0.1:6379")
    from app import create_app

    def worker():
        return create_app(
            {
                "DATABASE_URL": db.url,
                "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                "INSTANCE_DIR": str(tmp_path),
                "UPLOAD_DIR": str(upload_dir),
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
                "LOGIN_RATE_LIMIT_PER_USER": "4 per 15 minutes",
            }
        )

    one, two = worker(), worker()
    one.extensions["gendan.limiter"].reset()
    user = f"shared-{os.getpid()}"
    try:
        a, b = one.test_client(), two.test_client()
        codes = [
            (a if i % 2 else b)
            .post("/api/auth/token", json={"username": user, "password": "x"})
            .status_code
            for i in range(5)
        ]
        assert codes == [401] * 4 + [429]
    finally:
        one.extensions["gendan.limiter"].reset()


def test_behind_a_proxy_each_client_address_has_its_own_budget(db, upload_dir, tmp_path):
    from app import create_app

    def build(hops):
        return create_app(
            {
                "DATABASE_URL": db.url,
                "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                "INSTANCE_DIR": str(tmp_path),
                "UPLOAD_DIR": str(upload_dir),
                "PROXY_HOPS": hops,
                "LOGIN_RATE_LIMIT_PER_ADDRESS": "2 per minute",
            }
        ).test_client()

    def attempts(client, address):
        body = {"username": "nobody", "password": "x-password"}
        headers = {"X-Forwarded-For": address}
        return [
            client.post("/api/auth/token", json=body, headers=headers).status_code for _ in range(3)
        ]

    proxied = build(1)
    assert attempts(proxied, "10.0.0.1") == [401, 401, 429]
    assert attempts(proxied, "10.0.0.2") == [401, 401, 429]  # another phone, its own budget
    # Without a trusted proxy the header is the client's word and is ignored: no escape.
    direct = build(0)
    assert attempts(direct, "10.0.0.3") == [401, 401, 429]
    assert attempts(direct, "10.0.0.4") == [429, 429, 429]


def _web_login(client, username, password):
    token = _csrf(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def _client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_the_api_and_the_web_form_share_one_budget_per_user(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_USER", "4 per 15 minutes")
    make_user(session, Role.tracker, username="li")
    session.commit()
    attacker = _client_at(app, "203.0.113.7")
    assert [_token(attacker, "li", f"guess-{i}").status_code for i in range(2)] == [401, 401]
    assert [_web_login(attacker, "li", f"guess-{i}").status_code for i in range(2)] == [401, 401]
    assert _token(attacker, "li", "guess-5").status_code == 429
    assert _web_login(attacker, "li", "guess-6").status_code == 429


def test_a_correct_password_from_a_known_address_or_device_is_not_locked_out(
    app, session, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_USER", "3 per 15 minutes")
    make_user(session, Role.tracker, username="li")
    session.commit()
    phone, laptop = _client_at(app, "198.51.100.10"), _client_at(app, "198.51.100.20")
    assert _token(phone, "li", PASSWORD).status_code == 200  # the phone's address is now known
    assert _web_login(laptop, "li", PASSWORD).status_code == 302  # the laptop gets a cookie
    attacker = _client_at(app, "203.0.113.7")
    assert [_token(attacker, "li", f"guess-{i}").status_code for i in range(3)] == [401] * 3
    assert _token(attacker, "li", PASSWORD).status_code == 429  # unknown: waits
    assert _token(phone, "li", PASSWORD).status_code == 200
    travelling = _client_at(app, "192.0.2.99")
    travelling.set_cookie("gendan_device", laptop.get_cookie("gendan_device").value)
    assert _web_login(travelling, "li", PASSWORD).status_code == 302
    # A known client's own failures still count against the user's budget.
    assert _token(phone, "li", "guess-x").status_code == 401


def test_a_device_cookie_of_another_user_or_forged_does_not_help(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_USER", "2 per 15 minutes")
    make_user(session, Role.tracker, username="li")
    make_user(session, Role.tracker, username="wang")
    session.commit()
    mine = _client_at(app, "198.51.100.30")
    assert _web_login(mine, "wang", PASSWORD).status_code == 302
    attacker = _client_at(app, "203.0.113.8")
    assert [_token(attacker, "li", f"guess-{i}").status_code for i in range(2)] == [401, 401]
    for cookie in (mine.get_cookie("gendan_device").value, "li.forged.signature"):
        other = _client_at(app, "203.0.113.9")
        other.set_cookie("gendan_device", cookie)
        assert _token(other, "li", PASSWORD).status_code == 429
