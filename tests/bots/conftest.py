"""A real simulator on 127.0.0.1 (one per session, reset per test) and helpers around it."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import requests
from werkzeug.serving import make_server

from bots.platforms.tokens import MemoryKeyValueStore, TokenStorage
from bots.simulator import Clock, SimulatorServer
from bots.simulator.seed import DEMO_CONFIG


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[SimulatorServer]:
    with SimulatorServer(clock=Clock(frozen=True), delivery_timeout=3.0) as server:
        yield server


@pytest.fixture
def sim(simulator_server) -> SimulatorServer:
    state = simulator_server.state
    state.reset(config=True)
    state.replace(copy.deepcopy(DEMO_CONFIG))
    state.clock.set(time.time())
    return simulator_server


@pytest.fixture
def storage(sim) -> TokenStorage:
    """Token storage on the simulator's clock, as every process would share it."""

    def now() -> datetime:
        return datetime.fromtimestamp(sim.state.clock.now(), tz=UTC)

    return TokenStorage(MemoryKeyValueStore(now=now), now=now)


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
