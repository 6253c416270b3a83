"""The chat simulator for tests: a real server on 127.0.0.1 (one per session, reset per test),
a Gendan app whose platform API bases point at it, and helpers around them.

The fixtures are registered in tests/conftest.py, so every test area can use them."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from werkzeug.serving import make_server

from bots.simulator import Clock, SimulatorServer
from bots.simulator.seed import DEMO_CONFIG, gendan_env
from models import clock
from tests.limits import reset_rate_limits

# How long the simulator waits for Gendan to answer a callback. The platforms give up after
# 5 s (WeChat) and that deadline is a benchmark's business (bench/bench_http.py); a test that
# failed when a loaded machine slowed one answer past a few seconds would be a timed assertion
# (a DingTalk callback once took 5.6 s in a six-worker run). A Gendan that hangs still fails.
DELIVERY_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[SimulatorServer]:
    with SimulatorServer(clock=Clock(frozen=True), delivery_timeout=DELIVERY_TIMEOUT) as server:
        yield server


@pytest.fixture
def sim(simulator_server) -> SimulatorServer:
    return reset_simulator(simulator_server)


def reset_simulator(server: SimulatorServer) -> SimulatorServer:
    """The simulator as a test starts with it: the demo apps and users, nothing sent, now."""
    state = server.state
    state.reset(config=True)
    state.replace(copy.deepcopy(DEMO_CONFIG))
    state.clock.set(clock.epoch())
    return server


def admin(sim, method: str, path: str, **kwargs):
    response = requests.request(method, f"{sim.url}/admin/{path}", timeout=10, **kwargs)
    return response.json()


def calls(sim, path: str) -> list[dict]:
    return admin(sim, "GET", "calls", params={"path": path})


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve a WSGI app on a free 127.0.0.1 port in a background thread; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def chat_app_for(tmp_path_factory, upload_dir, simulator_server):
    """Build (once per engine) a Gendan app whose platform API bases point at the simulator."""
    from app import create_app

    apps = {}

    def build(database):
        if database.url not in apps:
            apps[database.url] = create_app(
                {
                    "DATABASE_URL": database.url,
                    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                    "TESTING": True,
                    "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")),
                    "UPLOAD_DIR": str(upload_dir),
                    "PUBLIC_BASE_URL": "http://gendan.test",
                    **gendan_env(simulator_server.url),
                }
            )
        return apps[database.url]

    return build


@pytest.fixture
def chat_app(chat_app_for, db, sim):
    """The Gendan app for this test's database, talking to the (reset) simulator."""
    from app.services.core import configure

    app = chat_app_for(db)
    reset_rate_limits(app)  # rate-limit counters start at zero per test
    configure(public_base_url="http://gendan.test")
    return app


@pytest.fixture
def gendan(chat_app, sim):
    """Gendan served on a free port; the simulator delivers its users' messages there."""
    with serve(chat_app) as url:
        for section in ("wechat_apps", "wecom_apps", "dingtalk_apps"):
            platform = section.split("_")[0]
            app = {**DEMO_CONFIG[section][0], "callback_url": f"{url}/bots/{platform}"}
            admin(sim, "POST", f"config/{section}", json=app)
        yield chat_app


@pytest.fixture
def long_connection_app(chat_app, sim):
    """The chat app with the WeCom robot's long connection on, pointed at the simulator's
    gateway (redelivering after one second); the connections are cut afterwards."""
    gateway = sim.app.extensions["chat_simulator_wecom_ws"]
    saved = {key: chat_app.config.get(key) for key in ("CHAT_TRANSPORT_WECOM", "WECOM_WS_URL")}
    chat_app.config.update(CHAT_TRANSPORT_WECOM="long_connection", WECOM_WS_URL=gateway.url)
    saved_delay, gateway.redelivery_delay = gateway.redelivery_delay, 1.0
    try:
        yield chat_app
    finally:
        chat_app.config.update(saved)
        gateway.redelivery_delay = saved_delay
        gateway.disconnect()
        deadline = time.monotonic() + 10
        while any(gateway.live(bot["bot_id"]) for bot in DEMO_CONFIG["wecom_bots"]):
            assert time.monotonic() < deadline, "the long connection did not close"
            time.sleep(0.05)
