"""Simulated WeChat: token, stable_token, jscode2session, subscribe and customer-service sends."""

from __future__ import annotations

import base64
import secrets

from flask import Blueprint, request

from bots.simulator.common import err, json_object, ok, sim, token_answer, token_or_error

bp = Blueprint("sim_wechat", __name__)
VALUE_LIMITS = {"thing": 20, "number": 32, "letter": 32, "character_string": 32, "phrase": 5}
STATES = {"developer", "trial", "formal"}
LANGS = {"zh_CN", "en_US", "zh_HK", "zh_TW"}


def _app_or_error(appid, secret):
    app = sim().find("wechat_apps", appid)
    if app is None:
        return None, err(40013, "invalid appid")
    if secret != app.get("secret"):
        return None, err(40125, "invalid appsecret")
    return app, None


@bp.get("/cgi-bin/token")
def token():
    """Every fetch issues a new token; the previous one dies after a 5-minute overlap."""
    if request.args.get("grant_type") != "client_credential":
        return err(40002, "invalid grant_type")
    app, error = _app_or_error(request.args.get("appid"), request.args.get("secret"))
    if error:
        return error
    state = sim()
    return token_answer(state.issue_token("wechat", app["appid"], rotate=True), state.clock.now())


@bp.post("/cgi-bin/stable_token")
def stable_token():
    """The same token until it expires, unless force_refresh (which rotates like /token)."""
    body = json_object() or {}
    if body.get("grant_type") != "client_credential":
        return err(40002, "invalid grant_type")
    app, error = _app_or_error(body.get("appid"), body.get("secret"))
    if error:
        return error
    state = sim()
    current = state.live_token("wechat", app["appid"], stable=True)
    if current is None or body.get("force_refresh"):
        current = state.issue_token("wechat", app["appid"], rotate=True, stable=True)
    return token_answer(current, state.clock.now())


@bp.get("/sns/jscode2session")
def jscode2session():
    state = sim()
    _app, error = _app_or_error(request.args.get("appid"), request.args.get("secret"))
    if error:
        return error
    code = request.args.get("js_code", "")
    entry = state.find("login_codes", code)
    if entry is None or entry.get("platform", "wechat") != "wechat":
        return err(40029, "invalid code")
    if not state.use_code(code):
        return err(40163, "code been used")
    user = state.user(userid=entry["user"]) or state.user(openid=entry["user"]) or {}
    openid = user.get("openid") or entry["user"]
    if not state.allow(f"jscode2session:{openid}", limit=100):
        return err(45011, "api minute-quota reach limit, mustslower retry next minute")
    answer = {"openid": openid, "session_key": base64.b64encode(secrets.token_bytes(16)).decode()}
    if user.get("unionid"):
        answer["unionid"] = user["unionid"]
    return answer


def _message_or_error():
    """(token, body, None) for a send to a known openid, else (None, None, error response)."""
    token_, error = token_or_error("wechat")
    if error:
        return None, None, error
    body = json_object() or {}
    if not sim().user(openid=body.get("touser", "")):
        return None, None, err(40003, "invalid openid")
    return token_, body, None


@bp.post("/cgi-bin/message/subscribe/send")
def subscribe_send():
    state = sim()
    token_, body, error = _message_or_error()
    if error:
        return error
    openid = body["touser"]
    template = state.find("templates", body.get("template_id"))
    if template is None or template.get("appid", token_.app) != token_.app:
        return err(40037, "invalid template_id")
    problem = _check_data(body)
    if problem:
        return err(47003, problem)
    if not _use_subscription(openid, template["template_id"]):
        return err(43101, "user refuse to accept the msg")
    state.pushed("wechat", f"wechat:user:{openid}", "subscribe/send", body, msgtype="subscribe")
    return ok()


def _check_data(body: dict) -> str | None:
    if body.get("miniprogram_state", "formal") not in STATES:
        return "argument invalid! miniprogram_state"
    if body.get("lang", "zh_CN") not in LANGS:
        return "argument invalid! lang"
    data = body.get("data")
    if not isinstance(data, dict) or not data:
        return "argument invalid! data is empty"
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        limit = VALUE_LIMITS.get(key.rstrip("0123456789"))
        if not isinstance(value, str) or (limit and len(value) > limit):
            return f"argument invalid! data.{key}.value invalid"
    return None


def _use_subscription(openid: str, template_id: str) -> bool:
    state = sim()
    with state.lock:
        for item in state.config["subscriptions"]:
            mine = (item.get("openid"), item.get("template_id")) == (openid, template_id)
            if mine and int(item.get("count", 0)) > 0:
                item["count"] = int(item["count"]) - 1
                return True
    return False


@bp.post("/cgi-bin/message/custom/send")
def custom_send():
    """Customer-service message: the late answer after replying `success` to a push."""
    _token, body, error = _message_or_error()
    if error:
        return error
    if not isinstance(body.get(body.get("msgtype")), dict):
        return err(40008, "invalid message type")
    sim().pushed("wechat", f"wechat:user:{body['touser']}", "custom/send", body)
    return ok()
