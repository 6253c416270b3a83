"""A handler's answer, and how each platform shows it.

Handlers write light markdown (headings, **bold**, lists, [links](url)). DingTalk robots
render it; WeChat and WeCom passive replies are plain text, so the markup is taken out and
the text kept within the 2048-byte passive reply limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bots.senders.base import truncate_utf8
from models.messages import OutboundMessage

PASSIVE_LIMIT = 2000  # WeChat / WeCom passive text replies: 2048 bytes, kept with a margin
MARKDOWN_LIMIT = 4000
CUT = "\n…（内容过长，已截断）"
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


@dataclass(frozen=True)
class Reply:
    text: str
    title: str = ""
    markdown: bool = False


def plain(text: str) -> Reply:
    return Reply(text=text)


def markdown(title: str, text: str) -> Reply:
    return Reply(text=text, title=title, markdown=True)


def markdown_to_plain(text: str) -> str:
    """Light markdown as readable plain text: no #, no **, links as `title url`."""
    text = _LINK.sub(r"\1 \2", text)
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.MULTILINE)
    return text.replace("**", "")


def render_for(platform: str, reply: Reply, *, passive: bool = True) -> OutboundMessage:
    """The message for a reply on this platform: markdown where it is shown (DingTalk, and
    WeCom app messages sent later), plain text in passive replies and on WeChat."""
    if reply.markdown and (platform == "dingtalk" or (platform == "wecom" and not passive)):
        text = truncate_utf8(reply.text, MARKDOWN_LIMIT, CUT)
        return OutboundMessage.markdown(reply.title or "Gendan", text)
    text = markdown_to_plain(reply.text) if reply.markdown else reply.text
    if reply.markdown and reply.title and not reply.text.lstrip().startswith("#"):
        text = f"{reply.title}\n{text}"
    return OutboundMessage.plain(truncate_utf8(text, PASSIVE_LIMIT, CUT))
