"""Which sender and which platform target an outbox row goes through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.services.chat import group_credentials
from bots.message import SessionWebhookContext
from bots.runtime import ChatRuntime
from bots.senders.dingtalk_robot import RobotTarget
from bots.senders.wechat_subscribe import SubscribeTarget
from models.chat import ChatGroup
from models.enums import OutboxChannel
from models.errors import NotFound


def resolve(db, runtime: ChatRuntime, row) -> tuple[Any, Any]:
    """(sender, target) for a claimed row; group credentials are unsealed just for the send."""
    channel, data = OutboxChannel(row.channel), row.target
    if channel in (OutboxChannel.wecom_robot, OutboxChannel.dingtalk_robot):
        with db.session(readonly=True) as session:
            group = session.get(ChatGroup, row.group_id)
            if group is None:
                raise NotFound("聊天群已删除")
            key, secret = group_credentials(group)
        if channel == OutboxChannel.wecom_robot:
            return runtime.wecom_robot, key
        return runtime.dingtalk_robot_sender, RobotTarget(key, secret or "")
    if channel == OutboxChannel.dingtalk_session:
        expires = datetime.fromisoformat(data["expires_at"])
        return runtime.dingtalk_session, SessionWebhookContext(url=data["url"], expires_at=expires)
    if channel == OutboxChannel.dingtalk_notice:
        return runtime.dingtalk_notice, list(data["user_ids"])
    if channel == OutboxChannel.wecom_app:
        return runtime.wecom_app, list(data["user_ids"])
    if channel == OutboxChannel.wechat_custom:
        return runtime.wechat_custom, data["openid"]
    target = SubscribeTarget(data["openid"], data["template_id"], data.get("page", ""))
    return runtime.wechat_subscribe, target
