"""Identify a user from a platform login code: WeChat mini-program and DingTalk.

Only ids come out. The mini-program session_key never leaves this module: Gendan issues its
own session token. Failures raise models.errors (DomainError) with a Chinese message, because the
caller is the REST door; a code the platform does not know (or knows as used) is a refused
credential, 401, like a wrong password.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from dingtalk.client import AppKeyClient
from dingtalk.core.exceptions import DingTalkClientException

from bots.senders.base import DEFAULT_TIMEOUT, TOKEN_REJECTED
from bots.senders.clients import WECHAT_API
from models.errors import DomainError, Forbidden, NotAuthenticated, RateLimited, Unavailable


@dataclass(frozen=True)
class MiniProgramIdentity:
    openid: str
    unionid: str = ""


WECHAT_LOGIN_ERRORS: dict[int, tuple[type[DomainError], str, str]] = {
    40029: (NotAuthenticated, "登录凭证无效，请重新登录", "wx_code_invalid"),
    40163: (NotAuthenticated, "登录凭证已被使用，请重新登录", "wx_code_used"),
    45011: (RateLimited, "登录太频繁，请稍后再试", "wx_login_rate_limited"),
    40226: (Forbidden, "微信判定该账号存在风险，暂时无法登录", "wx_risky_user"),
    -1: (Unavailable, "微信服务繁忙，请稍后再试", "wx_busy"),
}


def code_to_session(
    app_id: str,
    secret: str,
    code: str,
    *,
    api_base: str = WECHAT_API,
    timeout: float = DEFAULT_TIMEOUT,
    session: requests.Session | None = None,
) -> MiniProgramIdentity:
    """Exchange a wx.login() code for the user's openid/unionid.

    A plain GET: wechatpy's wxa.code_to_session fetches an access token first, so login would
    fail whenever the token fetch does (CHANNELS §2.1).
    """
    if not code or len(code) > 128:
        raise _login_error(40029)
    params = {"appid": app_id, "secret": secret, "js_code": code}
    params["grant_type"] = "authorization_code"
    try:
        response = (session or requests).get(
            f"{api_base.rstrip('/')}/sns/jscode2session", params=params, timeout=timeout
        )
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise Unavailable("微信登录服务暂时不可用，请稍后再试", code="wx_unreachable") from None
    errcode = int(data.get("errcode") or 0)
    if errcode or not data.get("openid"):
        raise _login_error(errcode)
    return MiniProgramIdentity(openid=data["openid"], unionid=data.get("unionid", ""))


def dingtalk_userid(client: AppKeyClient, code: str) -> str:
    """The DingTalk userid behind a requestAuthCode code (免登), via client.user.getuserinfo."""
    try:
        try:
            return client.user.getuserinfo(code)["userid"]
        except DingTalkClientException as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
            client.cache.access_token.delete()  # refused token: fetch a new one, once
            return client.user.getuserinfo(code)["userid"]
    except DingTalkClientException as exc:
        if exc.errcode == 40078:
            raise NotAuthenticated(
                "钉钉登录凭证无效或已使用，请重新登录", code="dt_code_invalid"
            ) from None
        raise Unavailable("钉钉登录服务暂时不可用，请稍后再试", code="dt_login_failed") from None
    except (requests.RequestException, KeyError):
        raise Unavailable("钉钉登录服务暂时不可用，请稍后再试", code="dt_unreachable") from None


def _login_error(errcode: int) -> DomainError:
    cls, message, code = WECHAT_LOGIN_ERRORS.get(
        errcode, (Unavailable, "微信登录失败，请稍后再试", "wx_login_failed")
    )
    return cls(message, code=code, errcode=errcode)
