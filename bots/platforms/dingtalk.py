"""DingTalk inbound: app-robot "outgoing" callbacks (§4.2) and event subscriptions (§4.3)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bots.errors import BadSignature, MalformedBody, StaleTimestamp
from bots.message import ImageRef, InboundMessage, SessionWebhookContext, from_epoch
from bots.platforms.common import (
    MAX_BODY,
    check_size,
    load_json_object,
    refusing_crypto_errors,
    require_arg,
    require_sha1,
    same_secret,
)

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    from dingtalk.crypto import DingTalkCrypto

# DingTalk accepts a robot sign up to an hour off its clock (what the simulator checks of our
# signs). Its callbacks to us are signed the moment they are sent, so we accept five minutes
# of skew: a captured timestamp/sign pair is worth five minutes, and only once (`sign_seen`).
WINDOW_MS = 3_600_000
INBOUND_WINDOW_MS = 300_000
SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")


@dataclass(frozen=True)
class DingTalkRobotConfig:
    app_secret: str
    max_body: int = MAX_BODY
    window_ms: int = INBOUND_WINDOW_MS


@dataclass(frozen=True)
class DingTalkEventConfig:
    token: str
    aes_key: str
    owner_key: str  # the AppKey for app-level subscriptions (not the CorpId: CHANNELS pitfall 5)
    max_body: int = MAX_BODY

    def crypto(self) -> DingTalkCrypto:
        from dingtalk.crypto import DingTalkCrypto

        return DingTalkCrypto(self.token, self.aes_key, self.owner_key)


@dataclass(frozen=True)
class DingTalkEvent:
    event_type: str
    payload: Mapping = field(default_factory=dict)

    @property
    def is_check_url(self) -> bool:
        return self.event_type == "check_url"


def robot_sign(secret: str, timestamp_ms: int | str) -> str:
    """base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), not URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def check_robot_sign(secret: str, headers: Mapping[str, str], *, now: datetime, window_ms: int):
    timestamp = _header(headers, "timestamp")
    sign = _header(headers, "sign")
    if not timestamp or not sign:
        raise BadSignature("missing timestamp or sign header")
    if not timestamp.isdigit():
        raise StaleTimestamp(f"timestamp {timestamp!r} is not epoch milliseconds")
    if abs(int(now.timestamp() * 1000) - int(timestamp)) > window_ms:
        raise StaleTimestamp()
    if not same_secret(robot_sign(secret, timestamp), sign):
        raise BadSignature()


def sign_replay_key(headers: Mapping[str, str], window_ms: int) -> tuple[str, datetime]:
    """The store key of a verified callback's timestamp/sign pair and when the pair expires."""
    timestamp, sign = _header(headers, "timestamp"), _header(headers, "sign")
    digest = hashlib.sha256(f"{timestamp}\n{sign}".encode()).hexdigest()
    expires = datetime.fromtimestamp((int(timestamp) + window_ms) / 1000, tz=UTC)
    return f"dingtalk-sign:{digest}", expires


def parse_robot_callback(
    config: DingTalkRobotConfig, headers: Mapping[str, str], body: bytes, *, now: datetime
) -> InboundMessage:
    """Verify and parse a robot callback; raises bots.errors.Refused on any problem."""
    check_size(body, config.max_body)
    check_robot_sign(config.app_secret, headers, now=now, window_ms=config.window_ms)
    data = load_json_object(body)
    try:
        return _robot_message(data)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise MalformedBody(f"robot callback field: {exc!r}") from None


def parse_robot_message(data: object) -> InboundMessage:
    """Parse a robot message that came over Stream mode (the frame's data, already trusted:
    the connection was opened with the app's credentials); raises bots.errors.Refused."""
    if not isinstance(data, dict):
        raise MalformedBody("robot message is not a JSON object")
    try:
        return _robot_message(data)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise MalformedBody(f"robot message field: {exc!r}") from None


