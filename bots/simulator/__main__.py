"""`python -m bots.simulator --port 5001 --gendan-url http://127.0.0.1:5000 [--config x.json]`."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging

from bots.simulator.seed import DEMO_CONFIG
from bots.simulator.server import SimulatorServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bots.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--gendan-url", default="http://127.0.0.1:5000")
    parser.add_argument("--config", help="JSON file with the initial configuration")
    parser.add_argument(
        "--dingtalk-transport",
        choices=("webhook", "stream"),
        default="webhook",
        help="how the DingTalk apps receive robot messages (stream: over the WebSocket gateway)",
    )
    parser.add_argument(
        "--wecom-transport",
        choices=("webhook", "long_connection"),
        default="webhook",
        help="how WeCom private messages reach Gendan (long_connection: the intelligent "
        "robot's WebSocket gateway, on --wecom-ws-port)",
    )
    parser.add_argument(
        "--wecom-ws-port", type=int, default=0, help="the WeCom gateway's port (0: a free one)"
    )
    parser.add_argument("--empty", action="store_true", help="start without the demo config")
    args = parser.parse_args(argv)
    config = {} if args.empty else DEMO_CONFIG
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            config = json.load(handle)
    if args.dingtalk_transport == "stream":
        config = {
            **config,
            "dingtalk_apps": [
                {**app, "transport": "stream"} for app in config.get("dingtalk_apps", [])
            ],
        }
    if args.wecom_transport == "long_connection":
        config = {
            **config,
            "wecom_bots": [
                {**bot, "transport": "long_connection"} for bot in config.get("wecom_bots", [])
            ],
        }
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = SimulatorServer(
        args.host,
        args.port,
        gendan_url=args.gendan_url,
        config=config,
        wecom_ws_port=args.wecom_ws_port,
    )
    if args.wecom_transport == "long_connection":
        logging.info("WeCom long-connection gateway on %s", server.wecom_ws_url)
    logging.info("chat simulator on %s, delivering to %s", server.url, args.gendan_url)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
