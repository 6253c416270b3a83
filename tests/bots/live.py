"""Helpers for tests that chat with a running Gendan through the simulator."""

from __future__ import annotations

import time

from app.services.chat import bind_identity
from app.services.core import Actor
from bots.simulator.seed import DEMO_CONFIG
from models.enums import Channel, ChatPlatform
from tests.bots.conftest import admin

# The simulator's demo people: userid -> WeChat openid
PEOPLE = {p["userid"]: p["openid"] for p in DEMO_CONFIG["users"]}
DING_GROUP = "dingtalk:cid-project-a001"


def say(sim, conversation: str, user: str, text: str) -> dict:
    body = {"conversation": conversation, "user": user, "text": text}
    return admin(sim, "POST", "say", json=body)


def passive_text(result: dict) -> str:
    """The passive reply the simulated phone showed (WeChat / WeCom)."""
    assert result["ok"], result
    return result["reply"]["payload"]["text"]["content"]


def pushed(sim, conversation: str | None = None, api: str | None = None) -> list[dict]:
    params = {"direction": "from_gendan"}
    if conversation:
        params["conversation"] = conversation
    if api:
        params["api"] = api
    return admin(sim, "GET", "messages", params=params)


def wait_pushed(sim, conversation: str, count: int, api: str | None = None) -> list[dict]:
    """Poll until `count` messages reached the conversation (replies sent after the response)."""
    deadline = time.monotonic() + 10
    while True:
        rows = pushed(sim, conversation, api)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def content(row: dict) -> str:
    """The visible text of a recorded message, whatever its type."""
    payload = row["payload"]
    kind = payload.get("msgtype")
    body = payload.get(kind) or {}
    return body.get("content") or body.get("text") or ""


def bind_all(session, user, userid: str) -> None:
    """Bind a Gendan user to a simulator person on all three platforms."""
    system = Actor.system(Channel.cli)
    for platform, external_id in (
        (ChatPlatform.wechat, PEOPLE[userid]),
        (ChatPlatform.wecom, userid),
        (ChatPlatform.dingtalk, userid),
    ):
        bind_identity(
            session=session,
            actor=system,
            user_id=user.id,
            platform=platform,
            external_id=external_id,
        )
