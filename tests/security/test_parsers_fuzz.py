"""Hypothesis over the webhook parsers: whatever arrives, even correctly signed and encrypted,
the adapters return a well-formed message or raise Refused (a 4xx), never anything else.

The chat command parser and the code-payload parser have theirs next to their other tests:
tests/bots/test_commands.py and tests/scanning/test_payload.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.errors import Refused
from bots.message import InboundMessage
from bots.platforms import dingtalk, wechat, wecom
from bots.platforms.common import sha1_signature
from bots.simulator import wire
from tests.bots.test_dingtalk_inbound import PAYLOAD

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TOKEN, APPID, AES = "tok-wechat", "wx1234567890abcdef", "a" * 43
SAFE = wechat.WeChatConfig(token=TOKEN, app_id=APPID, encoding_aes_key=AES)
PLAIN = wechat.WeChatConfig(token=TOKEN, app_id=APPID)
CORP = "ww1234567890"
WECOM = wecom.WeComConfig(token=TOKEN, encoding_aes_key=AES, corp_id=CORP, agent_id="1000002")
SECRET = "app-secret-1"
ROBOT = dingtalk.DingTalkRobotConfig(app_secret=SECRET)
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
ARGS = {"timestamp": "1700000000", "nonce": "n1"}

WX_KEYS = (
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "PicUrl",
    "MediaId",
    "EventKey",
    "AgentID",
)
field_text = st.text(max_size=40)
wx_fields = st.dictionaries(
    st.one_of(st.sampled_from(WX_KEYS), st.from_regex(r"[A-Za-z]{1,10}", fullmatch=True)),
    st.one_of(field_text, st.sampled_from(["text", "image", "event", "subscribe", "0", "-1"])),
    max_size=8,
)


def xml_of(fields: dict) -> str:
    """A WeChat-style document; values are not escaped, so some are hostile XML on purpose."""
    return "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>"


plaintexts = st.one_of(
    wx_fields.map(xml_of),
    st.text(max_size=300),
    st.sampled_from(
        [
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>',
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>',
            "<xml><Content>unclosed",
            "<other/>",
        ]
    ),
)


def well_formed(message: InboundMessage) -> None:
    for name in ("platform", "message_id", "sender_id", "conversation_id", "text", "kind"):
        assert isinstance(getattr(message, name), str), (name, getattr(message, name))


def outcome(parse, *args, **kwargs) -> None:
    try:
        message = parse(*args, **kwargs)
    except Refused:
        return
    well_formed(message)


def encrypted_args(encrypt: str) -> dict:
    return {
        **ARGS,
        "encrypt_type": "aes",
        "signature": sha1_signature(TOKEN, *ARGS.values()),
        "msg_signature": sha1_signature(TOKEN, ARGS["timestamp"], ARGS["nonce"], encrypt),
    }


@FUZZ
@given(plaintexts)
def test_wechat_xml_bodies_are_parsed_or_refused(plaintext):
    # Correctly signed and encrypted for our app: only the content is hostile.
    encrypt = wire.aes_encrypt(AES, APPID, plaintext)
    body = wire.xml_document({"ToUserName": "gh", "Encrypt": encrypt}).encode()
    outcome(wechat.parse_request, SAFE, encrypted_args(encrypt), body)
    # The same content in plain mode, correctly signed.
    plain_args = {**ARGS, "signature": sha1_signature(TOKEN, *ARGS.values())}
    outcome(wechat.parse_request, PLAIN, plain_args, plaintext.encode("utf-8", "surrogatepass"))


@FUZZ
@given(plaintexts)
def test_wecom_xml_bodies_are_parsed_or_refused(plaintext):
    encrypt = wire.aes_encrypt(AES, CORP, plaintext)
    body = wire.xml_document({"ToUserName": CORP, "Encrypt": encrypt}).encode()
    outcome(wecom.parse_request, WECOM, encrypted_args(encrypt), body)


@FUZZ
@given(
    st.binary(max_size=400),
    st.dictionaries(
        st.sampled_from(
            ["signature", "msg_signature", "timestamp", "nonce", "encrypt_type", "openid"]
        ),
        st.text(max_size=50),
    ),
)
def test_unsigned_random_requests_are_refused(body, args):
    for parse, config in (
        (wechat.parse_request, SAFE),
        (wechat.parse_request, PLAIN),
        (wecom.parse_request, WECOM),
    ):
        outcome(parse, config, args, body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
robot_payloads = st.one_of(
    # The real payload with some fields replaced by anything JSON can carry.
    st.dictionaries(st.sampled_from(sorted(PAYLOAD)), json_values, max_size=5).map(
        lambda changes: {**PAYLOAD, **changes}
    ),
    # Some fields dropped.
    st.sets(st.sampled_from(sorted(PAYLOAD)), max_size=5).map(
        lambda drop: {k: v for k, v in PAYLOAD.items() if k not in drop}
    ),
    st.dictionaries(st.text(max_size=10), json_values, max_size=6),
)


@FUZZ
@given(robot_payloads)
def test_dingtalk_json_bodies_are_parsed_or_refused(payload):
    headers, body = wire.dingtalk_robot_push(app_secret=SECRET, payload=payload, now_ms=NOW_MS)
    outcome(dingtalk.parse_robot_callback, ROBOT, headers, body, now=NOW)


@FUZZ
@given(st.binary(max_size=300))
def test_dingtalk_signed_garbage_is_refused(body):
    headers, _ = wire.dingtalk_robot_push(app_secret=SECRET, payload={}, now_ms=NOW_MS)
    outcome(dingtalk.parse_robot_callback, ROBOT, headers, body, now=NOW)
    outcome(dingtalk.parse_robot_callback, ROBOT, {}, body, now=NOW)
    outcome(dingtalk.parse_robot_callback, ROBOT, {"timestamp": "x", "sign": "y"}, body, now=NOW)


def test_the_fuzzed_payload_template_is_itself_accepted():
    headers, body = wire.dingtalk_robot_push(app_secret=SECRET, payload=PAYLOAD, now_ms=NOW_MS)
    well_formed(dingtalk.parse_robot_callback(ROBOT, headers, body, now=NOW))
    assert json.loads(body)["msgId"] == PAYLOAD["msgId"]
