"""One path for DingTalk event subscriptions, whichever transport brought them.

The webhook (/bots/dingtalk/events, verified and decrypted by `dingtalk.parse_event`) and
Stream mode (EVENT frames, `dingtalk.parse_stream_event`) both end here. Today an event is
only logged. A delivery id (Stream mode: the frame's eventId, else its messageId) is claimed
in the shared key-value store before handling, so a redelivery is handled once, in whichever
process gets it; a handling error gives the claim back so that the redelivery handles it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bots.platforms.dingtalk import DingTalkEvent
from bots.platforms.tokens import KeyValueStore
from models.base import utcnow

log = logging.getLogger("gendan.bots")
# DingTalk redelivers an unacknowledged frame within minutes; a day is plenty.
SEEN_FOR = timedelta(days=1)


def handle_event(store: KeyValueStore, event: DingTalkEvent, *, delivery_id: str = "") -> bool:
    """Handle one event; False when `delivery_id` was handled already (a redelivery)."""
    key = f"dingtalk-event:{delivery_id}" if delivery_id else ""
    if key and store.add(key, event.event_type, utcnow() + SEEN_FOR) is not None:
        log.debug("dingtalk event %s delivered again (%s)", event.event_type, delivery_id)
        return False
    try:
        _handle(event)
    except Exception:
        if key:
            store.delete(key)
        raise
    return True


def _handle(event: DingTalkEvent) -> None:
    log.info("dingtalk event %s", event.event_type)
