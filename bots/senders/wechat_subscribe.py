"""WeChat mini-program subscribe messages (订阅消息, CHANNELS §2.3).

wechatpy's `send_subscribe_message` cannot set miniprogram_state or lang, so this posts
through the client's generic `post`, which keeps the token cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bots.senders.base import SendResult, call_with_token_retry
from models.messages import OutboundMessage

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    from bots.senders.clients import WeChatApiClient

# A `thing` value (the key names the type: "thing3") holds at most 20 characters. Numbers and
# letters (≤ 32) are not cut: a shortened number would be a wrong number.
THING_LIMIT = 20


@dataclass(frozen=True)
class SubscribeTarget:
    openid: str
    template_id: str
    page: str = ""  # e.g. "pages/order/detail?id=42", this mini-program only


@dataclass
class WeChatSubscribeSender:
    client: WeChatApiClient
    miniprogram_state: Literal["developer", "trial", "formal"] = "formal"
    lang: Literal["zh_CN", "en_US", "zh_HK", "zh_TW"] = "zh_CN"

    def send(self, target: SubscribeTarget, message: OutboundMessage) -> SendResult:
        """Send `message.fields` as the template data; each send uses up one subscription."""
        body = {
            "touser": target.openid,
            "template_id": target.template_id,
            "data": {key: {"value": clip(key, value)} for key, value in message.fields.items()},
            "miniprogram_state": self.miniprogram_state,
            "lang": self.lang,
        }
        if target.page:
            body["page"] = target.page
        return call_with_token_retry(
            lambda: self.client.post("message/subscribe/send", data=body), self.client.forget_token
        )


def clip(key: str, value: str) -> str:
    """Shorten a `thing` value to 20 characters, ending with "…" when cut."""
    value = str(value)
    if key.rstrip("0123456789") != "thing" or len(value) <= THING_LIMIT:
        return value
    return value[: THING_LIMIT - 1] + "…"
