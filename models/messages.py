"""The outbound chat message: what services record in the outbox and senders render.

A leaf of shared vocabulary (no project imports): the service layer decides messages, the chat
door (bots/senders) turns them into each platform's JSON. Nothing here does I/O.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

OutboundKind = Literal["text", "markdown", "image", "action_card"]

# An outbox message that is rendered when it is sent holds a stub, {"render": <what>, ...}, until
# then (a warning's card: app/services/alerts/rendering.py).
STUB_KEY = "render"


def is_stub(message: Mapping | None) -> bool:
    """Whether a stored outbox message is a stub, rendered only when it is sent."""
    return bool(message) and STUB_KEY in message


@dataclass(frozen=True)
class Button:
    title: str
    url: str


@dataclass(frozen=True)
class OutboundMessage:
    """A message Gendan wants to show in a chat. Senders render it per platform.

    `fields` carries template data (WeChat subscribe messages: {"thing1": "..."}).
    """

    kind: OutboundKind = "text"
    text: str = ""
    title: str = ""
    image: bytes = b""
    mention_mobiles: tuple[str, ...] = ()
    mention_user_ids: tuple[str, ...] = ()
    mention_all: bool = False
    buttons: tuple[Button, ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def plain(cls, text: str, **kwargs) -> OutboundMessage:
        return cls(kind="text", text=text, **kwargs)

    @classmethod
    def markdown(cls, title: str, text: str, **kwargs) -> OutboundMessage:
        return cls(kind="markdown", title=title, text=text, **kwargs)


def message_to_dict(message: OutboundMessage) -> dict:
    """A JSON-safe form of an OutboundMessage (image bytes as base64), for the outbox."""
    data = {
        "kind": message.kind,
        "text": message.text,
        "title": message.title,
        "mention_mobiles": list(message.mention_mobiles),
        "mention_user_ids": list(message.mention_user_ids),
        "mention_all": message.mention_all,
        "buttons": [{"title": b.title, "url": b.url} for b in message.buttons],
        "fields": dict(message.fields),
    }
    if message.image:
        data["image"] = base64.b64encode(message.image).decode()
    return data


def message_from_dict(data: Mapping) -> OutboundMessage:
    """The OutboundMessage `message_to_dict` wrote."""
    return OutboundMessage(
        kind=data.get("kind", "text"),
        text=data.get("text", ""),
        title=data.get("title", ""),
        image=base64.b64decode(data["image"]) if data.get("image") else b"",
        mention_mobiles=tuple(data.get("mention_mobiles", ())),
        mention_user_ids=tuple(data.get("mention_user_ids", ())),
        mention_all=bool(data.get("mention_all", False)),
        buttons=tuple(Button(b["title"], b["url"]) for b in data.get("buttons", ())),
        fields=dict(data.get("fields", {})),
    )
