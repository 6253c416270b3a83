"""Chat identities and binding codes, chat groups bound to orders, and the inbound message log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.enums import ChatPlatform
from models.inputs import OptionalFlag, Whole
from models.people import UserBrief


class ChatIdentity(SQLModel, table=True):
    """A chat account (WeChat openid, WeCom userid, DingTalk staff id) bound to a Gendan user."""

    __tablename__ = "chat_identity"
    __table_args__ = (sa.UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    platform: ChatPlatform = Field(sa_type=enum_column(ChatPlatform, 12))
    external_id: str = Field(max_length=128)
    display_name: str = Field(default="", max_length=64)
    bound_via: str = Field(default="code", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


class ChatIdentityPublic(SQLModel):
    id: int
    user: UserBrief
    platform: ChatPlatform
    external_id: str
    display_name: str
    bound_via: str
    created_at: datetime


class BindingCode(SQLModel, table=True):
    """A one-time code a signed-in user sends in chat as 绑定 <code>.

    Only a hash is kept; it is cleared once the code is used or replaced, so the unique
    constraint covers live codes only while the row still counts toward the issue rate limit.
    """

    __tablename__ = "binding_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    code_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_platform: str | None = Field(default=None, max_length=12)


class ChatGroup(SQLModel, table=True):
    """A WeCom or DingTalk group robot Gendan pushes to; its credentials are stored encrypted."""

    __tablename__ = "chat_group"
    __table_args__ = (sa.UniqueConstraint("platform", "conversation_id"),)
    __audit_exclude__ = frozenset({"webhook_sealed", "secret_sealed", "paused_until"})

    id: int | None = Field(default=None, primary_key=True)
    platform: ChatPlatform = Field(sa_type=enum_column(ChatPlatform, 12))
    name: str = Field(max_length=100)
    conversation_id: str | None = Field(default=None, max_length=128)
    webhook_sealed: str = Field(sa_type=sa.Text)
    webhook_hint: str = Field(max_length=32)
    secret_sealed: str | None = Field(default=None, sa_type=sa.Text)
    secret_hint: str | None = Field(default=None, max_length=32)
    active: bool = Field(default=True)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


class ChatGroupOrder(SQLModel, table=True):
    """Which orders a group follows (a group may follow several, an order have several groups)."""

    __tablename__ = "chat_group_order"
    # The key leads with the group: "which groups follow this order" needs its own index.
    __table_args__ = (sa.Index("ix_chat_group_order_order", "order_id"),)

    group_id: int = Field(foreign_key="chat_group.id", primary_key=True, ondelete="CASCADE")
    order_id: int = Field(foreign_key="orders.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class ChatGroupCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    platform: ChatPlatform
    name: str = Field(min_length=1, max_length=100)
    webhook: str = Field(
        min_length=1,
        max_length=500,
        description="企业微信机器人 key 或钉钉机器人 access_token（也可粘贴完整 Webhook 地址）",
    )
    secret: str | None = Field(default=None, max_length=200, description="钉钉加签密钥 SEC…")
    conversation_id: str | None = Field(
        default=None,
        max_length=128,
        description="钉钉群 conversationId，用于识别群里的命令",
    )
    order_ids: list[Whole] = Field(default_factory=list, max_length=100)


class ChatGroupUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    webhook: str | None = Field(default=None, min_length=1, max_length=500)
    secret: str | None = Field(default=None, max_length=200)
    conversation_id: str | None = Field(default=None, max_length=128)
    active: OptionalFlag = None


class ChatGroupPublic(SQLModel):
    id: int
    platform: ChatPlatform
    name: str
    conversation_id: str | None
    webhook: str = Field(description="已脱敏")
    secret: str | None = Field(default=None, description="已脱敏")
    active: bool
    paused_until: datetime | None = None
    order_ids: list[int]
    created_at: datetime


class ChatInbound(SQLModel, table=True):
    """Every chat message Gendan accepted, once: the dedupe key and the reply it got.

    Written in the same transaction as the command's effects, so a platform retry of the same
    message id finds the row and gets the stored reply instead of running the command again.
    """

    __tablename__ = "chat_inbound"
    __table_args__ = (
        sa.UniqueConstraint("platform", "message_id"),
        # The sender first: led by platform, as the message key is, PostgreSQL chose this index
        # for the dedupe read on a table it had not analysed yet (every earlier message of the
        # platform read again for each new one).
        sa.Index("ix_chat_inbound_sender", "sender_id", "platform", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: ChatPlatform = Field(sa_type=enum_column(ChatPlatform, 12))
    message_id: str = Field(max_length=128)
    sender_id: str = Field(max_length=128)
    conversation_id: str = Field(max_length=128)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    kind: str = Field(max_length=12)
    text: str = Field(default="", max_length=1000)
    command: str | None = Field(default=None, max_length=24)
    outcome: str = Field(max_length=12)
    reply: str = Field(default="", sa_type=sa.Text)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    awaiting_entity: str | None = Field(default=None, max_length=40)
    awaiting_id: int | None = None
    awaiting_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
