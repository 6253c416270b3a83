"""Local chat simulator: a fake WeChat / WeCom / DingTalk for development and tests."""

from bots.simulator.app import create_app
from bots.simulator.clock import Clock
from bots.simulator.server import SimulatorServer

__all__ = ["Clock", "SimulatorServer", "create_app"]
