"""Chat transports that need no public address: the app opens the connection outward.

DingTalk Stream mode (bots/stream/dingtalk.py) and the WeCom intelligent robot's long
connection (bots/stream/wecom.py): one process (`flask --app wsgi chat-stream`, one leader)
holds each WebSocket, receives messages over it and hands them to the same inbound path as
the webhooks (bots.inbound.handle_message), acknowledging each only after it is stored.
"""

from bots.stream.dingtalk import DingTalkStream, StreamHandler
from bots.stream.wecom import WeComLongConnection

__all__ = ["DingTalkStream", "StreamHandler", "WeComLongConnection"]
