"""The WeCom long connection's handling of callback frames (bots/stream/wecom.py), fed frames
directly: a callback is answered with a frame naming its req_id, so one whose req_id is missing
or not text is dropped before anything is stored or answered (it used to become the text
"None", which was stored and answered under that name)."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from bots.stream.wecom import CALLBACK, RESPOND, WeComLongConnection
from models.chat import ChatInbound
from tests.bots.test_wecom_aibot_inbound import _body
from tests.factories import count


class _Socket:
    """The sending side of the websocket (the platform's edge): what was sent on it."""

    def __init__(self):
        self.sent: list[dict] = []

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))


def _callback(msgid: str, **headers) -> dict:
    return {"cmd": CALLBACK, "headers": headers, "body": _body(msgid=msgid)}


def _feed(app, frames: list[dict]) -> list[dict]:
    """The frames through one connection's frame handler; the frames it sent back."""
    client = WeComLongConnection(app, bot_id="aib-1", secret="s", url="ws://127.0.0.1:9")
    socket, in_hand = _Socket(), set()

    async def run():
        for frame in frames:
            client._on_frame(socket, json.dumps(frame), in_hand)
        while client._tasks:
            await asyncio.gather(*list(client._tasks))

    # On a thread of its own: once a browser test ran in this worker, Playwright's sync API
    # keeps an event loop running on this one, and asyncio.run refuses to start another here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()
    return socket.sent


@pytest.mark.parametrize(
    "headers",
    [{"req_id": None}, {"req_id": ""}, {"req_id": 7}, {"req_id": ["r-1"]}, {}],
    ids=["null", "empty", "number", "list", "missing"],
)
def test_a_callback_without_a_text_req_id_is_dropped_unstored(app, session, caplog, headers):
    caplog.set_level(logging.WARNING, logger="gendan.bots")
    # Two such frames at once: neither is taken for a copy of the other, both are dropped.
    sent = _feed(app, [_callback("m-1", **headers), _callback("m-2", **headers)])
    assert sent == []
    assert count(session, ChatInbound) == 0
    dropped = [r for r in caplog.records if "without a req_id" in r.getMessage()]
    assert len(dropped) == 2


def test_a_callback_is_answered_under_its_own_req_id(app, session):
    sent = _feed(app, [_callback("m-1", req_id="r-1"), _callback("m-2", req_id="r-2")])
    assert sorted((f["cmd"], f["headers"]["req_id"]) for f in sent) == [
        (RESPOND, "r-1"),
        (RESPOND, "r-2"),
    ]
    assert count(session, ChatInbound) == 2
