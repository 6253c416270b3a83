"""Outbound senders: one `send(target, message) -> SendResult` per platform channel."""

from bots.senders.base import Sender, SendResult

__all__ = ["SendResult", "Sender"]
