"""WeChat customer-service messages (客服消息): the late answer after replying `success`.

WeChat shows no markdown, so the sender expects plain text (bots.replies renders it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bots.senders.base import SendResult, call_with_token_retry, truncate_utf8
from models.messages import OutboundMessage

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    from bots.senders.clients import WeChatApiClient

LIMIT = 2048
CUT = "\n…（内容过长，已截断）"


@dataclass
class WeChatCustomSender:
    client: WeChatApiClient

    def send(self, target: str, message: OutboundMessage) -> SendResult:
        """Send a text to the user with this openid."""
        if not target:
            return SendResult.permanent("no openid to send to")
        if message.kind == "image":
            return SendResult.permanent("customer-service images need a media upload first")
        text = f"{message.title}\n{message.text}" if message.title else message.text
        body = {
            "touser": target,
            "msgtype": "text",
            "text": {"content": truncate_utf8(text, LIMIT, CUT)},
        }
        return call_with_token_retry(
            lambda: self.client.post("message/custom/send", data=body), self.client.forget_token
        )
