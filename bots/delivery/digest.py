"""Merging messages for one group robot into digests when more are due than it accepts."""

from __future__ import annotations

from models.messages import OutboundMessage, message_from_dict
from models.outbox import Outbox

DIGEST_BYTES = 3800  # WeCom robot markdown holds 4096 bytes; DingTalk more
SEPARATOR = "\n\n---\n\n"


def _piece(message: OutboundMessage) -> str:
    links = " · ".join(
        f"[{b.title}]({b.url})" for b in message.buttons if b.url not in message.text
    )
    text = f"{message.text}\n{links}" if links else message.text  # a merged card keeps its links
    return f"**{message.title}**\n{text}" if message.title else text


def pack(rows: list[Outbox], budget: int) -> list[list[Outbox]]:
    """Consecutive rows grouped so each group's digest fits; at most `budget` groups.

    Rows that do not fit in `budget` digests stay out (they wait for the next window).
    """
    chunks: list[list[Outbox]] = []
    size = 0
    for row in rows:
        piece = len(_piece(message_from_dict(row.message)).encode()) + len(SEPARATOR)
        if chunks and size + piece <= DIGEST_BYTES:
            chunks[-1].append(row)
            size += piece
            continue
        if len(chunks) == budget:
            break
        chunks.append([row])
        size = piece + 200  # room for the digest heading
    return chunks


def merge_messages(messages: list[OutboundMessage]) -> OutboundMessage:
    """One markdown message carrying several, with everyone they mention."""
    title = f"Gendan 消息汇总（{len(messages)} 条）"
    body = f"### {title}\n\n" + SEPARATOR.join(_piece(m) for m in messages)
    mobiles = dict.fromkeys(x for m in messages for x in m.mention_mobiles)
    user_ids = dict.fromkeys(x for m in messages for x in m.mention_user_ids)
    return OutboundMessage.markdown(
        title,
        body,
        mention_mobiles=tuple(mobiles),
        mention_user_ids=tuple(user_ids),
        mention_all=any(m.mention_all for m in messages),
    )
