"""WeCom group robot webhook (CHANNELS §3.1). The key is the only credential; no signing."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from bots.senders.base import DEFAULT_TIMEOUT, JsonPoster, SendResult, truncate_utf8
from models.messages import OutboundMessage

WECOM_API = "https://qyapi.weixin.qq.com"
TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
IMAGE_LIMIT = 2 * 1024 * 1024
CUT_NOTE = "\n…（内容过长，已截断）"


class UnsendableMessage(ValueError):
    """The message breaks a platform limit that truncation cannot fix."""


@dataclass
class WeComRobotSender:
    api_base: str = WECOM_API
    timeout: float = DEFAULT_TIMEOUT
    session: JsonPoster = field(default_factory=JsonPoster)

    def send(self, target: str, message: OutboundMessage) -> SendResult:
        """Send to the robot whose webhook key is `target`."""
        if not target or "/" in target or "key=" in target:
            return SendResult.permanent("pass the webhook key, not the URL", 93000)
        try:
            payload = build_payload(message)
        except UnsendableMessage as exc:
            return SendResult.permanent(str(exc))
        url = f"{self.api_base.rstrip('/')}/cgi-bin/webhook/send"
        return self.session.post(url, payload, params={"key": target}, timeout=self.timeout)


def build_payload(message: OutboundMessage) -> dict:
    if message.kind == "image":
        return {"msgtype": "image", "image": _image(message.image)}
    if message.kind == "text":
        return {"msgtype": "text", "text": _text(message)}
    return {"msgtype": "markdown", "markdown": {"content": _markdown(message)}}


def _text(message: OutboundMessage) -> dict:
    body = f"{message.title}\n{message.text}" if message.title else message.text
    users = list(message.mention_user_ids) + (["@all"] if message.mention_all else [])
    return {
        "content": truncate_utf8(body, TEXT_LIMIT, CUT_NOTE),
        "mentioned_list": users,
        "mentioned_mobile_list": list(message.mention_mobiles),
    }


def _markdown(message: OutboundMessage) -> str:
    """Markdown content ≤ 4096 bytes; the buttons (as links) and the <@userid> mentions come
    after the body and survive its truncation."""
    # A body that starts with its own heading (as DingTalk markdown needs) keeps it.
    titled = message.title and not message.text.lstrip().startswith("#")
    body = f"### {message.title}\n{message.text}" if titled else message.text
    links = " · ".join(f"[{b.title}]({b.url})" for b in message.buttons if b.url not in body)
    mentions = " ".join(f"<@{uid}>" for uid in message.mention_user_ids)
    tail = "".join(f"\n{part}" for part in (links, mentions) if part)
    return truncate_utf8(body, MARKDOWN_LIMIT - len(tail.encode()), CUT_NOTE) + tail


def _image(data: bytes) -> dict:
    if not data:
        raise UnsendableMessage("image message without image bytes")
    if len(data) > IMAGE_LIMIT:
        raise UnsendableMessage(f"image is {len(data)} bytes, the limit is 2 MB")
    if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
        raise UnsendableMessage("image must be JPG or PNG")
    return {"base64": base64.b64encode(data).decode(), "md5": hashlib.md5(data).hexdigest()}
