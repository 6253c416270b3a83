"""Run the simulator as a real HTTP server on 127.0.0.1 in a background thread (for tests)."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server

from bots.simulator.app import create_app
from bots.simulator.state import SimState


class SimulatorServer:
    """`with SimulatorServer() as sim: requests.get(sim.url + "/admin/config")`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **app_options):
        if not host.startswith("127."):
            raise ValueError("the simulator only listens on the loopback range")
        self.app = create_app(**app_options)
        self._server = make_server(host, port, self.app, threaded=True)
        self.host, self.port = host, self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> SimState:
        return self.app.extensions["chat_simulator"]

    def start(self) -> SimulatorServer:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the command-line entry point)."""
        self._server.serve_forever()

    def stop(self) -> None:
        self.state.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self.app.extensions["chat_simulator_stream"].stop()
        self.app.extensions["chat_simulator_wecom_ws"].stop()

    @property
    def wecom_ws_url(self) -> str:
        """The WeCom long-connection gateway's address (WECOM_WS_URL); starts it."""
        return self.app.extensions["chat_simulator_wecom_ws"].url

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
