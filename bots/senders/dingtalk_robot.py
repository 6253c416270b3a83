"""DingTalk custom group robot (CHANNELS §4.1) and replies to robot callbacks' sessionWebhook."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import requests

from bots.message import SessionWebhookContext
from bots.platforms.dingtalk import robot_sign
from bots.platforms.tokens import utc_now
from bots.senders.base import DEFAULT_TIMEOUT, SendResult, post_json
from bots.senders.clients import DINGTALK_API
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
    session: requests.Session = field(default_factory=requests.Session)

    def send(self, target: RobotTarget, message: OutboundMessage) -> SendResult:
        if message.kind == "image":
            return SendResult.permanent("DingTalk robots cannot send image bytes")
        params = {"access_token": target.access_token}
        if target.secret:
            timestamp = int(self.now() * 1000)
            # The raw base64: requests URL-encodes it once. Pre-encoding it gives %252B and 310000.
            params |= {"timestamp": str(timestamp), "sign": robot_sign(target.secret, timestamp)}
        url = f"{self.api_base.rstrip('/')}/robot/send"
        return post_json(
            self.session, url, build_payload(message), params=params, timeout=self.timeout
        )


@dataclass
class DingTalkSessionReplier:
    """Reply to a robot callback by POSTing to its sessionWebhook (no signing needed).

    The callback's sign covers only the timestamp, not the body, so the URL is checked
    against the DingTalk API origin before anything is sent to it.
    """

    api_base: str = DINGTALK_API
    timeout: float = DEFAULT_TIMEOUT
    now: Callable[[], datetime] = utc_now
    session: requests.Session = field(default_factory=requests.Session)

    def send(self, target: SessionWebhookContext, message: OutboundMessage) -> SendResult:
        if _origin(target.url) != _origin(self.api_base):
            return SendResult.permanent(f"sessionWebhook host not allowed: {target.url[:80]}")
        if not target.usable(self.now()):
            return SendResult.permanent("sessionWebhook expired")
        if message.kind == "image":
            return SendResult.permanent("DingTalk robots cannot send image bytes")
        return post_json(self.session, target.url, build_payload(message), timeout=self.timeout)


def build_payload(message: OutboundMessage) -> dict:
    """Custom-robot JSON. Mentions go in `at` and also as @xxx in the content to highlight."""
    names = [*message.mention_mobiles, *message.mention_user_ids]
    mention = " ".join(f"@{n}" for n in names if f"@{n}" not in message.text)
    text = f"{message.text} {mention}" if mention else message.text
    title = message.title or message.text.strip().split("\n", 1)[0][:20] or "通知"
    at = {
        "atMobiles": list(message.mention_mobiles),
        "atUserIds": list(message.mention_user_ids),
        "isAtAll": message.mention_all,
    }
    if message.kind == "text":
        body = f"{message.title}\n{text}" if message.title else text
        return {"msgtype": "text", "text": {"content": body}, "at": at}
    if message.kind == "action_card" and message.buttons:
        return {"msgtype": "actionCard", "actionCard": _action_card(title, text, message)}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}, "at": at}


def _action_card(title: str, text: str, message: OutboundMessage) -> dict:
    card = {"title": title, "text": text}
    if len(message.buttons) == 1:
        return card | {"singleTitle": message.buttons[0].title, "singleURL": message.buttons[0].url}
    buttons = [{"title": b.title, "actionURL": b.url} for b in message.buttons]
    return card | {"btnOrientation": "0", "btns": buttons}


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc
