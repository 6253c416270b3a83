"""The simulator's Flask app: all three platforms' APIs on one host, plus admin and UI.

Paths mirror the real hosts (api.weixin.qq.com, qyapi.weixin.qq.com, oapi.dingtalk.com) and
do not collide, so every sender's API base can point at the same simulator URL.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, send_from_directory

from bots.simulator import (
    admin,
    admin_menu,
    api_dingtalk,
    api_media,
    api_menu,
    api_wechat,
    api_wecom,
    faults,
    jssdk,
    stream,
    wecom_ws,
)
from bots.simulator.clock import Clock
from bots.simulator.deliver import Deliverer
from bots.simulator.state import SimState

STATIC = Path(__file__).parent / "static"


def create_app(
    *,
    gendan_url: str = "http://127.0.0.1:5000",
    clock: Clock | None = None,
    config: dict | None = None,
    delivery_timeout: float = 5.0,
    stream_redelivery: float = stream.DEFAULT_REDELIVERY,
    wecom_redelivery: float = wecom_ws.DEFAULT_REDELIVERY,
    wecom_ws_port: int = 0,
) -> Flask:
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.json.ensure_ascii = False
    state = SimState(clock)
    if config:
        state.replace(config)
    app.extensions["chat_simulator"] = state
    gateway = stream.StreamGateway(state, stream_redelivery)
    app.extensions["chat_simulator_stream"] = gateway
    wecom_gateway = wecom_ws.WeComGateway(state, wecom_redelivery, wecom_ws_port)
    app.extensions["chat_simulator_wecom_ws"] = wecom_gateway
    app.extensions["chat_simulator_deliverer"] = Deliverer(
        state, gendan_url, delivery_timeout, stream=gateway, wecom_ws=wecom_gateway
    )
    for blueprint in (
        api_wechat.bp,
        api_wecom.bp,
        api_dingtalk.bp,
        api_media.bp,
        api_menu.bp,
        admin.bp,
        admin_menu.bp,
        jssdk.bp,
        stream.bp,
        wecom_ws.bp,
    ):
        app.register_blueprint(blueprint)
    faults.install(app, state)

    @app.get("/")
    def index():
        return send_from_directory(STATIC, "index.html")

    return app
