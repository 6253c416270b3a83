"""A stand-in for Gendan's webhook routes, made only of the inbound adapters (test harness).

It answers every text with "收到：<text>", the way a thin route will call the adapters.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

from bots.errors import Refused
from bots.platforms import dingtalk, wechat, wecom
from bots.senders.dingtalk_robot import DingTalkSessionReplier
from models import clock
from models.messages import OutboundMessage


def create_receiver(config: dict, simulator_url: str) -> Flask:
    """`config` is the simulator's configuration: the receiver uses the same credentials."""
    wx, wc, dt = config["wechat_apps"][0], config["wecom_apps"][0], config["dingtalk_apps"][0]
    wx_config = wechat.WeChatConfig(
        token=wx["token"], app_id=wx["appid"], encoding_aes_key=wx.get("encoding_aes_key", "")
    )
    wc_config = wecom.WeComConfig(
        token=wc["token"],
        encoding_aes_key=wc["encoding_aes_key"],
        corp_id=wc["corpid"],
        agent_id=wc["agentid"],
    )
    robot = dingtalk.DingTalkRobotConfig(app_secret=dt["appsecret"])
    events = dingtalk.DingTalkEventConfig(dt["event_token"], dt["event_aes_key"], dt["appkey"])
    replier = DingTalkSessionReplier(api_base=simulator_url)
    app = Flask(__name__)
    app.extensions["received"] = received = []

    @app.errorhandler(Refused)
    def refused(exc):
        app.extensions.setdefault("refused", []).append(exc.reason)
        return exc.reason, exc.status

    @app.route("/bots/wechat", methods=["GET", "POST"])
    def wechat_hook():
        if request.method == "GET":
            return wechat.verify_url(wx_config, request.args)
        msg = wechat.parse_request(wx_config, request.args, request.get_data())
        received.append(msg)
        return wechat.render_reply(wx_config, msg.reply, OutboundMessage.plain(f"收到：{msg.text}"))

    @app.route("/bots/wecom", methods=["GET", "POST"])
    def wecom_hook():
        if request.method == "GET":
            return wecom.verify_url(wc_config, request.args)
        msg = wecom.parse_request(wc_config, request.args, request.get_data())
        received.append(msg)
        return wecom.render_reply(wc_config, msg.reply, OutboundMessage.plain(f"收到：{msg.text}"))

    @app.post("/bots/dingtalk")
    def dingtalk_hook():
        if "msg_signature" in request.args or "signature" in request.args:
            event = dingtalk.parse_event(events, request.args, request.get_data())
            received.append(event)
            return jsonify(dingtalk.event_reply(events))
        now = clock.now()
        msg = dingtalk.parse_robot_callback(robot, request.headers, request.get_data(), now=now)
        received.append(msg)
        replier.send(msg.reply, OutboundMessage.plain(f"收到：{msg.text}"))
        return "", 200

    return app
