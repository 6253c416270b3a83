"""/api/chat: binding codes, chat account bindings, and chat groups bound to orders."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_openapi3 import Tag
from pydantic import BaseModel, ConfigDict, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services import chat as svc
from app.services.people import get_user
from bots.lookup import dingtalk_userid_by_mobile, wecom_userid_by_mobile
from models.chat import ChatGroupCreate, ChatGroupPublic, ChatGroupUpdate, ChatIdentityPublic
from models.enums import ChatPlatform
from models.errors import Forbidden, InvalidInput
from models.inputs import Flag, Whole

bp = APIBlueprint(
    "api_chat",
    __name__,
    url_prefix="/api/chat",
    abp_tags=[Tag(name="聊天机器人")],
    abp_security=SECURITY,
)


class BindingCodeOut(BaseModel):
    code: str
    expires_at: datetime
    instruction: str


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: Whole
    platform: ChatPlatform
    external_id: str | None = Field(
        default=None, max_length=128, description="openid / 企业微信 userid / 钉钉 userid"
    )
    by_mobile: Flag = Field(
        default=False, description="用该用户的手机号在企业微信或钉钉里查找 userid"
    )


class IdentityQuery(BaseModel):
    user_id: int | None = None


class IdentityPath(BaseModel):
    identity_id: int


class IdentityList(BaseModel):
    items: list[ChatIdentityPublic]


class GroupQuery(BaseModel):
    order_id: int | None = None


class GroupPath(BaseModel):
    group_id: int


class GroupOrderPath(GroupPath):
    order_id: int


class GroupOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: Whole


class GroupList(BaseModel):
    items: list[ChatGroupPublic]


@bp.post("/binding-codes", responses={201: BindingCodeOut})
def binding_code():
    """A one-time code (10 minutes) to send in chat as 绑定 <code>."""
    actor, session = current_actor(), db_session()
    code, expires = svc.issue_binding_code(session=session, actor=actor)
    commit()
    return ok(
        BindingCodeOut(code=code, expires_at=expires, instruction=f"在聊天中发送：绑定 {code}"), 201
    )


@bp.get("/identities", responses={200: IdentityList})
def identity_index(query: IdentityQuery):
    """Chat accounts bound to Gendan users: one's own, or anyone's for admins."""
    actor, session = current_actor(), db_session()
    rows = svc.list_identities(session=session, actor=actor, user_id=query.user_id)
    return ok(IdentityList(items=svc.identities_public(session, rows)))


@bp.post("/identities", responses={201: ChatIdentityPublic})
def identity_create(body: IdentityIn):
    """Admins bind a chat account to a user, by platform id or by the user's mobile."""
    actor, session = current_actor(), db_session()
    if not actor.is_admin:
        raise Forbidden("只有管理员可以直接绑定聊天账号")
    external_id = body.external_id or ""
    if body.by_mobile:
        external_id = _userid_by_mobile(body.user_id, body.platform)
    identity = svc.bind_identity(
        session=session,
        actor=actor,
        user_id=body.user_id,
        platform=body.platform,
        external_id=external_id,
        via="mobile" if body.by_mobile else "admin",
    )
    commit()
    return ok(svc.identities_public(session, [identity])[0], 201)


def _userid_by_mobile(user_id: int, platform: ChatPlatform) -> str:
    user = get_user(session=db_session(), user_id=user_id)
    if user is None or not user.mobile:
        raise InvalidInput("该用户没有登记手机号", field="user_id")
    # End the request's transaction before calling the platform: the token cache writes to
    # the database in its own transaction, and SQLite would wait for ours (nothing is written).
    commit()
    runtime = current_app.extensions["gendan.chat"]
    if platform == ChatPlatform.dingtalk:
        return dingtalk_userid_by_mobile(runtime.dingtalk_client, user.mobile)
    if platform == ChatPlatform.wecom:
        return wecom_userid_by_mobile(runtime.wecom_client, user.mobile)
    raise InvalidInput("微信不能按手机号查找，请让用户用绑定码绑定", field="by_mobile")


@bp.delete("/identities/<int:identity_id>", responses={204: None})
def identity_delete(path: IdentityPath):
    """Remove a chat binding (one's own, or any for admins)."""
    actor, session = current_actor(), db_session()
    svc.unbind_identity(session=session, actor=actor, identity_id=path.identity_id)
    commit()
    return ok()


@bp.get("/groups", responses={200: GroupList})
def group_index(query: GroupQuery):
    """Chat groups (credentials masked), optionally those following one order."""
    actor, session = current_actor(), db_session()
    rows = svc.list_groups(session=session, actor=actor, order_id=query.order_id)
    return ok(GroupList(items=svc.groups_public(session, rows)))


@bp.post("/groups", responses={201: ChatGroupPublic})
def group_create(body: ChatGroupCreate):
    """Register a WeCom / DingTalk group robot; the secrets are stored encrypted."""
    actor, session = current_actor(), db_session()
    group = svc.create_group(session=session, actor=actor, data=body)
    commit()
    return ok(svc.groups_public(session, [group])[0], 201)


@bp.get("/groups/<int:group_id>", responses={200: ChatGroupPublic})
def group_show(path: GroupPath):
    """One chat group."""
    actor, session = current_actor(), db_session()
    group = svc.get_group(session=session, actor=actor, group_id=path.group_id)
    return ok(svc.groups_public(session, [group])[0])


@bp.patch("/groups/<int:group_id>", responses={200: ChatGroupPublic})
def group_update(path: GroupPath, body: ChatGroupUpdate):
    """Rename, replace credentials, set the conversation id, pause or resume."""
    actor, session = current_actor(), db_session()
    group = svc.update_group(session=session, actor=actor, group_id=path.group_id, data=body)
    commit()
    return ok(svc.groups_public(session, [group])[0])


@bp.delete("/groups/<int:group_id>", responses={204: None})
def group_delete(path: GroupPath):
    """Forget a group and its unsent messages."""
    actor, session = current_actor(), db_session()
    svc.delete_group(session=session, actor=actor, group_id=path.group_id)
    commit()
    return ok()


@bp.post("/groups/<int:group_id>/orders", responses={201: ChatGroupPublic})
def group_bind_order(path: GroupPath, body: GroupOrderIn):
    """Make the group follow an order (the group is greeted once)."""
    actor, session = current_actor(), db_session()
    svc.bind_group_order(
        session=session, actor=actor, group_id=path.group_id, order_id=body.order_id
    )
    commit()
    group = svc.get_group(session=session, actor=actor, group_id=path.group_id)
    return ok(svc.groups_public(session, [group])[0], 201)


@bp.delete("/groups/<int:group_id>/orders/<int:order_id>", responses={204: None})
def group_unbind_order(path: GroupOrderPath):
    """Stop the group following an order."""
    actor, session = current_actor(), db_session()
    svc.unbind_group_order(
        session=session, actor=actor, group_id=path.group_id, order_id=path.order_id
    )
    commit()
    return ok()
