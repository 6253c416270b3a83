"""Admin JSON API: configure the simulator, read what Gendan sent, inject faults, chat."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, current_app, jsonify, request

from bots.simulator import faults, handshake
from bots.simulator.common import sim
from bots.simulator.state import SECTIONS

bp = Blueprint("sim_admin", __name__, url_prefix="/admin")


def _body() -> dict:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else {}


def _bad(message: str, status: int = 400):
    return jsonify(error=message), status


@bp.get("/config")
def get_config():
    return jsonify(sim().config)


@bp.get("/gendan")
def gendan_address():
    """Where Gendan runs (the simulator delivers there): the phone frame opens its /m/."""
    return jsonify({"url": current_app.extensions["chat_simulator_deliverer"].gendan_url})


@bp.put("/config")
def put_config():
    try:
        sim().replace(_body())
    except ValueError as exc:
        return _bad(str(exc))
    return jsonify(sim().config)


@bp.post("/config/<section>")
def add_items(section: str):
    if section not in SECTIONS:
        return _bad(f"unknown section {section!r}", 404)
    data = request.get_json(force=True, silent=True)
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(i, dict) for i in items):
        return _bad("send an object or a list of objects")
    sim().add(section, items)
    return jsonify(sim().config[section])


@bp.post("/inapp")
def inapp():
    """The simulated in-app browser: {platform, user, scan}. `user` is who the OAuth page and
    requestAuthCode sign in (empty: the OAuth page asks); `scan` what the JS-SDK scanner reads."""
    body = _body()
    platform = body.get("platform")
    if platform not in ("wechat", "wecom", "dingtalk"):
        return _bad("platform must be wechat, wecom or dingtalk")
    with sim().lock:
        current = sim().inapp.setdefault(platform, {})
        for key in ("user", "scan"):
            if key in body:
                current[key] = body[key]
        return jsonify(dict(current))


@bp.get("/messages")
def messages():
    """Recorded messages, oldest first; filter by platform, conversation, api, direction, after."""
    after = request.args.get("after", type=int, default=0)
    names = ("platform", "conversation", "api", "direction")
    wanted = {k: request.args[k] for k in names if k in request.args}
    with sim().lock:
        rows = [
            m
            for m in sim().messages
            if m["seq"] > after and all(m.get(k) == v for k, v in wanted.items())
        ]
    return jsonify(rows)


@bp.get("/calls")
def calls():
    path = request.args.get("path", "")
    with sim().lock:
        return jsonify([c for c in sim().calls if c["path"].startswith(path)])


@bp.get("/conversations")
def conversations():
    return jsonify(conversation_list())


@bp.post("/reset")
def reset():
    sim().reset(config=bool(_body().get("config")))
    return jsonify(ok=True)


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def fault_list():
    state = sim()
    if request.method == "POST":
        try:
            return jsonify(faults.add_fault(state, _body())), 201
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
    if request.method == "DELETE":
        with state.lock:
            state.faults.clear()
        state.release.set()
    return jsonify(state.faults)


@bp.route("/clock", methods=["GET", "POST"])
def clock():
    state, body = sim(), _body()
    if "set" in body:
        state.clock.set(float(body["set"]))
    elif "advance" in body:
        state.clock.advance(float(body["advance"]))
    return jsonify(now=state.clock.now())


@bp.post("/tokens/expire")
def expire_tokens():
    sim().expire_tokens()
    return jsonify(ok=True)


@bp.post("/say")
def say():
    """Deliver a user's message to Gendan: {"conversation", "user", "text"}, or "image"
    (base64 of a JPEG / PNG) instead of "text"."""
    body = _body()
    if not all(isinstance(body.get(k), str) and body[k] for k in ("conversation", "user")):
        return _bad("conversation and user are required")
    image = b""
    if isinstance(body.get("image"), str) and body["image"]:
        try:
            image = base64.b64decode(body["image"], validate=True)
        except (binascii.Error, ValueError):
            return _bad("image must be base64")
    elif not (isinstance(body.get("text"), str) and body["text"]):
        return _bad("text or image is required")
    deliverer = current_app.extensions["chat_simulator_deliverer"]
    return jsonify(
        deliverer.say(
            body["conversation"], body["user"], body.get("text", ""), request.host_url, image
        )
    )


@bp.post("/verify/<platform>")
def verify(platform: str):
    if platform not in ("wechat", "wecom", "dingtalk"):
        return _bad("platform must be wechat, wecom or dingtalk", 404)
    return jsonify(
        handshake.verify_url(current_app.extensions["chat_simulator_deliverer"], platform)
    )


@bp.post("/event")
def event():
    """A DingTalk event push: to the webhook, or over the stream when the app's transport is
    stream (eventType in the frame's headers, the rest of the payload as its data)."""
    deliverer = current_app.extensions["chat_simulator_deliverer"]
    payload = _body() or {"EventType": "check_url"}
    app = (sim().config.get("dingtalk_apps") or [None])[0]
    if app is not None and app.get("transport") == "stream":
        data = {key: value for key, value in payload.items() if key != "EventType"}
        event_type = str(payload.get("EventType") or "")
        stream = current_app.extensions["chat_simulator_stream"]
        message_id, event_id = stream.deliver_event(app["appkey"], event_type, data)
        return jsonify(
            {"ok": True, "transport": "stream", "message_id": message_id, "event_id": event_id}
        )
    return jsonify(handshake.send_event(deliverer, payload))


def conversation_list() -> list[dict]:
    """Every chat the UI can show: robot groups, and private chats per user and platform."""
    config = sim().config
    return _robot_groups(config) + [
        chat for user in config["users"] for chat in _private_chats(config, user)
    ]


def _robot_groups(config: dict) -> list[dict]:
    rows = [
        {
            "id": f"wecom-robot:{r['key']}",
            "platform": "wecom",
            "type": "group",
            "title": r.get("title") or "企业微信群",
            "can_type": False,
        }
        for r in config["wecom_robots"]
    ]
    return rows + [
        {
            "id": f"dingtalk:{r.get('conversation_id') or r['access_token']}",
            "platform": "dingtalk",
            "type": "group",
            "title": r.get("title") or "钉钉群",
            "can_type": bool(r.get("conversation_id") and config["dingtalk_apps"]),
        }
        for r in config["dingtalk_robots"]
    ]


def _private_chats(config: dict, user: dict) -> list[dict]:
    name = user.get("name") or user["userid"]
    ids = {
        "wechat": user.get("openid") if config["wechat_apps"] else None,
        "wecom": user["userid"] if config["wecom_apps"] else None,
        "dingtalk": user["userid"] if config["dingtalk_apps"] else None,
    }
    return [
        {
            "id": f"{platform}:user:{chat_id}",
            "platform": platform,
            "type": "private",
            "title": f"{name}（{LABELS[platform]}）",
            "user": user["userid"],
            "can_type": True,
        }
        for platform, chat_id in ids.items()
        if chat_id
    ]


LABELS = {"wechat": "微信", "wecom": "企业微信", "dingtalk": "钉钉"}
