"""Simulated WeCom: group robot webhook, gettoken, app message send."""

from __future__ import annotations

import base64
import binascii
import hashlib

from flask import Blueprint, request

from bots.simulator.common import err, json_object, ok, sim, token_answer, token_or_error, utf8_len

bp = Blueprint("sim_wecom", __name__)
LIMITS = {"text": 2048, "markdown": 4096}
APP_LIMITS = {"text": 2048, "markdown": 2048}  # app messages (应用消息): 2048 bytes each
IMAGE_LIMIT = 2 * 1024 * 1024


@bp.post("/cgi-bin/webhook/send")
def webhook_send():
    state = sim()
    key = request.args.get("key", "")
    robot = state.find("wecom_robots", key)
    if robot is None:
        return err(93000, "invalid webhook url, hint: check the key")
    payload = json_object()
    problem = check_robot_payload(payload) if payload is not None else (40058, "invalid json")
    if problem:
        return err(*problem)
    if not state.allow(f"wecom-robot:{key}"):
        return err(45009, "api freq out of limit")
    state.pushed("wecom", f"wecom-robot:{key}", "webhook/send", payload)
    return ok()


def check_robot_payload(payload: dict) -> tuple[int, str] | None:
    msgtype = payload.get("msgtype")
    body = payload.get(msgtype) if isinstance(msgtype, str) else None
    if not isinstance(body, dict):
        return 40008, "invalid message type"
    if msgtype in LIMITS:
        content = body.get("content")
        if not isinstance(content, str) or not content:
            return 41009, "missing content"
        if utf8_len(content) > LIMITS[msgtype]:
            return 40058, f"content exceed max length {LIMITS[msgtype]}"
        return None
    if msgtype == "image":
        return _check_image(body)
    if msgtype in ("news", "file", "template_card"):
        return None
    return 40008, "invalid message type"


def _check_image(body: dict) -> tuple[int, str] | None:
    try:
        data = base64.b64decode(body.get("base64", ""), validate=True)
    except (binascii.Error, ValueError):
        return 40058, "invalid image base64"
    if not data or len(data) > IMAGE_LIMIT:
        return 40058, "image size must be 1 B to 2 MB"
    if hashlib.md5(data).hexdigest() != str(body.get("md5", "")).lower():
        return 40058, "image md5 not match"
    return None


@bp.get("/cgi-bin/gettoken")
def gettoken():
    state = sim()
    app = state.find("wecom_apps", request.args.get("corpid"))
    if app is None:
        return err(40013, "invalid corpid")
    if request.args.get("corpsecret") != app.get("corpsecret"):
        return err(40001, "invalid secret")
    token = state.live_token("wecom", app["corpid"]) or state.issue_token(
        "wecom", app["corpid"], rotate=False
    )
    return token_answer(token, state.clock.now())


@bp.post("/cgi-bin/message/send")
def message_send():
    state = sim()
    token, error = token_or_error("wecom")
    if error:
        return error
    payload = json_object() or {}
    app = state.find("wecom_apps", token.app)
    if str(payload.get("agentid")) != str(app.get("agentid")):
        return err(40056, "invalid agentid")
    msgtype = payload.get("msgtype")
    if not isinstance(payload.get(msgtype), dict):
        return err(40008, "invalid message type")
    content = payload[msgtype].get("content")
    if msgtype in APP_LIMITS and utf8_len(str(content or "")) > APP_LIMITS[msgtype]:
        return err(45002, "content size out of limit")
    wanted = [u for u in str(payload.get("touser", "")).split("|") if u]
    known = [u for u in wanted if state.user(userid=u)]
    if not known:
        return err(81013, "user & party & tag all invalid")
    for userid in known:
        state.pushed("wecom", f"wecom:user:{userid}", "message/send", payload)
    invalid = "|".join(u for u in wanted if u not in known)
    return ok(invaliduser=invalid, invalidparty="", invalidtag="")


@bp.post("/cgi-bin/user/getuserid")
def getuserid():
    """The userid of the member with this mobile (46004 when nobody has it)."""
    _token, error = token_or_error("wecom")
    if error:
        return error
    mobile = str((json_object() or {}).get("mobile", ""))
    user = sim().user(mobile=mobile) if mobile else None
    if user is None:
        return err(46004, "mobile not exist")
    return ok(userid=user["userid"])
