"""WeCom intelligent robot (智能机器人) messages over its long connection.

A message arrives as an `aibot_msg_callback` frame whose body is JSON (no signature, no
encryption: the connection itself was opened with the robot's BotID and Secret):
{"msgid", "aibotid", "chatid" (groups), "chattype": "single" | "group", "from": {"userid"},
"msgtype": "text" | "voice" | "mixed" | "image" | "file", "text": {"content"}, ...}.

The sender is the WeCom userid, the same one the self-built app's callbacks carry, so one
binding serves both transports (platform "wecom").
"""

from __future__ import annotations

import re

from bots.errors import MalformedBody
from bots.message import FrameReplyContext, InboundMessage, from_epoch
from models.base import utcnow

# In a group the robot is @-mentioned: the text starts with "@name".
LEADING_MENTION = re.compile(r"^\s*@\S+\s*")


def parse_callback(req_id: object, body: object) -> InboundMessage:
    """An `aibot_msg_callback` frame's body as an InboundMessage answered by a frame with
    `req_id`; raises bots.errors.Refused (MalformedBody) when it can never be read."""
    if not isinstance(body, dict):
        raise MalformedBody("robot callback body is not a JSON object")
    try:
        return _message(_str(req_id), body)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise MalformedBody(f"robot callback field: {exc!r}") from None


def _str(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return str(value)


def _message(req_id: str, body: dict) -> InboundMessage:
    if not req_id:
        raise ValueError("empty req_id")
    msgtype = _str(body["msgtype"])
    sender = _str(body["from"]["userid"])
    group = _str(body.get("chattype") or "single") == "group"
    text = _text(msgtype, body)
    if group:
        text = LEADING_MENTION.sub("", text, count=1)
    created = body.get("create_time")
    message_id = _str(body["msgid"])
    if not message_id or not sender:
        raise ValueError("empty msgid or userid")
    return InboundMessage(
        platform="wecom",
        message_id=message_id,
        sender_id=sender,
        conversation_id=_str(body["chatid"]) if group else sender,
        conversation_type="group" if group else "private",
        created_at=from_epoch(int(created)) if created is not None else utcnow(),
        kind="text" if text else "other",
        text=text,
        reply=FrameReplyContext(req_id=req_id),
        raw=body,
    )


def _text(msgtype: str, body: dict) -> str:
    """The typed text: a text message, the transcript of a voice message, the text parts of a
    mixed one. Images and files are not read yet (they come encrypted, by URL)."""
    if msgtype in ("text", "voice"):
        return _str(body[msgtype]["content"]).strip()
    if msgtype == "mixed":
        items = body["mixed"]["msg_item"]
        return "".join(
            _str(item["text"]["content"]) for item in items if item.get("msgtype") == "text"
        ).strip()
    return ""
