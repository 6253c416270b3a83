"""Parsing the WeCom intelligent robot's callback bodies (long connection): what becomes an
InboundMessage, and each class of malformed body refused."""

from __future__ import annotations

import pytest

from bots.errors import MalformedBody
from bots.message import FrameReplyContext
from bots.platforms.wecom_aibot import parse_callback


def _body(**changes) -> dict:
    body = {
        "msgid": "m-1",
        "aibotid": "aib-1",
        "chattype": "single",
        "from": {"userid": "lisi"},
        "create_time": 1764806400,
        "msgtype": "text",
        "text": {"content": " 进度 GD-1 "},
    }
    body.update(changes)
    return body


def test_a_private_text_message():
    message = parse_callback("req-1", _body())
    assert message.platform == "wecom" and message.message_id == "m-1"
    assert message.sender_id == "lisi" and message.conversation_id == "lisi"
    assert message.conversation_type == "private"
    assert message.kind == "text" and message.text == "进度 GD-1"
    assert message.reply == FrameReplyContext(req_id="req-1")
    assert message.created_at.timestamp() == 1764806400


def test_a_group_message_loses_the_leading_mention_and_keys_on_the_chat():
    body = _body(chattype="group", chatid="chat-9", text={"content": "@跟单助手 进度 GD-1"})
    message = parse_callback("req-1", body)
    assert message.conversation_type == "group" and message.conversation_id == "chat-9"
    assert message.text == "进度 GD-1"


def test_a_voice_message_is_its_transcript_and_mixed_its_text_parts():
    voice = parse_callback("r", _body(msgtype="voice", voice={"content": "帮助"}))
    assert voice.kind == "text" and voice.text == "帮助"
    items = [
        {"msgtype": "text", "text": {"content": "进度 "}},
        {"msgtype": "image", "image": {"url": "https://example.invalid/x"}},
        {"msgtype": "text", "text": {"content": "GD-1"}},
    ]
    mixed = parse_callback("r", _body(msgtype="mixed", mixed={"msg_item": items}))
    assert mixed.text == "进度 GD-1"


def test_an_image_is_another_kind_answered_with_the_text_only_hint():
    image = parse_callback("r", _body(msgtype="image", image={"url": "u", "aeskey": "k"}))
    assert image.kind == "other" and image.text == ""


def test_a_message_without_create_time_is_dated_now():
    body = _body()
    del body["create_time"]
    assert parse_callback("r", body).created_at is not None


@pytest.mark.parametrize(
    ("req_id", "body"),
    [
        ("r", "not an object"),  # body is not a JSON object
        ("r", [1, 2]),  # a list
        ("r", {k: v for k, v in _body().items() if k != "msgid"}),  # msgid missing
        ("r", _body(**{"from": {}})),  # no sender
        ("r", _body(**{"from": "lisi"})),  # sender not an object
        ("r", _body(msgid=True)),  # an id that is not text
        ("r", _body(msgid="")),  # an empty id
        ("r", _body(text={"content": ["x"]})),  # text that is not text
        ("r", _body(chattype="group")),  # a group message without its chatid
        ("r", _body(create_time="soon")),  # a time that is not a number
        ("r", _body(create_time=10**20)),  # a time no datetime holds
        ("", _body()),  # no req_id to answer with
        (None, _body()),  # req_id not text
    ],
)
def test_malformed_callbacks_are_refused(req_id, body):
    with pytest.raises(MalformedBody):
        parse_callback(req_id, body)
