"""The chat platforms' webhooks under /bots: verify, decode, hand off, reply. Transport only.

A refused request (bad or missing signature, stale timestamp, hostile or huge body, wrong
AppID / CorpID) answers with the refusal's status before anything is parsed or stored. A
platform whose settings are missing answers 503 and says which settings, once, in the log.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request

from app.security import chat_throttle
from bots.errors import BodyTooLarge, Refused
from bots.events import handle_event
from bots.inbound import handle_message
from bots.platforms import dingtalk, wechat, wecom
from bots.platforms.common import MAX_BODY
from bots.runtime import ChatRuntime
from bots.sign_claim import SignClaim
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
    # The timestamp/sign pair is claimed for this body in the transaction that records the
    # message, and the reply's outbox row is inserted leased to this worker's deliverer: one
    # write transaction here, one (the send's outcome) on the background thread.
    claim = SignClaim.of(
        _runtime().store, request.headers, body, config.window_ms, source=request.remote_addr
    )
    deliverer = current_app.extensions["gendan.deliverer"]
    handled = handle_message(
        _db(), message, throttle=_throttle, claim=claim, lease=deliverer.lease_new
    )
    if handled.outbox_ids or handled.leased:  # sent by the worker's background thread
        current_app.extensions["gendan.soon"].submit(handled.outbox_ids, handled.leased)
    return jsonify({})


@bp.post("/dingtalk/events")
def dingtalk_events():
    config = _runtime().dingtalk_events()
    event = dingtalk.parse_event(config, request.args, _body())
    handle_event(_runtime().store, event)  # the same path as Stream mode's EVENT frames
    return jsonify(dingtalk.event_reply(config))
