"""Simulated DingTalk: custom robot, sessionWebhook, gettoken, work notice, user lookups."""

from __future__ import annotations

import hashlib
import json
import secrets

from flask import Blueprint, request

from bots.platforms.common import same_secret
from bots.platforms.dingtalk import WINDOW_MS, robot_sign
from bots.simulator.common import err, json_object, ok, sim, token_answer, token_or_error

bp = Blueprint("sim_dingtalk", __name__)
ROBOT_TYPES = {"text", "link", "markdown", "actionCard", "feedCard"}
NOTICE_TYPES = {"text", "image", "voice", "file", "link", "oa", "markdown", "action_card"}
BODY_LIMIT = 20000  # errcode 460101 "message too long, exceed 20000 bytes"
THROTTLE_SECONDS = 600
DAY = 86400


@bp.post("/robot/send")
def robot_send():
    state = sim()
    access_token = request.args.get("access_token", "")
    if not access_token:
        return err(40035, "缺少参数 access_token")
    robot = state.find("dingtalk_robots", access_token)
    if robot is None:
        return err(300001, "token is not exist")
    problem = _check_sign(robot) or _check_content(robot)
    if problem:
        return err(*problem)
    if not _within_rate(access_token):
        return err(130101, "send too fast, exceed 20 times per minute")
    payload = json_object()
    conversation = f"dingtalk:{robot.get('conversation_id') or access_token}"
    state.pushed("dingtalk", conversation, "robot/send", payload)
    return ok()


def _check_sign(robot: dict) -> tuple[int, str] | None:
    secret = robot.get("secret")
    if not secret:
        return None
    timestamp = request.args.get("timestamp", "")
    sign = request.args.get("sign", "")
    if not timestamp.isdigit() or abs(sim().clock.now_ms() - int(timestamp)) > WINDOW_MS:
        return 310000, "invalid timestamp"
    if not same_secret(robot_sign(secret, timestamp), sign):
        return 310000, "sign not match"
    return None


def _too_long() -> tuple[int, str] | None:
    if len(request.get_data()) > BODY_LIMIT:
        return 460101, f"message too long, exceed {BODY_LIMIT} bytes"
    return None


def _check_content(robot: dict) -> tuple[int, str] | None:
    if problem := _too_long():
        return problem
    payload = json_object()
    if payload is None:
        return 40035, "缺少参数 json"
    if payload.get("msgtype") not in ROBOT_TYPES or not isinstance(
        payload.get(payload["msgtype"]), dict
    ):
        return 40035, "缺少参数 msgtype 或消息内容"
    keywords = robot.get("keywords") or []
    text = json.dumps(payload, ensure_ascii=False)
    if keywords and not any(k in text for k in keywords):
        return 310000, "keywords not in content"
    return None


def _within_rate(access_token: str) -> bool:
    """20 per minute; the 21st throttles the robot for 10 minutes."""
    state = sim()
    now = state.clock.now()
    with state.lock:
        if state.throttled_until.get(access_token, 0) > now:
            return False
        if state.allow(f"dingtalk-robot:{access_token}"):
            return True
        state.throttled_until[access_token] = now + THROTTLE_SECONDS
        return False


@bp.post("/robot/sendBySession")
def send_by_session():
    state = sim()
    session = state.sessions.get(request.args.get("session", ""))
    if session is None or session[1] <= state.clock.now():
        return err(300001, "session webhook does not exist or has expired")
    if problem := _too_long():
        return err(*problem)
    payload = json_object()
    if payload is None or payload.get("msgtype") not in ROBOT_TYPES:
        return err(40035, "缺少参数 msgtype")
    state.pushed("dingtalk", session[0], "sessionWebhook", payload)
    return ok()


@bp.get("/gettoken")
def gettoken():
    state = sim()
    app = state.find("dingtalk_apps", request.args.get("appkey"))
    if app is None or request.args.get("appsecret") != app.get("appsecret"):
        return err(40089, "不合法的appkey或appsecret")
    token = state.live_token("dingtalk", app["appkey"]) or state.issue_token(
        "dingtalk", app["appkey"], rotate=False
    )
    return token_answer(token, state.clock.now())


@bp.post("/topapi/message/corpconversation/asyncsend_v2")
def asyncsend_v2():
    state = sim()
    token, error = token_or_error("dingtalk")
    if error:
        return error
    app = state.find("dingtalk_apps", token.app)
    body = json_object() or {}
    problem = _check_notice(app, body)
    if problem:
        return err(*problem)
    task_id = secrets.randbelow(10**12)
    for userid in body["userid_list"].split(","):
        _deliver_notice(userid, body["msg"], task_id)
    return ok(task_id=task_id, request_id=secrets.token_hex(8))


def _check_notice(app: dict, body: dict) -> tuple[int, str] | None:
    if str(body.get("agent_id")) != str(app.get("agent_id")):
        return 400002, "不合法的agent_id"
    users = body.get("userid_list")
    if not isinstance(users, str) or not users:
        return 400002, "userid_list 必须是逗号分隔的字符串"
    if len(users.split(",")) > 5000:
        return 400002, "userid_list 超过 5000 人"
    msg = body.get("msg")
    if not isinstance(msg, dict) or msg.get("msgtype") not in NOTICE_TYPES:
        return 400002, "不合法的消息类型 msgtype"
    if not isinstance(msg.get(msg["msgtype"]), dict):
        return 400002, "缺少消息内容"
    return None


def _deliver_notice(userid: str, msg: dict, task_id: int) -> None:
    """Recorded; but like DingTalk, the same content to the same user twice a day is dropped."""
    state = sim()
    now = state.clock.now()
    digest = hashlib.sha256(json.dumps(msg, sort_keys=True).encode()).hexdigest()
    with state.lock:
        last = state.notices_today.get((userid, digest))
        delivered = bool(state.user(userid=userid)) and (last is None or now - last >= DAY)
        if delivered:
            state.notices_today[(userid, digest)] = now
    state.pushed(
        "dingtalk",
        f"dingtalk:user:{userid}",
        "asyncsend_v2",
        msg,
        task_id=task_id,
        delivered=delivered,
    )


@bp.post("/topapi/v2/user/getbymobile")
def getbymobile():
    _token, error = token_or_error("dingtalk")
    if error:
        return error
    mobile = str((json_object() or {}).get("mobile", ""))
    if not mobile.isdigit() or len(mobile) != 11:
        return err(40104, "无效的手机号")
    user = sim().user(mobile=mobile)
    if user is None:
        return err(60121, "找不到该用户")
    return ok(result={"userid": user["userid"]}, request_id=secrets.token_hex(8))


@bp.get("/user/getuserinfo")
def getuserinfo():
    state = sim()
    _token, error = token_or_error("dingtalk")
    if error:
        return error
    code = request.args.get("code", "")
    entry = state.find("login_codes", code)
    if entry is None or entry.get("platform") != "dingtalk" or not state.use_code(code):
        return err(40078, "不存在的临时授权码")
    user = state.user(userid=entry["user"]) or {"userid": entry["user"], "name": ""}
    return ok(userid=user["userid"], name=user.get("name", ""), is_sys=False, sys_level=0)
