"""bots.events.handle_event, the one path for DingTalk events (webhook and Stream mode): a
delivery id is handled once, a redelivery during the handling is told to come again, and a
claim left by a dead process runs out."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from app.services.chat import DatabaseKeyValueStore
from bots.events import CLAIM_FOR, DONE, HANDLING, InFlight, handle_event
from bots.platforms.dingtalk import DingTalkEvent
from bots.platforms.tokens import MemoryKeyValueStore
from models.base import utcnow

EVENT = DingTalkEvent(event_type="user_add_org", payload={"userId": ["u1"]})


def _handled(caplog) -> int:
    return sum(r.getMessage() == "dingtalk event user_add_org" for r in caplog.records)


def test_a_delivery_id_is_handled_once(db, caplog):
    caplog.set_level(logging.INFO, logger="gendan.bots")
    store = DatabaseKeyValueStore(db.engine)
    assert handle_event(store, EVENT, delivery_id="evt-1") is True
    assert store.get("dingtalk-event:evt-1") == DONE
    assert handle_event(store, EVENT, delivery_id="evt-1") is False
    assert handle_event(store, EVENT, delivery_id="evt-2") is True
    assert _handled(caplog) == 2


def test_without_a_delivery_id_every_delivery_is_handled(db, caplog):
    caplog.set_level(logging.INFO, logger="gendan.bots")
    store = DatabaseKeyValueStore(db.engine)
    assert handle_event(store, EVENT) and handle_event(store, EVENT)  # the webhook's case
    assert _handled(caplog) == 2


def test_a_redelivery_while_another_process_handles_it_comes_again(db, caplog):
    caplog.set_level(logging.INFO, logger="gendan.bots")
    store = DatabaseKeyValueStore(db.engine)
    store.add("dingtalk-event:evt-3", HANDLING, utcnow() + CLAIM_FOR)  # the other process
    with pytest.raises(InFlight):
        handle_event(store, EVENT, delivery_id="evt-3")
    assert _handled(caplog) == 0


def test_the_claim_of_a_process_that_died_runs_out(caplog):
    caplog.set_level(logging.INFO, logger="gendan.bots")
    later = MemoryKeyValueStore(now=lambda: utcnow() + CLAIM_FOR + timedelta(seconds=1))
    later.set("dingtalk-event:evt-4", HANDLING, utcnow() + CLAIM_FOR)
    assert handle_event(later, EVENT, delivery_id="evt-4") is True
    assert _handled(caplog) == 1
