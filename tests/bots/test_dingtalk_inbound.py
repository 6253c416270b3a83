import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from bots.errors import BadSignature, BodyTooLarge, MalformedBody, StaleTimestamp, WrongRecipient
from bots.platforms import dingtalk
from bots.platforms.common import sha1_signature
from bots.platforms.dingtalk import robot_sign
from bots.simulator import wire

SECRET = "app-secret-1"
CONFIG = dingtalk.DingTalkRobotConfig(app_secret=SECRET)
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
PAYLOAD = {
    "msgtype": "text",
    "text": {"content": " 查订单 A-001"},
    "msgId": "msgABC",
    "createAt": NOW_MS,
    "conversationType": "2",
    "conversationId": "cid-group-1",
    "conversationTitle": "项目一群",
    "senderId": "$:LWCP_v1:$encrypted",
    "senderNick": "张三",
    "senderStaffId": "zhangsan",
    "chatbotUserId": "$:bot",
    "atUsers": [{"dingtalkId": "$:bot"}, {"dingtalkId": "$:x", "staffId": "lisi"}],
    "sessionWebhook": "http://127.0.0.1:5001/robot/sendBySession?session=s1",
    "sessionWebhookExpiredTime": NOW_MS + 90 * 60 * 1000,
    "robotCode": "dingappkey",
}


def push(payload=PAYLOAD, now_ms=NOW_MS, secret=SECRET):
    return wire.dingtalk_robot_push(app_secret=secret, payload=payload, now_ms=now_ms)


def test_group_text_callback_is_parsed():
    msg = dingtalk.parse_robot_callback(CONFIG, *push(), now=NOW)
    assert (msg.platform, msg.message_id, msg.sender_id, msg.sender_name) == (
        "dingtalk",
        "msgABC",
        "zhangsan",
        "张三",
    )
    assert (msg.conversation_id, msg.conversation_type, msg.text) == (
        "cid-group-1",
        "group",
        "查订单 A-001",
    )
    assert msg.mentions == ("lisi",)
    assert msg.reply.url == PAYLOAD["sessionWebhook"] and msg.reply.robot_code == "dingappkey"
    assert msg.reply.expires_at == NOW + timedelta(minutes=90) and msg.created_at == NOW


def test_private_picture_callback_carries_the_download_code():
    payload = {**PAYLOAD, "msgtype": "picture", "conversationType": "1"}
    payload["content"] = {"downloadCode": "dl-1"}
    del payload["text"]
    msg = dingtalk.parse_robot_callback(CONFIG, *push(payload), now=NOW)
    assert (msg.kind, msg.image.media_id, msg.conversation_type) == ("image", "dl-1", "private")


def test_headers_are_matched_case_insensitively():
    headers, body = push()
    headers = {k.title(): v for k, v in headers.items()}
    assert dingtalk.parse_robot_callback(CONFIG, headers, body, now=NOW).text


@pytest.mark.parametrize("offset_ms", [300_001, -300_001, 3_600_001, -3_600_001])
def test_timestamp_more_than_five_minutes_off_is_refused(offset_ms):
    with pytest.raises(StaleTimestamp):
        dingtalk.parse_robot_callback(CONFIG, *push(now_ms=NOW_MS + offset_ms), now=NOW)


def test_timestamp_exactly_five_minutes_off_is_accepted():
    msg = dingtalk.parse_robot_callback(CONFIG, *push(now_ms=NOW_MS - 300_000), now=NOW)
    assert msg.message_id == "msgABC"


def test_timestamp_in_seconds_is_refused():
    headers, body = push()
    headers = {**headers, "timestamp": str(NOW_MS // 1000)}
    headers["sign"] = robot_sign(SECRET, headers["timestamp"])
    with pytest.raises(StaleTimestamp):
        dingtalk.parse_robot_callback(CONFIG, headers, body, now=NOW)


@pytest.mark.parametrize(
    "change, error",
    [
        ({"sign": "AAAA"}, BadSignature),
        ({"sign": ""}, BadSignature),
        ({"sign": "签名"}, BadSignature),
        ({"timestamp": "x"}, StaleTimestamp),
    ],
)
def test_bad_or_missing_sign_is_refused(change, error):
    headers, body = push()
    with pytest.raises(error):
        dingtalk.parse_robot_callback(CONFIG, {**headers, **change}, body, now=NOW)


def test_sign_made_with_another_secret_is_refused():
    with pytest.raises(BadSignature):
        dingtalk.parse_robot_callback(CONFIG, *push(secret="other"), now=NOW)


@pytest.mark.parametrize(
    "body", [b"{", b"[]", b"\xff\xfe", json.dumps({"msgtype": "text"}).encode()]
)
def test_malformed_json_is_refused(body):
    headers, _ = push()
    with pytest.raises(MalformedBody):
        dingtalk.parse_robot_callback(CONFIG, headers, body, now=NOW)


def test_oversized_body_is_refused():
    headers, _ = push()
    with pytest.raises(BodyTooLarge):
        dingtalk.parse_robot_callback(CONFIG, headers, b"{" + b" " * 70_000 + b"}", now=NOW)


EVENT = dingtalk.DingTalkEventConfig(token="evtok", aes_key="c" * 43, owner_key="dingappkey")


def event_push(payload, owner="dingappkey"):
    return wire.dingtalk_event_push(
        token="evtok", aes_key="c" * 43, owner_key=owner, payload=payload, now_ms=NOW_MS
    )


def test_check_url_event_is_decrypted_with_the_appkey_as_owner():
    event = dingtalk.parse_event(EVENT, *event_push({"EventType": "check_url"}))
    assert event.is_check_url


def test_legacy_signature_and_timestamp_names_are_accepted():
    args, body = event_push({"EventType": "user_add_org", "UserId": ["u1"]})
    legacy = {"signature": args["msg_signature"], "timeStamp": args["timestamp"]}
    event = dingtalk.parse_event(EVENT, {**legacy, "nonce": args["nonce"]}, body)
    assert event.payload["UserId"] == ["u1"]


def test_event_for_another_owner_key_is_refused():
    with pytest.raises(WrongRecipient):
        dingtalk.parse_event(EVENT, *event_push({"EventType": "check_url"}, owner="corp-id"))


def test_event_with_forged_signature_or_bad_body_is_refused():
    args, body = event_push({"EventType": "check_url"})
    with pytest.raises(BadSignature):
        dingtalk.parse_event(EVENT, {**args, "msg_signature": "1" * 40}, body)
    with pytest.raises(MalformedBody):
        dingtalk.parse_event(EVENT, args, b'{"encrypt": 5}')
    with pytest.raises(BodyTooLarge):
        dingtalk.parse_event(EVENT, args, b" " * 70_000)


@pytest.mark.parametrize("raw", [b"x" * 20, b"\x00" * 32, bytes(range(48))])
def test_a_signed_event_that_does_not_decrypt_is_malformed(raw):
    """Signed correctly (the signature covers the ciphertext's text), but not AES of ours: the
    pycryptodome backend's errors are 400 refusals, never a 500."""
    encrypt = base64.b64encode(raw).decode()
    args = {"timestamp": str(NOW_MS), "nonce": "n1"}
    args["msg_signature"] = sha1_signature("evtok", args["timestamp"], "n1", encrypt)
    with pytest.raises(MalformedBody):
        dingtalk.parse_event(EVENT, args, json.dumps({"encrypt": encrypt}).encode())
