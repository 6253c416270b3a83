"""The DingTalk timestamp/sign pair is claimed in the transaction that records its message
(issue 18): another body under a seen pair is refused and writes nothing, whether the read
transaction or the write transaction catches it; the platform's retry of the same body is
answered once, with one reply."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from bots.errors import ReplayedSign
from bots.inbound import handle_message
from bots.platforms import dingtalk
from bots.sign_claim import SignClaim
from bots.simulator import wire
from models import clock
from models.base import utcnow
from models.chat import ChatInbound
from models.enums import Role
from models.outbox import BotTask, KeyValue, Outbox
from tests.bots.live import DING_GROUP, bind_all, pushed, wait_pushed
from tests.bots.test_webhook_statements import session_payload, wait_sent
from tests.bots.test_webhooks import DT
from tests.factories import count, make_order, make_user


@pytest.fixture
def web(chat_app):
    return chat_app.test_client()


@pytest.fixture
def order(session):
    tracker, sender = make_user(session), make_user(session, Role.admin)
    order = make_order(session, tracker, code="GD-SIGN-1")
    bind_all(session, sender, "wangwu")
    session.commit()
    return order


def signed(sim, text: str) -> tuple[dict, bytes]:
    payload = session_payload(sim, text, sender="wangwu")
    return wire.dingtalk_robot_push(
        app_secret=DT["appsecret"], payload=payload, now_ms=int(clock.epoch() * 1000)
    )


def stored(session) -> dict[str, str]:
    """The key_value rows, read in a transaction of its own (no lock stays held)."""
    session.commit()
    fresh = select(KeyValue).execution_options(populate_existing=True)
    keys = {row.key: row.value for row in session.exec(fresh)}
    session.commit()
    return keys


def written(session) -> tuple[int, int, int]:
    return count(session, ChatInbound), count(session, Outbox), count(session, BotTask)


def test_another_body_under_a_seen_pair_is_refused_and_writes_nothing(web, session, order, sim):
    headers, first = signed(sim, "帮助")
    assert web.post("/bots/dingtalk", headers=headers, data=first).status_code == 200
    keys = stored(session)
    assert len(keys) == 1 and written(session) == (1, 1, 0)
    # A command that writes (a standup queues a task), under the captured pair.
    other = json.dumps(session_payload(sim, f"站会 {order.code}", sender="wangwu")).encode()
    refused = web.post("/bots/dingtalk", headers=headers, data=other)
    assert refused.status_code == 403 and refused.get_data(as_text=True) == "replayed_sign"
    assert written(session) == (1, 1, 0) and stored(session) == keys
    wait_sent(session)
    assert len(wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")) == 1


def test_a_pair_taken_between_the_read_and_the_write_refuses_before_the_command_runs(
    chat_app, db, session, order, sim
):
    """Another body claims the pair after this one's read transaction checked it (the throttle
    hook runs between the two): the write transaction refuses and rolls back the lot."""
    runtime, deliverer = chat_app.extensions["gendan.chat"], chat_app.extensions["gendan.deliverer"]
    headers, body = signed(sim, f"站会 {order.code}")
    with chat_app.app_context():
        config = runtime.dingtalk_robot()
        message = dingtalk.parse_robot_callback(config, headers, body, now=utcnow())
    claim = SignClaim.of(runtime.store, headers, body, config.window_ms)

    def another_body_first(_message) -> bool:
        assert runtime.store.add(claim.key, "another body", claim.expires_at) is None
        return True

    with pytest.raises(ReplayedSign):
        handle_message(
            db, message, throttle=another_body_first, claim=claim, lease=deliverer.lease_new
        )
    assert written(session) == (0, 0, 0)
    assert stored(session) == {claim.key: "another body"}


def test_a_command_that_fails_keeps_its_pair_claimed_with_its_row(web, session, order, sim):
    """The command rolls back to the savepoint after the claim: the refusal is recorded and
    the pair stays claimed, so another body under it is still refused."""
    headers, body = signed(sim, "站会 GD-NO-SUCH")
    assert web.post("/bots/dingtalk", headers=headers, data=body).status_code == 200
    session.commit()
    (row,) = session.exec(select(ChatInbound).execution_options(populate_existing=True)).all()
    assert row.outcome == "error" and written(session) == (1, 1, 0)
    assert len(stored(session)) == 1
    other = json.dumps(session_payload(sim, "帮助", sender="wangwu")).encode()
    assert web.post("/bots/dingtalk", headers=headers, data=other).status_code == 403
    assert written(session) == (1, 1, 0)
    wait_sent(session)  # the refusal's reply leaves before the next test resets the simulator


def test_the_platforms_retry_of_the_same_body_is_answered_once_with_one_reply(
    web, session, order, sim
):
    headers, body = signed(sim, f"站会 {order.code}")
    answers = [web.post("/bots/dingtalk", headers=headers, data=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert written(session) == (1, 1, 1) and len(stored(session)) == 1
    wait_sent(session)
    assert len(wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")) == 1
    time.sleep(0.3)  # a second reply would have left by now
    assert len(pushed(sim, DING_GROUP, api="sessionWebhook")) == 1


def test_a_pair_another_body_held_until_it_expired_is_free_again(web, session, order, sim):
    """The read transaction judges the pair by its live value (read with the dedupe lookup in
    one statement): an expired row of another body is no refusal, and the write takes it over."""
    headers, body = signed(sim, "帮助")
    store = web.application.extensions["gendan.chat"].store
    key, _ = dingtalk.sign_replay_key(headers, 60_000)
    assert store.add(key, "another body", utcnow() - timedelta(seconds=1)) is None
    assert web.post("/bots/dingtalk", headers=headers, data=body).status_code == 200
    assert stored(session) == {key: hashlib.sha256(body).hexdigest()}
    assert written(session) == (1, 1, 0)
    wait_sent(session)
