"""One internal shape for chat messages, whatever platform they came from or go to.

Adapters in bots/platforms turn a verified webhook request into an InboundMessage; senders in
bots/senders turn an OutboundMessage into the platform's JSON. Nothing here does I/O.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

Platform = Literal["wechat", "wecom", "dingtalk"]
ConversationType = Literal["private", "group"]
InboundKind = Literal["text", "image", "event", "other"]
OutboundKind = Literal["text", "markdown", "image", "action_card"]


@dataclass(frozen=True)
class ImageRef:
    """Where to fetch an image a user sent: a platform media id / download code, or a URL."""

    media_id: str = ""
    url: str = ""


@dataclass(frozen=True)
class PassiveReplyContext:
    """WeChat / WeCom: a reply goes back in the HTTP response, addressed with these ids."""

    to_user: str  # the sender's openid / userid (the inbound FromUserName)
    from_user: str  # the account id / CorpID (the inbound ToUserName)
    encrypted: bool = False
    agent_id: str = ""


@dataclass(frozen=True)
class SessionWebhookContext:
    """DingTalk robot callback: POST the reply to this URL before it expires (no signing)."""

    url: str
    expires_at: datetime
    robot_code: str = ""

    def usable(self, now: datetime) -> bool:
        return now < self.expires_at


ReplyContext = PassiveReplyContext | SessionWebhookContext


@dataclass(frozen=True)
class InboundMessage:
    """A message a user sent to Gendan, after signature checks and decryption."""

    platform: Platform
    message_id: str  # stable across platform retries: the dedupe key
    sender_id: str  # openid / WeCom userid / DingTalk senderStaffId
    conversation_id: str
    conversation_type: ConversationType
    created_at: datetime
    kind: InboundKind = "text"
    text: str = ""
    sender_name: str = ""
    image: ImageRef | None = None
    mentions: tuple[str, ...] = ()
    event: str = ""  # event name for kind == "event" (subscribe, enter_agent, ...)
    reply: ReplyContext | None = None
    raw: Mapping = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Button:
    title: str
    url: str


@dataclass(frozen=True)
class OutboundMessage:
    """A message Gendan wants to show in a chat. Senders render it per platform.

    `fields` carries template data (WeChat subscribe messages: {"thing1": "..."}).
    """

    kind: OutboundKind = "text"
    text: str = ""
    title: str = ""
    image: bytes = b""
    mention_mobiles: tuple[str, ...] = ()
    mention_user_ids: tuple[str, ...] = ()
    mention_all: bool = False
    buttons: tuple[Button, ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def plain(cls, text: str, **kwargs) -> OutboundMessage:
        return cls(kind="text", text=text, **kwargs)

    @classmethod
    def markdown(cls, title: str, text: str, **kwargs) -> OutboundMessage:
        return cls(kind="markdown", title=title, text=text, **kwargs)


def from_epoch(seconds: float) -> datetime:
    """Platform timestamps to an aware UTC datetime (WeChat sends s, DingTalk ms: divide first)."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def message_to_dict(message: OutboundMessage) -> dict:
    """A JSON-safe form of an OutboundMessage (image bytes as base64), for the outbox."""
    data = {
        "kind": message.kind,
        "text": message.text,
        "title": message.title,
        "mention_mobiles": list(message.mention_mobiles),
        "mention_user_ids": list(message.mention_user_ids),
        "mention_all": message.mention_all,
        "buttons": [{"title": b.title, "url": b.url} for b in message.buttons],
        "fields": dict(message.fields),
    }
    if message.image:
        data["image"] = base64.b64encode(message.image).decode()
    return data


def message_from_dict(data: Mapping) -> OutboundMessage:
    """The OutboundMessage `message_to_dict` wrote."""
    return OutboundMessage(
        kind=data.get("kind", "text"),
        text=data.get("text", ""),
        title=data.get("title", ""),
        image=base64.b64decode(data["image"]) if data.get("image") else b"",
        mention_mobiles=tuple(data.get("mention_mobiles", ())),
        mention_user_ids=tuple(data.get("mention_user_ids", ())),
        mention_all=bool(data.get("mention_all", False)),
        buttons=tuple(Button(b["title"], b["url"]) for b in data.get("buttons", ())),
        fields=dict(data.get("fields", {})),
    )
