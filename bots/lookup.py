"""Find a person's platform user id from their mobile number (admins binding accounts).

Failures raise models.errors (DomainError) with a Chinese message: the caller is the REST door.
"""

from __future__ import annotations

from bots.senders.base import TOKEN_REJECTED
from models.errors import InvalidInput, Unavailable

NOT_FOUND = {60121, 46004, 40104}  # DingTalk: no such user / bad mobile; WeCom: no such mobile


def _lookup(call, forget_token, platform: str) -> dict:
    import requests
    from dingtalk.core.exceptions import DingTalkClientException
    from wechatpy.exceptions import WeChatClientException

    try:
        try:
            return call()
        except (DingTalkClientException, WeChatClientException) as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
            forget_token()
            return call()
    except (DingTalkClientException, WeChatClientException) as exc:
        if exc.errcode in NOT_FOUND:
            raise InvalidInput(
                f"{platform}里没有使用该手机号的成员", code="chat_user_not_found"
            ) from None
        raise Unavailable(
            f"{platform}接口暂时不可用：{exc.errcode}", code="chat_lookup_failed"
        ) from None
    except (requests.RequestException, ValueError):
        raise Unavailable(f"{platform}接口暂时不可用", code="chat_lookup_failed") from None


def dingtalk_userid_by_mobile(client, mobile: str) -> str:
    """DingTalk /topapi/v2/user/getbymobile."""
    data = _lookup(
        lambda: client.post("/topapi/v2/user/getbymobile", {"mobile": mobile}),
        client.cache.access_token.delete,
        "钉钉",
    )
    return data["result"]["userid"]


def wecom_userid_by_mobile(client, mobile: str) -> str:
    """WeCom /cgi-bin/user/getuserid."""
    data = _lookup(
        lambda: client.post("user/getuserid", data={"mobile": mobile}),
        client.forget_token,
        "企业微信",
    )
    return data["userid"]
