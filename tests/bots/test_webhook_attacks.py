"""Attacks on the chat webhooks from the 2026-12-02 audit: a DingTalk timestamp/sign pair
replayed with other bodies (item 7), JSON nested deep before the signature check (item 5) and
signed messages with a CreateTime no datetime holds (item 11)."""

from __future__ import annotations

import json
import logging

import pytest

from bots.errors import MalformedBody
from bots.platforms.common import parse_fields
from bots.simulator import wire
from models import clock
from models.chat import ChatInbound
from tests.bots.live import bind_all
from tests.bots.test_webhooks import (
    DT,
    dingtalk_payload,
    nothing_stored,
    post_wechat,
    post_wecom,
    wechat_fields,
)
from tests.factories import count, make_user

DEEP = b"[" * 1000 + b"]" * 1000


@pytest.fixture
def web(chat_app):
    return chat_app.test_client()


def _no_traceback(caplog) -> bool:
    return not any(r.exc_info or r.levelno >= logging.ERROR for r in caplog.records)


def test_one_dingtalk_header_pair_with_four_bodies_runs_only_the_first(web, session, caplog):
    user = make_user(session)
    bind_all(session, user, "wangwu")
    session.commit()
    headers, first = wire.dingtalk_robot_push(
        app_secret=DT["appsecret"],
        payload=dingtalk_payload("帮助"),
        now_ms=int(clock.epoch() * 1000),
    )
    bodies = [first] + [
        json.dumps(dingtalk_payload(text, sender=sender)).encode()
        for text, sender in [("我的任务", "wangwu"), ("帮助", "boss"), ("站会", "zhaoliu")]
    ]
    answers = [web.post("/bots/dingtalk", headers=headers, data=body) for body in bodies]
    assert [a.status_code for a in answers] == [200, 403, 403, 403]
    assert count(session, ChatInbound) == 1
    assert sum("replayed dingtalk" in r.getMessage() for r in caplog.records) == 3


def test_the_platforms_retry_of_the_same_body_under_the_same_pair_is_deduplicated(web, session):
    user = make_user(session)
    bind_all(session, user, "wangwu")
    session.commit()
    headers, body = wire.dingtalk_robot_push(
        app_secret=DT["appsecret"],
        payload=dingtalk_payload("帮助"),
        now_ms=int(clock.epoch() * 1000),
    )
    assert web.post("/bots/dingtalk", headers=headers, data=body).status_code == 200
    assert web.post("/bots/dingtalk", headers=headers, data=body).status_code == 200
    assert count(session, ChatInbound) == 1


def test_a_sign_older_than_five_minutes_is_refused(web, session):
    headers, body = wire.dingtalk_robot_push(
        app_secret=DT["appsecret"],
        payload=dingtalk_payload(),
        now_ms=int((clock.epoch() - 301) * 1000),
    )
    assert web.post("/bots/dingtalk", headers=headers, data=body).status_code == 403
    assert nothing_stored(session)


@pytest.mark.parametrize("signature", ["x", "0" * 40])
def test_deep_json_to_the_dingtalk_event_door_is_refused_without_a_traceback(
    web, session, caplog, signature
):
    args = {"msg_signature": signature, "timestamp": "1", "nonce": "1"}
    r = web.post("/bots/dingtalk/events", query_string=args, data=DEEP)
    # A malformed signature is refused before the body is read; a well-formed one finds the
    # body nested too deep before parsing it.
    status = 403 if signature == "x" else 400
    assert r.status_code == status
    r = web.post(
        "/bots/dingtalk/events", query_string=args, data=DEEP, content_type="application/json"
    )
    assert r.status_code == status
    assert nothing_stored(session) and _no_traceback(caplog)


def test_deep_json_in_a_signed_dingtalk_robot_callback_is_refused(web, session, caplog):
    headers, _ = wire.dingtalk_robot_push(
        app_secret=DT["appsecret"], payload={}, now_ms=int(clock.epoch() * 1000)
    )
    r = web.post("/bots/dingtalk", headers=headers, data=DEEP)
    assert r.status_code == 400 and nothing_stored(session) and _no_traceback(caplog)


def test_deep_json_in_a_mini_program_push_is_malformed():
    with pytest.raises(MalformedBody):
        parse_fields(b'{"a": ' + DEEP + b"}")


@pytest.mark.parametrize("create_time", [10**20, -(10**20), 2**63, 253402300800])
@pytest.mark.parametrize("platform", ["wechat", "wecom"])
def test_a_signed_message_with_an_out_of_range_create_time_is_400(
    web, session, caplog, platform, create_time
):
    fields = wechat_fields(CreateTime=create_time)
    post = post_wechat if platform == "wechat" else post_wecom
    r = post(web, fields)
    assert r.status_code == 400
    assert nothing_stored(session) and _no_traceback(caplog)


@pytest.mark.parametrize("field", ["createAt", "sessionWebhookExpiredTime"])
def test_a_signed_dingtalk_callback_with_an_out_of_range_time_is_400(web, session, field):
    payload = {**dingtalk_payload(), field: 10**22}
    headers, body = wire.dingtalk_robot_push(
        app_secret=DT["appsecret"], payload=payload, now_ms=int(clock.epoch() * 1000)
    )
    assert web.post("/bots/dingtalk", headers=headers, data=body).status_code == 400
    assert nothing_stored(session)
