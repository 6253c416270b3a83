"""Identify a user from a platform login code: WeChat mini-program and web OAuth, WeCom OAuth2,
DingTalk 免登.

Only ids come out. The mini-program session_key never leaves this module: Gendan issues its
own session token. Failures raise models.errors (DomainError) with a Chinese message, because the
caller is the REST door; a code the platform does not know (or knows as used) is a refused
credential, 401, like a wrong password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bots.senders.base import DEFAULT_TIMEOUT, TOKEN_REJECTED, WECHAT_API
from models.errors import DomainError, Forbidden, NotAuthenticated, RateLimited, Unavailable

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    import requests
    from dingtalk.client import AppKeyClient


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
    import requests

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
    import requests
    from dingtalk.core.exceptions import DingTalkClientException

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


# In-app web sign-in (/m/): WeCom OAuth2 snsapi_base and WeChat web OAuth ------------------------

CODE_REFUSED = {40029, 40163, 40078, 50001}  # invalid / used code, redirect_uri not trusted


def _code_refused(platform: str, errcode: int) -> NotAuthenticated:
    return NotAuthenticated(
        f"{platform}登录凭证无效或已使用，请重新打开页面", code="chat_code_invalid", errcode=errcode
    )


def wecom_userid(client, code: str) -> str:
    """The WeCom member behind an OAuth2 code: /cgi-bin/auth/getuserinfo -> userid.

    A code from somebody outside the corp answers an openid instead: they cannot be bound.
    """
    import requests
    from wechatpy.exceptions import WeChatClientException

    if not code or len(code) > 128:
        raise _code_refused("企业微信", 40029)
    try:
        try:
            data = client.get("auth/getuserinfo", params={"code": code})
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
            client.forget_token()  # refused token: fetch a new one, once
            data = client.get("auth/getuserinfo", params={"code": code})
    except WeChatClientException as exc:
        if exc.errcode in CODE_REFUSED:
            raise _code_refused("企业微信", exc.errcode) from None
        raise Unavailable(
            "企业微信登录服务暂时不可用，请稍后再试", code="wecom_login_failed"
        ) from None
    except (requests.RequestException, ValueError):
        raise Unavailable(
            "企业微信登录服务暂时不可用，请稍后再试", code="wecom_unreachable"
        ) from None
    userid = data.get("userid") or data.get("UserId")
    if not userid:
        raise Forbidden("您不是本企业的成员，无法登录 Gendan", code="wecom_not_member")
    return str(userid)


def wechat_web_openid(
    app_id: str,
    secret: str,
    code: str,
    *,
    api_base: str = WECHAT_API,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """The openid behind a WeChat web OAuth code (snsapi_base): /sns/oauth2/access_token."""
    import requests

    if not code or len(code) > 128:
        raise _code_refused("微信", 40029)
    params = {"appid": app_id, "secret": secret, "code": code, "grant_type": "authorization_code"}
    try:
        response = requests.get(
            f"{api_base.rstrip('/')}/sns/oauth2/access_token", params=params, timeout=timeout
        )
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise Unavailable("微信登录服务暂时不可用，请稍后再试", code="wx_unreachable") from None
    errcode = int(data.get("errcode") or 0)
    if errcode in CODE_REFUSED:
        raise _code_refused("微信", errcode)
    if errcode or not data.get("openid"):
        raise _login_error(errcode)
    return str(data["openid"])
