"""The chat platforms' webhooks under /bots: verify, decode, hand off, reply. Transport only.

A refused request (bad or missing signature, stale timestamp, hostile or huge body, wrong
AppID / CorpID) answers with the refusal's status before anything is parsed or stored. A
platform whose settings are missing answers 503 and says which settings, once, in the log.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from app.security import chat_throttle
from bots.errors import BodyTooLarge, Refused, ReplayedSign
from bots.events import handle_event
from bots.inbound import handle_message
from bots.platforms import dingtalk, wechat, wecom
from bots.platforms.common import MAX_BODY
from bots.runtime import ChatRuntime
from models.base import utcnow

log = logging.getLogger("gendan.bots")
bp = Blueprint("bots", __name__, url_prefix="/bots")


def _runtime() -> ChatRuntime:
    return current_app.extensions["gendan.chat"]


def _db():
    return current_app.extensions["gendan.db"]


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    log.warning("refused %s on %s: %s", exc.reason, request.path, exc.detail)
    return Response(exc.reason, status=exc.status, mimetype="text/plain")


def _throttle(message) -> bool:
    return chat_throttle(message.platform, message.sender_id)


def _body() -> bytes:
    """The request body, refused before reading when it announces more than the adapters take."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BodyTooLarge(request.content_length, MAX_BODY)
    return request.get_data(cache=False)


def _reply(body: str) -> Response:
    kind = "text/xml" if body.startswith("<") else "text/plain"
    return Response(body, status=200, mimetype=kind)


@bp.route("/wechat", methods=["GET", "POST"])
def wechat_hook():
    config = _runtime().wechat()
    if request.method == "GET":
        return _reply(wechat.verify_url(config, request.args))
    message = wechat.parse_request(config, request.args, _body())
    handled = handle_message(_db(), message, throttle=_throttle)
    return _reply(wechat.render_reply(config, message.reply, handled.reply))


@bp.route("/wecom", methods=["GET", "POST"])
def wecom_hook():
    config = _runtime().wecom()
    if request.method == "GET":
        return _reply(wecom.verify_url(config, request.args))
    message = wecom.parse_request(config, request.args, _body())
    handled = handle_message(_db(), message, throttle=_throttle)
    return _reply(wecom.render_reply(config, message.reply, handled.reply))


@bp.post("/dingtalk")
def dingtalk_hook():
    # The simulator and older consoles post event subscriptions to the robot URL.
    if "msg_signature" in request.args or "signature" in request.args:
        return dingtalk_events()
    config = _runtime().dingtalk_robot()
    body = _body()
    message = dingtalk.parse_robot_callback(config, request.headers, body, now=utcnow())
    _refuse_replayed_sign(config, body)
    handled = handle_message(_db(), message, throttle=_throttle)
    if handled.outbox_ids:  # sent by the worker's background thread, not this request's
        current_app.extensions["gendan.soon"].submit(handled.outbox_ids)
    return jsonify({})


@bp.post("/dingtalk/events")
def dingtalk_events():
    config = _runtime().dingtalk_events()
    event = dingtalk.parse_event(config, request.args, _body())
    handle_event(_runtime().store, event)  # the same path as Stream mode's EVENT frames
    return jsonify(dingtalk.event_reply(config))


def _refuse_replayed_sign(config: dingtalk.DingTalkRobotConfig, body: bytes) -> None:
    """A timestamp/sign pair signs one body: another body under a seen pair is a replay.

    The sign covers only the timestamp, so a captured pair would sign any body for its window.
    The same body again is the platform's retry and goes on to the message-id dedupe.
    """
    key, expires_at = dingtalk.sign_replay_key(request.headers, config.window_ms)
    digest = hashlib.sha256(body).hexdigest()
    seen = _runtime().store.add(key, digest, expires_at)
    if seen is not None and seen != digest:
        log.warning(
            "replayed dingtalk timestamp/sign pair with another body from %s", request.remote_addr
        )
        raise ReplayedSign()
