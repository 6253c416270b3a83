"""One path for DingTalk event subscriptions, whichever transport brought them.

The webhook (/bots/dingtalk/events, verified and decrypted by `dingtalk.parse_event`) and
Stream mode (EVENT frames, `dingtalk.parse_stream_event`) both end here. Today an event is
only logged. A delivery id (Stream mode: the frame's eventId, else its messageId) is claimed
in the shared key-value store before handling, so a redelivery is handled once, in whichever
process gets it: a redelivery after the handling finished is a duplicate (acknowledged, not
handled again); one while it runs elsewhere raises `InFlight` (not acknowledged, so it comes
again). A handling error gives the claim back, and a claim whose process died runs out after
CLAIM_FOR, so that a later redelivery handles the event.
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
CLAIM_FOR = timedelta(minutes=5)
HANDLING, DONE = "handling", "done"


class InFlight(Exception):
    """The same delivery is being handled elsewhere right now."""


def handle_event(store: KeyValueStore, event: DingTalkEvent, *, delivery_id: str = "") -> bool:
    """Handle one event; False when `delivery_id` was handled already (a redelivery)."""
    if not delivery_id:
        _handle(event)
        return True
    key = f"dingtalk-event:{delivery_id}"
    seen = store.add(key, HANDLING, utcnow() + CLAIM_FOR)
    if seen == DONE:
        log.debug("dingtalk event %s delivered again (%s)", event.event_type, delivery_id)
        return False
    if seen is not None:
        raise InFlight(delivery_id)
    try:
        _handle(event)
    except Exception:
        store.delete(key)
        raise
    store.set(key, DONE, utcnow() + SEEN_FOR)
    return True


def _handle(event: DingTalkEvent) -> None:
    log.info("dingtalk event %s", event.event_type)
