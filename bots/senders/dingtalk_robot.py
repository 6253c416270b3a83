"""DingTalk custom group robot (CHANNELS §4.1) and replies to robot callbacks' sessionWebhook."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from bots.message import SessionWebhookContext
from bots.platforms.dingtalk import robot_sign
from bots.platforms.tokens import utc_now
from bots.senders.base import DEFAULT_TIMEOUT, DINGTALK_API, JsonPoster, SendResult
from models.messages import OutboundMessage


@dataclass(frozen=True)
class RobotTarget:
    access_token: str
    secret: str = ""  # the SEC... signing secret, if the robot uses 加签


@dataclass
class DingTalkRobotSender:
    api_base: str = DINGTALK_API
    timeout: float = DEFAULT_TIMEOUT
    now: Callable[[], float] = time.time
    session: JsonPoster = field(default_factory=JsonPoster)

    def send(self, target: RobotTarget, message: OutboundMessage) -> SendResult:
        if message.kind == "image":
            return SendResult.permanent("DingTalk robots cannot send image bytes")
        params = {"access_token": target.access_token}
        if target.secret:
            timestamp = int(self.now() * 1000)
            # The raw base64: the poster URL-encodes it once (pre-encoded: %252B and 310000).
            params |= {"timestamp": str(timestamp), "sign": robot_sign(target.secret, timestamp)}
        url = f"{self.api_base.rstrip('/')}/robot/send"
        return self.session.post(url, build_payload(message), params=params, timeout=self.timeout)


@dataclass
class DingTalkSessionReplier:
    """Reply to a robot callback by POSTing to its sessionWebhook (no signing needed).

    The callback's sign covers only the timestamp, not the body, so the URL is checked
    against the DingTalk API origin before anything is sent to it.
    """

    api_base: str = DINGTALK_API
    timeout: float = DEFAULT_TIMEOUT
    now: Callable[[], datetime] = utc_now
    session: JsonPoster = field(default_factory=JsonPoster)

    def send(self, target: SessionWebhookContext, message: OutboundMessage) -> SendResult:
        if _origin(target.url) != _origin(self.api_base):
            return SendResult.permanent(f"sessionWebhook host not allowed: {target.url[:80]}")
        if not target.usable(self.now()):
            return SendResult.permanent("sessionWebhook expired")
        if message.kind == "image":
            return SendResult.permanent("DingTalk robots cannot send image bytes")
        return self.session.post(target.url, build_payload(message), timeout=self.timeout)


# DingTalk refuses a robot message whose request body exceeds 20,000 bytes (errcode 460101,
# "message too long, exceed 20000 bytes"); the poster sends JSON ASCII-escaped (6 bytes a CJK
# character), so the budget is measured on that encoding.
BODY_LIMIT = 20000
CUT_NOTE = "\n\n…（内容过长，已截断，请打开订单查看全部）"


def build_payload(message: OutboundMessage) -> dict:
    """Custom-robot JSON. The headline goes in the body (DingTalk shows `title` only in the
    conversation list). A card with buttons is an actionCard, unless it @mentions someone:
    actionCards carry no `at`, and the mention is what makes a person act, so it is markdown
    with the buttons as links. Mentions also go as @xxx in the content to highlight them."""
    names = [*message.mention_mobiles, *message.mention_user_ids]
    mention = " ".join(f"@{n}" for n in names if f"@{n}" not in message.text)
    title = message.title or message.text.strip().split("\n", 1)[0][:20] or "通知"
    at = {
        "atMobiles": list(message.mention_mobiles),
        "atUserIds": list(message.mention_user_ids),
        "isAtAll": message.mention_all,
    }
    if message.kind == "text":
        body = f"{message.title}\n{message.text}" if message.title else message.text
        tail = f" {mention}" if mention else ""
        payload = {"msgtype": "text", "text": {"content": body + tail}, "at": at}
        return _fit(payload, payload["text"], "content", len(body))
    text = headline(message)
    if message.kind == "action_card" and message.buttons and not (names or message.mention_all):
        card = _action_card(title, text, message)
        return _fit({"msgtype": "actionCard", "actionCard": card}, card, "text", len(text))
    links = button_links(message, text)
    tail = "".join(f"\n\n{part}" for part in (links, mention) if part)
    markdown = {"title": title, "text": text + tail}
    return _fit(
        {"msgtype": "markdown", "markdown": markdown, "at": at}, markdown, "text", len(text)
    )


def headline(message: OutboundMessage) -> str:
    """The markdown body with the title as its first line (unless it starts with a heading)."""
    if not message.title or message.text.lstrip().startswith("#"):
        return message.text
    return f"### {message.title}\n{message.text}"


def button_links(message: OutboundMessage, text: str) -> str:
    """The buttons as markdown links, for platforms or messages without buttons (a link the
    body already has is not repeated)."""
    return " · ".join(f"[{b.title}]({b.url})" for b in message.buttons if b.url not in text)


def _size(payload: dict) -> int:
    return len(json.dumps(payload).encode())  # as the poster sends it


def _fit(payload: dict, holder: dict, key: str, body_chars: int) -> dict:
    """Cut the first `body_chars` characters of holder[key] (the body, not the tail with the
    links and mentions) until the request fits BODY_LIMIT, at a line break when one is near."""
    if _size(payload) <= BODY_LIMIT:
        return payload
    full, tail = holder[key][:body_chars], holder[key][body_chars:]
    lo, hi = 0, len(full)
    while lo < hi:  # the longest prefix that fits with the note and the tail
        mid = (lo + hi + 1) // 2
        holder[key] = full[:mid] + CUT_NOTE + tail
        lo, hi = (mid, hi) if _size(payload) <= BODY_LIMIT else (lo, mid - 1)
    cut = full[:lo]
    line = cut.rfind("\n")
    holder[key] = (cut[:line] if line > len(cut) // 2 else cut) + CUT_NOTE + tail
    return payload


def _action_card(title: str, text: str, message: OutboundMessage) -> dict:
    card = {"title": title, "text": text}
    if len(message.buttons) == 1:
        return card | {"singleTitle": message.buttons[0].title, "singleURL": message.buttons[0].url}
    buttons = [{"title": b.title, "actionURL": b.url} for b in message.buttons]
    return card | {"btnOrientation": "1", "btns": buttons}


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc
