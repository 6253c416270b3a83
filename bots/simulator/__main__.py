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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = SimulatorServer(args.host, args.port, gendan_url=args.gendan_url, config=config)
    logging.info("chat simulator on %s, delivering to %s", server.url, args.gendan_url)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
