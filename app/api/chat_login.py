"""/api/auth/wechat, /wechat-web, /wecom and /dingtalk: a platform code for a Gendan token.

wechat: the mini-program's wx.login() code; wechat-web: the code WeChat's web OAuth (snsapi_base)
brings back to /m/; wecom: the code WeCom's OAuth2 (snsapi_base) brings back to /m/; dingtalk:
the 免登 requestAuthCode code (mini-program or /m/ inside DingTalk).

The platform code identifies the chat account; the account must be bound to a Gendan user
(a binding code may be given along to bind it in the same call).
"""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import Tag
from pydantic import BaseModel, ConfigDict, Field

from app.api.auth import TokenOut
from app.api.blueprint import APIBlueprint
from app.api.common import commit, db_session, ok
from app.services.chat import record_failed_binding, redeem_binding_code, user_for_chat
from app.services.core import Actor
from app.services.people import issue_token, user_public
from bots.login import code_to_session, dingtalk_userid, wechat_web_openid, wecom_userid
from models.enums import Channel, ChatPlatform
from models.errors import DomainError, Forbidden, InvalidInput
from models.people import User

bp = APIBlueprint("api_chat_login", __name__, url_prefix="/api/auth", abp_tags=[Tag(name="认证")])


class CodeLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(
        min_length=1,
        max_length=128,
        description="wx.login()、网页授权（微信 / 企业微信）或钉钉免登授权码",
    )
    bind_code: str | None = Field(
        default=None, max_length=16, description="尚未绑定时：Gendan 网页上获取的 6 位绑定码"
    )


class NotBound(Forbidden):
    code = "chat_not_bound"


@bp.post("/wechat", responses={200: TokenOut})
def wechat_login(body: CodeLogin):
    """Mini-program login: the wx.login() code (code2session) for a Gendan token."""
    config, runtime = current_app.config, current_app.extensions["gendan.chat"]
    runtime.require("wechat_api")
    identity = code_to_session(
        config["WECHAT_APP_ID"],
        config["WECHAT_APP_SECRET"],
        body.code,
        api_base=config["WECHAT_API_BASE"],
    )
    return _login(ChatPlatform.wechat, identity.openid, body.bind_code)


@bp.post("/dingtalk", responses={200: TokenOut})
def dingtalk_login(body: CodeLogin):
    """DingTalk login: the requestAuthCode code for a Gendan token."""
    runtime = current_app.extensions["gendan.chat"]
    return _login(
        ChatPlatform.dingtalk, dingtalk_userid(runtime.dingtalk_client, body.code), body.bind_code
    )


@bp.post("/wechat-web", responses={200: TokenOut})
def wechat_web_login(body: CodeLogin):
    """WeChat web OAuth (snsapi_base, in /m/ inside WeChat): the code for a Gendan token."""
    config, runtime = current_app.config, current_app.extensions["gendan.chat"]
    runtime.require("wechat_api")
    openid = wechat_web_openid(
        config["WECHAT_APP_ID"],
        config["WECHAT_APP_SECRET"],
        body.code,
        api_base=config["WECHAT_API_BASE"],
    )
    return _login(ChatPlatform.wechat, openid, body.bind_code)


@bp.post("/wecom", responses={200: TokenOut})
def wecom_login(body: CodeLogin):
    """WeCom OAuth2 (snsapi_base, in /m/ inside WeCom): the code for a Gendan token."""
    runtime = current_app.extensions["gendan.chat"]
    return _login(ChatPlatform.wecom, wecom_userid(runtime.wecom_client, body.code), body.bind_code)


def _login(platform: ChatPlatform, external_id: str, bind_code: str | None):
    session = db_session()
    user = user_for_chat(session=session, platform=platform, external_id=external_id)
    if user is None and bind_code:
        user = _bind(platform, external_id, bind_code)
    if user is None:
        raise NotBound(
            "该账号尚未绑定 Gendan 用户：请登录 Gendan 网页获取 6 位绑定码，"
            "在聊天中发送「绑定 绑定码」，或登录时一并提交 bind_code"
        )
    token, expires = issue_token(
        user=user,
        secret=current_app.config["SECRET_KEY"],
        ttl_hours=current_app.config["TOKEN_TTL_HOURS"],
    )
    return ok(
        TokenOut(token=token, expires_at=expires, user=user_public(session=session, user=user))
    )


def _bind(platform: ChatPlatform, external_id: str, bind_code: str) -> User:
    session = db_session()
    try:
        identity = redeem_binding_code(
            session=session,
            actor=Actor.system(Channel.api),
            platform=platform,
            external_id=external_id,
            code=bind_code.strip(),
        )
    except InvalidInput:
        session.rollback()
        record_failed_binding(session=session, platform=platform, external_id=external_id)
        commit()
        raise
    except DomainError:
        session.rollback()
        raise
    commit()
    return session.get(User, identity.user_id)
