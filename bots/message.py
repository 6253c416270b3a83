"""One internal shape for inbound chat messages, whatever platform they came from.

Adapters in bots/platforms turn a verified webhook request into an InboundMessage; senders in
bots/senders turn an OutboundMessage (models/messages.py, the shape services record in the
outbox) into the platform's JSON. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

Platform = Literal["wechat", "wecom", "dingtalk"]
ConversationType = Literal["private", "group"]
InboundKind = Literal["text", "image", "event", "other"]


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


@dataclass(frozen=True)
class FrameReplyContext:
    """WeCom intelligent robot over its long connection: the reply is a frame on the same
    connection carrying the callback's req_id (sent by the process that holds it)."""

    req_id: str


ReplyContext = PassiveReplyContext | SessionWebhookContext | FrameReplyContext


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
    event_key: str = ""  # the menu button's key of a menu event (scan_receive, photo_issue)
    scan_type: str = ""  # scancode events: ScanCodeInfo/ScanType (qrcode, barcode)
    reply: ReplyContext | None = None
    raw: Mapping = field(default_factory=dict, compare=False, repr=False)


def from_epoch(seconds: float) -> datetime:
    """Platform timestamps to an aware UTC datetime (WeChat sends s, DingTalk ms: divide first).

    Raises ValueError for a time no datetime can hold (the adapters refuse it as malformed).
    """
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"timestamp {seconds!r} out of range: {exc}") from None
