"""WeCom self-built app messages (应用消息) to users: the private answer after a callback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bots.senders.base import SendResult, call_with_token_retry, truncate_utf8
from models.messages import OutboundMessage

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    from bots.senders.clients import WeComApiClient

LIMIT = 2048
CUT = "\n…（内容过长，已截断）"


@dataclass
class WeComAppSender:
    client: WeComApiClient
    agent_id: str

    def send(self, target: Sequence[str] | str, message: OutboundMessage) -> SendResult:
        """Send to the WeCom userids in `target`; markdown stays markdown (WeCom renders it)."""
        userids = [target] if isinstance(target, str) else list(target)
        if not userids:
            return SendResult.permanent("no WeCom userid to send to")
        if message.kind == "image":
            return SendResult.permanent("app images need a media upload first")
        body = {"touser": "|".join(userids), "agentid": self.agent_id, "safe": 0}
        if message.kind == "text":
            text = f"{message.title}\n{message.text}" if message.title else message.text
            body |= {"msgtype": "text", "text": {"content": truncate_utf8(text, LIMIT, CUT)}}
        else:
            titled = message.title and not message.text.lstrip().startswith("#")
            text = f"### {message.title}\n{message.text}" if titled else message.text
            links = " · ".join(
                f"[{b.title}]({b.url})" for b in message.buttons if b.url not in text
            )
            tail = f"\n{links}" if links else ""
            content = truncate_utf8(text, LIMIT - len(tail.encode()), CUT) + tail
            body |= {"msgtype": "markdown", "markdown": {"content": content}}
        return call_with_token_retry(
            lambda: self.client.post("message/send", data=body), self.client.forget_token
        )
