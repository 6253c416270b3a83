"""wechatpy / dingtalk-sdk clients pointed at a configurable API base, with timeouts.

Both SDKs hard-code production hosts in places (wechatpy's token URL) and call requests
without a timeout in others (wechatpy's token fetch), so the clients here fix both.
"""

from __future__ import annotations

import time

import requests
from dingtalk.client import AppKeyClient
from dingtalk.storage import BaseStorage
from wechatpy import WeChatClient
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.exceptions import WeChatClientException

from bots.senders.base import DEFAULT_TIMEOUT, DINGTALK_API, WECHAT_API, WECOM_API

__all__ = ["DINGTALK_API", "WECHAT_API", "WECOM_API"]


class TimeoutSession(requests.Session):
    """A requests.Session whose calls time out by default, even where an SDK passes none."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        super().__init__()
        self.default_timeout = timeout

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, **kwargs)


class WeChatApiClient(WeChatClient):
    """WeChatClient on `api_base`, fetching tokens from stable_token by default.

    stable_token does not rotate the token on every fetch, so several processes (or a
    developer's laptop) do not invalidate each other's token (CHANNELS §2.2, pitfall 8).
    """

    def __init__(
        self,
        appid,
        secret,
        *,
        session,
        api_base=WECHAT_API,
        timeout=DEFAULT_TIMEOUT,
        stable_token=True,
    ):
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = f"{api_base.rstrip('/')}/cgi-bin/"
        self._http = TimeoutSession(timeout)
        self.stable_token = stable_token

    def fetch_access_token(self):
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        if not self.stable_token:
            return self._fetch_access_token(self.API_BASE_URL + "token", params)
        response = self._http.post(self.API_BASE_URL + "stable_token", json=params)
        if response.status_code != 200:
            raise WeChatClientException(None, None, client=self, response=response)
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(
                result["errcode"], result.get("errmsg"), client=self, response=response
            )
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

    def forget_token(self) -> None:
        self.session.delete(self.access_token_key)
        self.expires_at = None


class WeComApiClient(WeComClient):
    """wechatpy.enterprise's client on `api_base` (its token URL is hard-coded otherwise)."""

    def __init__(self, corp_id, secret, *, session, api_base=WECOM_API, timeout=DEFAULT_TIMEOUT):
        super().__init__(corp_id, secret, session=session, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = f"{api_base.rstrip('/')}/cgi-bin/"
        self._http = TimeoutSession(timeout)

    def fetch_access_token(self):
        params = {"corpid": self.corp_id, "corpsecret": self.secret}
        return self._fetch_access_token(self.API_BASE_URL + "gettoken", params)

    def forget_token(self) -> None:
        self.session.delete(self.access_token_key)
        self.expires_at = None


def dingtalk_client(
    corp_id: str,
    app_key: str,
    app_secret: str,
    *,
    storage,
    api_base: str = DINGTALK_API,
    timeout: float = DEFAULT_TIMEOUT,
) -> AppKeyClient:
    """An AppKeyClient on `api_base` with its own session (the SDK shares one class-wide)."""
    if not isinstance(storage, BaseStorage):  # dingtalk-sdk asserts the base class
        storage = _DingTalkStorage(storage)
    client = AppKeyClient(
        corp_id, app_key, app_secret, storage=storage, timeout=timeout, auto_retry=False
    )
    client.API_BASE_URL = f"{api_base.rstrip('/')}/"
    client._http = TimeoutSession(timeout)
    return client


class _DingTalkStorage(BaseStorage):
    """dingtalk-sdk's storage base class around a duck-typed one (bots.platforms.tokens)."""

    def __init__(self, inner):
        self.inner = inner

    def get(self, key, default=None):
        return self.inner.get(key, default)

    def set(self, key, value, ttl=None):
        return self.inner.set(key, value, ttl)

    def delete(self, key):
        return self.inner.delete(key)
