"""Secrets never reach the logs: passwords, bearer tokens, session cookies, CSRF tokens,
webhook tokens, signatures, AES keys and app secrets, whatever the log level."""

from __future__ import annotations

import logging

import pytest

from app.logs import JsonFormatter
from models import clock
from models.enums import Role
from tests.bots.test_webhooks import (
    DT,
    WX,
    dingtalk_payload,
    post_dingtalk,
    reply_of,
    wechat_fields,
)
from tests.factories import PASSWORD, make_user
from tests.web.test_pages import _csrf

WRONG = "Wrong-Pass-8472!"


def _logged(caplog) -> str:
    fmt = JsonFormatter()
    return "\n".join(fmt.format(r) for r in caplog.records)


def _assert_absent(text: str, secrets: dict[str, str]) -> None:
    leaked = [name for name, value in secrets.items() if value and value in text]
    assert leaked == [], f"secrets in the log: {leaked}"


def test_logins_tokens_and_pages_leave_no_secret_in_the_log(app, client, session, caplog):
    make_user(session, Role.tracker, username="li")
    session.commit()
    caplog.set_level(logging.DEBUG)
    client.post("/api/auth/token", json={"username": "li", "password": WRONG})
    token = client.post(
        "/api/auth/token", json={"username": "li", "password": PASSWORD}
    ).get_json()["token"]
    client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/me", headers={"Authorization": f"Bearer {token}x"})  # tampered: refused
    client.post("/api/auth/revoke", headers={"Authorization": f"Bearer {token}"})
    page = client.get("/login").get_data(as_text=True)
    csrf = _csrf(page)
    client.post("/login", data={"username": "li", "password": WRONG, "csrf_token": csrf})
    r = client.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": csrf})
    cookie = r.headers.get("Set-Cookie", "").split(";")[0].partition("=")[2]
    text = _logged(caplog)
    assert "POST /api/auth/token" in text  # the requests were logged, just not their secrets
    _assert_absent(
        text,
        {
            "password": PASSWORD,
            "wrong password": WRONG,
            "bearer token": token,
            "csrf token": csrf,
            "session cookie": cookie,
            "SECRET_KEY": app.config["SECRET_KEY"],
        },
    )


@pytest.fixture
def web(chat_app):
    return chat_app.test_client()


def test_signed_webhooks_leave_no_secret_in_the_log(chat_app, web, session, caplog):

    from bots.simulator import wire

    caplog.set_level(logging.DEBUG)
    args, body = wire.wechat_push(
        token=WX["token"],
        app_id=WX["appid"],
        aes_key=WX["encoding_aes_key"],
        fields=wechat_fields("帮助", sender="o-secret"),
        timestamp=int(clock.epoch()),
    )
    r = web.post("/bots/wechat", query_string=args, data=body)
    assert "可用命令" in reply_of(r, to_user="o-secret")
    web.post("/bots/wechat", query_string={**args, "msg_signature": "0" * 40}, data=body)
    post_dingtalk(web, dingtalk_payload("帮助"))
    post_dingtalk(web, dingtalk_payload("帮助"), secret="forged-secret-0000")
    text = _logged(caplog)
    assert "/bots/wechat" in text and "/bots/dingtalk" in text
    secrets = {
        "wechat token": WX["token"],
        "wechat AES key": WX["encoding_aes_key"],
        "wechat app secret": WX["secret"],
        "wechat signature": args["msg_signature"],
        "wechat encrypted body": body.decode()[40:120],
        "dingtalk app secret": DT["appsecret"],
        "dingtalk event token": DT["event_token"],
        "dingtalk AES key": DT["event_aes_key"],
        "SECRET_KEY": chat_app.config["SECRET_KEY"],
    }
    for name in ("WECHAT_AES_KEY", "WECOM_AES_KEY", "WECOM_SECRET", "DINGTALK_APP_SECRET"):
        secrets[name] = chat_app.config[name]
    _assert_absent(text, secrets)
