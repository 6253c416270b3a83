"""Chat transports that need no public address: the app opens the connection outward.

DingTalk Stream mode (bots/stream/dingtalk.py): one process holds a WebSocket to DingTalk,
receives robot messages as CALLBACK frames and hands them to the same inbound path as the
webhook (bots.inbound.handle_message), acknowledging each only after it is stored.
"""

from bots.stream.dingtalk import DingTalkStream, StreamHandler

__all__ = ["DingTalkStream", "StreamHandler"]
