"""DingTalk work notice (工作通知) to users, through the official oapi endpoint.

dingtalk-sdk's `message.asyncsend_v2` goes through the TOP gateway and its token retry is
broken (CHANNELS §4.4, pitfall 4), so this posts to /topapi/... with the client's `post`,
which keeps the SDK's token cache. "ok" means accepted: DingTalk drops repeats of the same
content to the same user within a day without saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bots.senders.base import SendResult, call_with_token_retry
from bots.senders.dingtalk_robot import headline
from models.messages import OutboundMessage

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    from dingtalk.client import AppKeyClient

ENDPOINT = "/topapi/message/corpconversation/asyncsend_v2"
MAX_RECIPIENTS = 5000


@dataclass
class DingTalkWorkNoticeSender:
    client: AppKeyClient
    agent_id: str

    def send(self, target: Sequence[str] | str, message: OutboundMessage) -> SendResult:
        """Send to the DingTalk userids in `target` (one id or several)."""
        userids = [target] if isinstance(target, str) else list(target)
        if not userids or len(userids) > MAX_RECIPIENTS:
            return SendResult.permanent(f"need 1..{MAX_RECIPIENTS} userids, got {len(userids)}")
        if message.kind == "image":
            return SendResult.permanent("work notice images need a media_id upload first")
        body = {
            "agent_id": self.agent_id,
            "userid_list": ",".join(userids),
            "msg": notice_body(message),
        }
        return call_with_token_retry(
            lambda: self.client.post(ENDPOINT, body), self.client.cache.access_token.delete
        )


def notice_body(message: OutboundMessage) -> dict:
    """The `msg` object; in work notices the card type is `action_card`, not `actionCard`."""
    from dingtalk.model.message import (
        BtnActionCardBody,
        MarkdownBody,
        SingleActionCardBody,
        TextBody,
    )

    title = message.title or message.text.strip().split("\n", 1)[0][:20] or "通知"
    body = headline(message)  # the title alone shows only in the conversation list
    if message.kind == "text":
        text = f"{message.title}\n{message.text}" if message.title else message.text
        return TextBody(text).get_dict()
    if message.kind == "action_card" and len(message.buttons) == 1:
        button = message.buttons[0]
        return SingleActionCardBody(title, body, button.title, button.url).get_dict()
    if message.kind == "action_card" and message.buttons:
        buttons = [{"title": b.title, "action_url": b.url} for b in message.buttons]
        return BtnActionCardBody(title, body, "1", buttons).get_dict()
    return MarkdownBody(title, body).get_dict()