def _str(value: object) -> str:
    """A text field (ids may come as numbers); anything else is a malformed callback."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return str(value)


def _robot_message(data: dict) -> InboundMessage:
    msgtype = _str(data["msgtype"])
    text, image = _robot_content(msgtype, data)
    sender = _str(data.get("senderStaffId") or data["senderId"])
    return InboundMessage(
        platform="dingtalk",
        message_id=_str(data["msgId"]),
        sender_id=sender,
        sender_name=_str(data.get("senderNick") or ""),
        conversation_id=_str(data["conversationId"]),
        conversation_type="group" if str(data.get("conversationType")) == "2" else "private",
        created_at=from_epoch(int(data["createAt"]) / 1000),
        kind="image" if image and not text else ("text" if text or msgtype == "text" else "other"),
        text=text,
        image=image,
        mentions=tuple(_str(u["staffId"]) for u in data.get("atUsers") or () if u.get("staffId")),
        reply=SessionWebhookContext(
            url=_str(data["sessionWebhook"]),
            expires_at=from_epoch(int(data["sessionWebhookExpiredTime"]) / 1000),
            robot_code=_str(data.get("robotCode") or ""),
        ),
        raw=data,
    )


def _robot_content(msgtype: str, data: dict) -> tuple[str, ImageRef | None]:
    if msgtype == "text":
        return _str(data["text"]["content"]).strip(), None
    content = data.get("content") or {}
    if msgtype == "picture":
        return "", ImageRef(media_id=_str(content["downloadCode"]))
    if msgtype == "richText":
        parts = content.get("richText") or []
        text = "".join(_str(p.get("text", "")) for p in parts).strip()
        codes = [_str(p["downloadCode"]) for p in parts if p.get("downloadCode")]
        return text, ImageRef(media_id=codes[0]) if codes else None
    return "", None


def parse_event(config: DingTalkEventConfig, args: Mapping[str, str], body: bytes) -> DingTalkEvent:
    """Verify and decrypt an event-subscription callback; answer it with `event_reply`."""
    check_size(body, config.max_body)
    signature = require_arg(args, "msg_signature", "signature", signature=True)
    timestamp = require_arg(args, "timestamp", "timeStamp")
    nonce = require_arg(args, "nonce")
    if not SHA1_HEX.fullmatch(signature):  # refused before the body is parsed at all
        raise BadSignature("msg_signature is not a SHA-1 hex digest")
    encrypt = load_json_object(body).get("encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise MalformedBody("no encrypt field")
    require_sha1(signature, config.token, timestamp, nonce, encrypt)
    from dingtalk.core.exceptions import (
        InvalidCorpIdOrSuiteKeyException,
        InvalidSignatureException,
    )

    with refusing_crypto_errors(InvalidSignatureException, InvalidCorpIdOrSuiteKeyException):
        plain = config.crypto().decrypt_encrypt_str(signature, timestamp, nonce, encrypt)
    payload = load_json_object(plain.encode())
    return DingTalkEvent(event_type=str(payload.get("EventType", "")), payload=payload)


def parse_stream_event(event_type: object, data: object) -> DingTalkEvent:
    """An event that came over Stream mode (the frame's eventType header and its data, already
    trusted: the connection was opened with the app's credentials); raises bots.errors.Refused.
    The same DingTalkEvent as `parse_event` gives for the webhook."""
    if not isinstance(event_type, str) or not event_type:
        raise MalformedBody("stream event without an eventType header")
    if not isinstance(data, dict):
        raise MalformedBody("stream event data is not a JSON object")
    return DingTalkEvent(event_type=event_type, payload=data)


def event_reply(
    config: DingTalkEventConfig, *, nonce: str | None = None, timestamp_ms: int | None = None
) -> dict:
    """The JSON body that acknowledges an event: {msg_signature, timeStamp, nonce, encrypt}."""
    return config.crypto().encrypt_message("success", nonce or secrets.token_hex(8), timestamp_ms)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), "")
    return value.strip()
