"""The /bots webhooks at the route level: every refusal stores nothing; retries run once."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from sqlmodel import select

from bots.simulator import wire
from bots.simulator.deliver import read_passive_reply
from bots.simulator.seed import DEMO_CONFIG
from models import clock
from models.chat import ChatInbound
from models.enums import Role
from models.outbox import BotTask, Outbox
from tests.bots.live import DING_GROUP, bind_all, pushed, wait_pushed
from tests.factories import count, make_order, make_user

WX = DEMO_CONFIG["wechat_apps"][0]
WC = DEMO_CONFIG["wecom_apps"][0]
DT = DEMO_CONFIG["dingtalk_apps"][0]
HOSTILE = (
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<xml><ToUserName>&b;</ToUserName><Encrypt>x</Encrypt></xml>"
)


def wechat_fields(text="帮助", sender="o-lisi", msg_id=None, **extra):
    return {
        "ToUserName": "gh_simulator",
        "FromUserName": sender,
        "CreateTime": int(clock.epoch()),
        "MsgType": "text",
        "Content": text,
        "MsgId": msg_id or secrets.randbits(60),
        **extra,
    }


def post_wechat(client, fields, *, app=WX):
    args, body = wire.wechat_push(
        token=app["token"],
        app_id=app["appid"],
        aes_key=app["encoding_aes_key"],
        fields=fields,
        timestamp=int(clock.epoch()),
    )
    return client.post("/bots/wechat", query_string=args, data=body)


def post_wecom(client, fields, *, corp_id=WC["corpid"]):
    fields = {**fields, "ToUserName": corp_id, "AgentID": 1000002}
    args, body = wire.wecom_push(
        token=WC["token"],
        corp_id=corp_id,
        aes_key=WC["encoding_aes_key"],
        fields=fields,
        timestamp=int(clock.epoch()),
    )
    return client.post("/bots/wecom", query_string=args, data=body)


def dingtalk_payload(text="帮助", sender="wangwu", msg_id=None):
    now_ms = int(clock.epoch() * 1000)
    return {
        "msgtype": "text",
        "text": {"content": f" {text}"},
        "msgId": msg_id or f"msg{secrets.token_hex(8)}",
        "createAt": now_ms,
        "conversationType": "2",
        "conversationId": "cid-project-a001",
        "senderId": "$:LWCP_v1:$x",
        "senderNick": "王五",
        "senderStaffId": sender,
        "sessionWebhook": "http://127.0.0.1:5001/robot/sendBySession?session=abc",
        "sessionWebhookExpiredTime": now_ms + 90 * 60 * 1000,
    }


def post_dingtalk(client, payload, *, secret=DT["appsecret"], now_ms=None):
    headers, body = wire.dingtalk_robot_push(
        app_secret=secret, payload=payload, now_ms=now_ms or int(clock.epoch() * 1000)
    )
    return client.post("/bots/dingtalk", headers=headers, data=body)


def reply_of(response, platform="wechat", to_user="o-lisi") -> str:
    app = WX if platform == "wechat" else WC
    return read_passive_reply(platform, app, response.get_data(as_text=True), to_user)


def nothing_stored(session) -> bool:
    return count(session, ChatInbound) == count(session, Outbox) == count(session, BotTask) == 0


@pytest.fixture
def web(chat_app):
    return chat_app.test_client()


def _wechat_refusals():
    good = wire.wechat_push(
        token=WX["token"],
        app_id=WX["appid"],
        aes_key=WX["encoding_aes_key"],
        fields=wechat_fields(),
        timestamp=int(clock.epoch()),
    )
    other_app = wire.wechat_push(
        token=WX["token"],
        app_id="wxsomebodyelse0001",
        aes_key=WX["encoding_aes_key"],
        fields=wechat_fields(),
        timestamp=int(clock.epoch()),
    )
    args, body = good
    sig = wire.sha1_signature(WX["token"], args["timestamp"], args["nonce"])
    return {
        "missing signature": ({k: v for k, v in args.items() if k != "signature"}, body, 403),
        "bad signature": ({**args, "signature": "0" * 40}, body, 403),
        "bad msg_signature": ({**args, "msg_signature": "0" * 40}, body, 403),
        "wrong AppID": (*other_app, 403),
        "plain body in safe mode": ({**args, "encrypt_type": "raw"}, b"<xml/>", 400),
        "hostile XML": ({**args, "signature": sig}, HOSTILE, 400),
        "huge body": (args, b"<xml>" + b"a" * 70_000 + b"</xml>", 413),
        "not XML": (args, b"{not json", 400),
    }


@pytest.mark.parametrize("case", list(_wechat_refusals()))
def test_wechat_refusals_store_nothing(web, session, case):
    args, body, status = _wechat_refusals()[case]
    response = web.post("/bots/wechat", query_string=args, data=body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert nothing_stored(session)


def test_wechat_url_verification(web):
    args = wire.wechat_verify_args(token=WX["token"], timestamp=int(clock.epoch()), echostr="e+1 2")
    response = web.get("/bots/wechat", query_string=args)
    assert response.status_code == 200 and response.get_data(as_text=True) == "e+1 2"
    bad = web.get("/bots/wechat", query_string={**args, "signature": "x"})
    assert bad.status_code == 403


@pytest.mark.parametrize(
    "case, status",
    [("bad signature", 403), ("wrong CorpID", 403), ("hostile XML", 400), ("huge body", 413)],
)
def test_wecom_refusals_store_nothing(web, session, case, status):
    if case == "wrong CorpID":
        response = post_wecom(web, wechat_fields(sender="lisi"), corp_id="wwsomebodyelse001")
    else:
        fields = {**wechat_fields(sender="lisi"), "ToUserName": WC["corpid"], "AgentID": 1000002}
        args, body = wire.wecom_push(
            token=WC["token"],
            corp_id=WC["corpid"],
            aes_key=WC["encoding_aes_key"],
            fields=fields,
            timestamp=int(clock.epoch()),
        )
        if case == "bad signature":
            args = {**args, "msg_signature": "0" * 40}
        elif case == "hostile XML":
            body = HOSTILE
        else:
            body = b"<xml>" + b"a" * 70_000 + b"</xml>"
        response = web.post("/bots/wecom", query_string=args, data=body)
    assert response.status_code == status
    assert nothing_stored(session)


def test_wecom_url_verification_returns_the_decrypted_echostr(web):
    args = wire.wecom_verify_args(
        token=WC["token"],
        corp_id=WC["corpid"],
        aes_key=WC["encoding_aes_key"],
        timestamp=int(clock.epoch()),
        echo="5927782489442352469",
    )
    response = web.get("/bots/wecom", query_string=args)
    assert response.get_data(as_text=True) == "5927782489442352469"
    assert web.get("/bots/wecom", query_string={**args, "msg_signature": "0"}).status_code == 403


@pytest.mark.parametrize(
    "case, status",
    [
        ("missing headers", 403),
        ("bad sign", 403),
        ("stale timestamp", 403),
        ("huge body", 413),
        ("malformed JSON", 400),
    ],
)
def test_dingtalk_refusals_store_nothing(web, session, case, status):
    payload = dingtalk_payload()
    if case == "missing headers":
        response = web.post("/bots/dingtalk", data=json.dumps(payload))
    elif case == "bad sign":
        response = post_dingtalk(web, payload, secret="not-the-app-secret")
    elif case == "stale timestamp":
        response = post_dingtalk(web, payload, now_ms=int((clock.epoch() - 3700) * 1000))
    else:
        now_ms = int(clock.epoch() * 1000)
        body = b"{" + b" " * 70_000 + b"}" if case == "huge body" else b"{not json"
        headers, _ = wire.dingtalk_robot_push(app_secret=DT["appsecret"], payload={}, now_ms=now_ms)
        response = web.post("/bots/dingtalk", headers=headers, data=body)
    assert response.status_code == status
    assert nothing_stored(session)


def test_dingtalk_event_subscription_check_url_and_refusal(web, session):
    args, body = wire.dingtalk_event_push(
        token=DT["event_token"],
        aes_key=DT["event_aes_key"],
        owner_key=DT["appkey"],
        payload={"EventType": "check_url"},
        now_ms=int(clock.epoch() * 1000),
    )
    answer = web.post("/bots/dingtalk/events", query_string=args, data=body).get_json()
    from dingtalk.crypto import DingTalkCrypto

    crypto = DingTalkCrypto(DT["event_token"], DT["event_aes_key"], DT["appkey"])
    plain = crypto.decrypt_encrypt_str(
        answer["msg_signature"], answer["timeStamp"], answer["nonce"], answer["encrypt"]
    )
    assert plain == "success"
    bad = web.post("/bots/dingtalk/events", query_string={**args, "msg_signature": "0"}, data=body)
    assert bad.status_code == 403 and nothing_stored(session)


def test_a_retried_wechat_message_runs_once_and_gets_the_same_reply(web, session):
    user = make_user(session)
    order = make_order(session, user, code="GD-RETRY-1")
    bind_all(session, user, "lisi")
    session.commit()
    fields = wechat_fields(f"站会 {order.code}", msg_id=424242)
    first, again = post_wechat(web, fields), post_wechat(web, fields)
    assert reply_of(first) == reply_of(again) and "站会摘要" in reply_of(first)
    assert count(session, ChatInbound) == 1 and count(session, BotTask) == 1


def test_a_retried_dingtalk_message_queues_one_reply(web, session):
    user = make_user(session)
    bind_all(session, user, "wangwu")
    session.commit()
    payload = dingtalk_payload("帮助", msg_id="msg-retried")
    assert post_dingtalk(web, payload).status_code == 200
    assert post_dingtalk(web, payload).status_code == 200
    assert count(session, ChatInbound) == 1 and count(session, Outbox) == 1


def test_unbound_sender_gets_binding_instructions_and_only_help_works(web, session):
    reply = reply_of(
        post_wechat(web, wechat_fields("进度 GD-1", sender="o-stranger")), to_user="o-stranger"
    )
    assert "还没有绑定" in reply and "/chat" in reply
    reply = reply_of(
        post_wechat(web, wechat_fields("帮助", sender="o-stranger")), to_user="o-stranger"
    )
    assert "可用命令" in reply
    reply = reply_of(
        post_wechat(web, wechat_fields("你好", sender="o-stranger")), to_user="o-stranger"
    )
    assert "还没有绑定" in reply
    rows = session.exec(select(ChatInbound.outcome).order_by(ChatInbound.id)).all()
    assert rows == ["unbound", "ok", "invalid"]


def test_wrong_binding_codes_are_limited_per_chat_account(web, session):
    replies = [
        reply_of(
            post_wechat(web, wechat_fields("绑定 000000", sender="o-guess")), to_user="o-guess"
        )
        for _ in range(6)
    ]
    assert all("绑定码无效" in r for r in replies[:5])
    assert "错误次数过多" in replies[5]


def test_unknown_text_from_a_bound_user_gets_a_hint_never_silence(web, session):
    user = make_user(session)
    bind_all(session, user, "lisi")
    session.commit()
    assert "发送「帮助」" in reply_of(post_wechat(web, wechat_fields("今天天气不错")))
    assert "用法：收到 #编号" in reply_of(post_wechat(web, wechat_fields("收到")))


def test_subscribe_event_welcomes_and_other_events_get_no_reply(web, session):
    fields = wechat_fields(sender="o-new", MsgType="event", Event="subscribe", MsgId="")
    fields.pop("Content")
    reply = reply_of(post_wechat(web, fields), to_user="o-new")
    assert "欢迎使用" in reply and "绑定" in reply
    fields["Event"] = "VIEW"
    fields["CreateTime"] += 1
    assert post_wechat(web, fields).get_data(as_text=True) == "success"


def test_an_unconfigured_platform_answers_503_and_logs_once(app_for, db, tmp_path, caplog):
    from app import create_app
    from app.config import CHAT_SETTINGS

    app = create_app(
        {
            "DATABASE_URL": db.url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "INSTANCE_DIR": str(tmp_path),
            **dict.fromkeys(CHAT_SETTINGS, ""),
        }
    )
    client = app.test_client()
    with caplog.at_level("WARNING", logger="gendan.bots"):
        for _ in range(2):
            response = client.post("/bots/wechat", data=b"<xml/>")
            assert response.status_code == 503
            error = response.get_json()["error"]
            assert error["code"] == "platform_not_configured" and "WECHAT_TOKEN" in error["message"]
        assert client.post("/bots/dingtalk", data=b"{}").status_code == 503
        assert client.get("/bots/wecom").status_code == 503
    warnings = [r for r in caplog.records if "not configured" in r.getMessage()]
    assert len(warnings) == 3  # once per platform, not once per request


def test_two_deliveries_of_one_message_at_once_run_it_once(gendan, session):
    import threading

    import requests

    from tests.chat import serve

    user = make_user(session)
    order = make_order(session, user, code="GD-RACE-1")
    bind_all(session, user, "lisi")
    session.commit()
    args, body = wire.wechat_push(
        token=WX["token"],
        app_id=WX["appid"],
        aes_key=WX["encoding_aes_key"],
        fields=wechat_fields(f"站会 {order.code}", msg_id=777),
        timestamp=int(clock.epoch()),
    )
    replies, start = [], threading.Barrier(4)
    with serve(gendan) as url:

        def deliver():
            start.wait()
            response = requests.post(f"{url}/bots/wechat", params=args, data=body, timeout=10)
            replies.append(read_passive_reply("wechat", WX, response.text, "o-lisi"))

        threads = [threading.Thread(target=deliver) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(replies) == 4 and len(set(replies)) == 1 and "站会摘要" in replies[0]
    assert count(session, ChatInbound) == 1 and count(session, BotTask) == 1


def test_racing_deliveries_of_one_dingtalk_message_store_and_answer_it_once(gendan, sim, session):
    """The losers of the race collide on the message's row and replay: no 500, one reply row,
    one reply pushed (the reply's row is written after the message's, in the same transaction)."""
    import threading

    import requests

    from tests.chat import serve

    user = make_user(session, Role.admin)
    order = make_order(session, user, code="GD-RACE-2")
    bind_all(session, user, "wangwu")
    session.commit()
    sim.state.sessions["race"] = (DING_GROUP, sim.state.clock.now() + 3600)
    payload = dingtalk_payload(f"进度 {order.code}", msg_id="msg-race-2")
    payload["sessionWebhook"] = f"{sim.url}/robot/sendBySession?session=race"
    headers, body = wire.dingtalk_robot_push(
        app_secret=DT["appsecret"], payload=payload, now_ms=int(clock.epoch() * 1000)
    )
    statuses, start = [], threading.Barrier(4)
    with serve(gendan) as url:

        def deliver():
            start.wait()
            response = requests.post(f"{url}/bots/dingtalk", headers=headers, data=body, timeout=10)
            statuses.append(response.status_code)

        threads = [threading.Thread(target=deliver) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * 4
        assert len(wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")) == 1
    assert count(session, ChatInbound) == 1 and count(session, Outbox) == 1
    time.sleep(0.2)  # a second reply would have been pushed by now
    assert len(pushed(sim, DING_GROUP, api="sessionWebhook")) == 1
