"""/api/auth/platform-config and /api/jsapi/signature: what /m/ needs inside the chat apps.

platform-config tells the page which platforms are configured (and so which in-app sign-in it
may try): ids, the authorize page's base and the JS-SDK script. The signature endpoint signs the
JS-SDK config (wx.config, ww/wx.config + wx.agentConfig, dd.config) for a URL of this server's
/m/ only, with the platform's jsapi ticket (cached in the shared token store, bots/jsapi.py).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from flask import current_app, request
from flask_openapi3 import Tag
from pydantic import BaseModel, ConfigDict, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, ok
from bots import jsapi
from bots.runtime import NotConfigured
from models import clock
from models.errors import InvalidInput

bp = APIBlueprint("api_jsapi", __name__, url_prefix="/api", abp_tags=[Tag(name="认证")])

Platform = Literal["wechat", "wecom", "dingtalk"]


class PlatformInfo(BaseModel):
    app_id: str = Field(description="公众号 appId / 企业微信 corpId / 钉钉 corpId")
    agent_id: str = ""
    authorize_url: str = Field("", description="网页授权页（钉钉为空：用 requestAuthCode）")
    jssdk_url: str


class PlatformConfig(BaseModel):
    wechat: PlatformInfo | None = None
    wecom: PlatformInfo | None = None
    dingtalk: PlatformInfo | None = None


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: Platform
    url: str = Field(min_length=1, max_length=2048, description="页面地址（不含 # 之后部分）")


class Signed(BaseModel):
    timestamp: int
    nonce_str: str
    signature: str


class SignatureOut(Signed):
    platform: Platform
    app_id: str
    agent_id: str = ""
    url: str
    agent: Signed | None = Field(None, description="企业微信 wx.agentConfig 的签名")


def platform_info(platform: str) -> PlatformInfo | None:
    found = jsapi.platform_info(current_app.config, platform)
    return None if found is None else PlatformInfo(**found)


@bp.get("/auth/platform-config", responses={200: PlatformConfig})
def platform_config():
    """The chat platforms /m/ can sign in with (null: not configured) and their JS-SDK."""
    return ok(PlatformConfig(**{p: platform_info(p) for p in jsapi.FEATURES}))


@bp.post("/jsapi/signature", responses={200: SignatureOut}, security=SECURITY)
def signature(body: SignatureIn):
    """Sign the platform's JS-SDK config for a page of this server's /m/."""
    current_actor()
    # End the request's transaction before calling the platform: the ticket cache writes to the
    # database in its own transaction, and SQLite would wait for ours (nothing is written).
    commit()
    url = _own_mobile_url(body.url)
    info = platform_info(body.platform)
    if info is None:
        current_app.extensions["gendan.chat"].require(jsapi.FEATURES[body.platform])
        raise NotConfigured("dingtalk_api", ["DINGTALK_CORP_ID"])
    runtime = current_app.extensions["gendan.chat"]
    now = clock.now().timestamp()
    if body.platform == "wechat":
        ticket = jsapi.ticket(runtime.wechat_client, runtime.storage, jsapi.WECHAT_JSAPI)
        return ok(_signed(body.platform, info, url, ticket, int(now)))
    if body.platform == "wecom":
        client = runtime.wecom_client
        corp = jsapi.ticket(client, runtime.storage, jsapi.WECOM_JSAPI)
        agent = jsapi.ticket(client, runtime.storage, jsapi.WECOM_AGENT, app_key=_agent_key())
        out = _signed(body.platform, info, url, corp, int(now))
        agent_nonce = jsapi.nonce()
        out.agent = Signed(
            timestamp=out.timestamp,
            nonce_str=agent_nonce,
            signature=jsapi.signature(agent, agent_nonce, out.timestamp, url),
        )
        return ok(out)
    client = runtime.dingtalk_client
    ticket = jsapi.ticket(
        client,
        runtime.storage,
        jsapi.DINGTALK_JSAPI,
        app_key=current_app.config["DINGTALK_APP_KEY"],
    )
    return ok(_signed(body.platform, info, url, ticket, int(now * 1000)))  # DingTalk: ms


def _agent_key() -> str:
    config = current_app.config
    return f"{config['WECOM_CORP_ID']}:{config['WECOM_AGENT_ID']}"


def _signed(platform: str, info: PlatformInfo, url: str, ticket: str, timestamp: int):
    nonce = jsapi.nonce()
    return SignatureOut(
        platform=platform,
        app_id=info.app_id,
        agent_id=info.agent_id,
        url=url,
        timestamp=timestamp,
        nonce_str=nonce,
        signature=jsapi.signature(ticket, nonce, timestamp, url),
    )


def _own_mobile_url(url: str) -> str:
    """`url` without its #fragment, if it is a page of this server's /m/ (else 422)."""
    url = url.split("#", 1)[0]
    parts = urlsplit(url)
    bases = [request.host_url, current_app.config.get("PUBLIC_BASE_URL") or ""]
    for base in bases:
        own = urlsplit(base.rstrip("/") + "/m/")
        same_site = (parts.scheme, parts.netloc.lower()) == (own.scheme, own.netloc.lower())
        if base and same_site and parts.path.startswith(own.path):
            return url
    raise InvalidInput("只能为本站 /m/ 页面签名", field="url", code="jsapi_url_refused")
