"""Frames the DingTalk SDK would fail on (raising, so sending no ack) are recognised first:
the stream acknowledges them with 400 instead of leaving them to be delivered forever."""

from __future__ import annotations

import json

import pytest

from bots.errors import MalformedBody
from bots.platforms import dingtalk
from bots.stream.dingtalk import decode_frame, frame_problem

GOOD = {
    "specVersion": "1.0",
    "type": "EVENT",
    "headers": {"messageId": "m1", "time": "1700000000000", "eventType": "user_add_org"},
    "data": json.dumps({"userId": ["u1"]}),
}


def test_a_readable_frame_has_no_problem():
    assert frame_problem(GOOD) is None
    assert frame_problem({**GOOD, "data": ""}) is None
    assert frame_problem(decode_frame(json.dumps(GOOD))) is None


@pytest.mark.parametrize(
    "frame",
    [
        decode_frame("not json at all"),  # the whole frame is not JSON
        decode_frame("[1, 2]"),  # not an object
        {**GOOD, "headers": "m1"},  # headers not an object
        {**GOOD, "headers": {**GOOD["headers"], "time": "soon"}},  # the SDK int()s it
        {**GOOD, "data": {"userId": ["u1"]}},  # data must be a JSON string
        {**GOOD, "data": "{not json"},
    ],
)
def test_an_unreadable_frame_is_named(frame):
    assert isinstance(frame_problem(frame), str)


def test_a_stream_event_needs_a_type_and_an_object():
    event = dingtalk.parse_stream_event("user_add_org", {"userId": ["u1"]})
    assert event.event_type == "user_add_org" and event.payload == {"userId": ["u1"]}
    for event_type, data in (("", {}), (None, {}), ("user_add_org", [1]), ("x", "text")):
        with pytest.raises(MalformedBody):
            dingtalk.parse_stream_event(event_type, data)
