"""JS-SDK signatures for the /m/ page inside the chat apps: wx.config, ww/wx.agentConfig, dd.config.

Every platform signs the same way: sha1 of
`jsapi_ticket=TICKET&noncestr=NONCE&timestamp=TS&url=URL` (keys in that order, the values raw,
the URL without its #fragment), lowercase hex. WeChat's JS-SDK appendix gives the vector
(tests/api/test_mobile_signin.py). The tickets live 7200 s and are limited per day, so they are
cached in the same shared store as the access tokens (TokenStorage on the key_value table), and
expire there a few minutes early.

Failures raise models.errors with a Chinese message: the caller is the REST door.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bots.runtime import REQUIRED
from bots.senders.base import TOKEN_REJECTED
from models.errors import Unavailable

# The runtime feature each platform's in-app sign-in and JS-SDK need (bots/runtime.py).
FEATURES = {"wechat": "wechat_api", "wecom": "wecom_api", "dingtalk": "dingtalk_api"}

PLATFORM_NAMES = {"wechat": "微信", "wecom": "企业微信", "dingtalk": "钉钉"}


def signature(ticket: str, noncestr: str, timestamp: str | int, url: str) -> str:
    """The JS-SDK config signature (the same rule on all three platforms)."""
    text = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def nonce() -> str:
    return secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")


@dataclass(frozen=True)
class TicketKind:
    platform: str
    name: str  # "jsapi" or "agent_config"
    path: str  # relative to the client's API base
    params: tuple[tuple[str, str], ...] = ()


WECHAT_JSAPI = TicketKind("wechat", "jsapi", "ticket/getticket", (("type", "jsapi"),))
WECOM_JSAPI = TicketKind("wecom", "jsapi", "get_jsapi_ticket")
WECOM_AGENT = TicketKind("wecom", "agent_config", "ticket/get", (("type", "agent_config"),))
DINGTALK_JSAPI = TicketKind("dingtalk", "jsapi", "/get_jsapi_ticket")


def _client_id(client) -> str:
    return str(getattr(client, "appid", None) or getattr(client, "corp_id", None) or "")


def _forget(client):
    forget = getattr(client, "forget_token", None)
    return forget if forget is not None else client.cache.access_token.delete


def ticket(client, storage, kind: TicketKind, *, app_key: str = "") -> str:
    """The cached ticket of `kind`, fetched (once) when the cache has none."""
    key = f"{kind.platform}:{app_key or _client_id(client)}:{kind.name}_ticket"
    cached = storage.get(key)
    if cached:
        return cached
    data = _call(lambda: client.get(kind.path, params=dict(kind.params)), _forget(client), kind)
    value = data.get("ticket")
    if not value:
        raise Unavailable(
            f"{PLATFORM_NAMES[kind.platform]}签名服务暂时不可用", code="jsapi_ticket_failed"
        )
    storage.set(key, value, int(data.get("expires_in") or 7200))
    return value


def _call(call, forget_token, kind: TicketKind) -> dict:
    import requests
    from dingtalk.core.exceptions import DingTalkClientException
    from wechatpy.exceptions import WeChatClientException

    name = PLATFORM_NAMES[kind.platform]
    try:
        try:
            return call()
        except (DingTalkClientException, WeChatClientException) as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
            forget_token()  # refused token: fetch a new one, once
            return call()
    except (DingTalkClientException, WeChatClientException) as exc:
        raise Unavailable(
            f"{name}签名服务暂时不可用：{exc.errcode}", code="jsapi_ticket_failed"
        ) from None
    except (requests.RequestException, ValueError):
        raise Unavailable(f"{name}签名服务暂时不可用", code="jsapi_ticket_failed") from None


def configured(config: Mapping, platform: str) -> bool:
    """Whether `platform`'s API settings are all set (checked quietly: /m/ asks on every load)."""
    needed = (
        *REQUIRED[FEATURES[platform]],
        *(("DINGTALK_CORP_ID",) if platform == "dingtalk" else ()),
    )
    return all(config.get(name) for name in needed)


def platform_info(config: Mapping, platform: str) -> dict | None:
    """What /m/ needs for `platform` (None: not configured): ids, authorize page, JS-SDK."""
    if not configured(config, platform):
        return None
    if platform == "wechat":
        return {
            "app_id": config["WECHAT_APP_ID"],
            "authorize_url": f"{config['WECHAT_OAUTH_BASE']}/connect/oauth2/authorize",
            "jssdk_url": config["WECHAT_JSSDK_URL"],
        }
    if platform == "wecom":
        return {
            "app_id": config["WECOM_CORP_ID"],
            "agent_id": str(config["WECOM_AGENT_ID"]),
            "authorize_url": f"{config['WECOM_OAUTH_BASE']}/connect/oauth2/authorize",
            "jssdk_url": config["WECOM_JSSDK_URL"],
        }
    return {
        "app_id": config["DINGTALK_CORP_ID"],
        "agent_id": str(config.get("DINGTALK_AGENT_ID") or ""),
        "jssdk_url": config["DINGTALK_JSSDK_URL"],
    }


def jssdk_origins(config: Mapping) -> list[str]:
    """The origins of the configured platforms' JS-SDK scripts (for /m/'s CSP)."""
    origins = []
    for platform in FEATURES:
        info = platform_info(config, platform)
        if info is None:
            continue
        parts = urlsplit(info["jssdk_url"])
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme in ("http", "https") and parts.netloc and origin not in origins:
            origins.append(origin)
    return origins
