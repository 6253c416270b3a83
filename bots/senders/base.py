"""SendResult, the errcode table and the HTTP plumbing every sender shares.

A sender never raises for a platform or network problem: it answers ok, retryable (try again
later, maybe after `retry_after` seconds) or permanent (retrying cannot help). The outbox
decides what to do with that.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlencode

from models.messages import OutboundMessage

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    import requests
    from dingtalk.core.exceptions import DingTalkClientException
    from wechatpy.exceptions import WeChatClientException

log = logging.getLogger(__name__)

Status = Literal["ok", "retryable", "permanent"]
DEFAULT_TIMEOUT = 5.0
# Production API bases (bots.senders.clients re-exports them; kept here so that modules
# needing only the address do not load the SDKs).
WECHAT_API = "https://api.weixin.qq.com"
WECOM_API = "https://qyapi.weixin.qq.com"
DINGTALK_API = "https://oapi.dingtalk.com"

# Seconds to wait before retrying. DingTalk throttles a robot for 10 minutes after 130101.
RATE_LIMITED = {45009: 60.0, 45011: 60.0, 130101: 600.0}
# The access token was refused: refetch it once and retry (the senders do, not the SDKs).
TOKEN_REJECTED = frozenset({33001, 40001, 40014, 42001})
BUSY = {-1: 5.0}
PERMANENT = {
    310000: "sign, keyword or IP whitelist check failed",
    93000: "invalid webhook key",
    300001: "robot access_token does not exist",
    40035: "access_token missing",
    40003: "invalid openid",
    40037: "invalid template_id",
    43101: "user refused or one-time subscription used up",
    47003: "template data invalid",
    40058: "invalid parameter (length limit?)",
    45002: "content size out of limit",
    460101: "message too long (DingTalk: body over 20000 bytes)",
    41030: "invalid page",
}


@dataclass(frozen=True)
class SendResult:
    status: Status
    errcode: int | None = None
    reason: str = ""
    retry_after: float | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def permanent(cls, reason: str, errcode: int | None = None) -> SendResult:
        return cls("permanent", errcode, reason)


class Sender(Protocol):
    def send(self, target: Any, message: OutboundMessage) -> SendResult: ...


def classify(errcode: int, errmsg: str = "", data: Mapping | None = None) -> SendResult:
    """Map a platform errcode to a SendResult."""
    short = f"{errcode} {errmsg}".strip()[:200]
    if errcode == 0:
        return SendResult("ok", 0, "ok", data=data or {})
    if errcode in RATE_LIMITED:
        return SendResult("retryable", errcode, f"rate limited: {short}", RATE_LIMITED[errcode])
    if errcode in BUSY:
        return SendResult("retryable", errcode, f"platform busy: {short}", BUSY[errcode])
    if errcode in TOKEN_REJECTED:
        return SendResult("retryable", errcode, f"access token rejected: {short}", 1.0)
    reason = PERMANENT.get(errcode)
    return SendResult.permanent(f"{reason}: {short}" if reason else short, errcode)


def network_result(exc: requests.RequestException) -> SendResult:
    import requests

    if isinstance(exc, requests.Timeout):
        return SendResult("retryable", None, f"timeout: {type(exc).__name__}")
    return SendResult("retryable", None, f"network: {type(exc).__name__}")


def http_status_result(status: int) -> SendResult:
    if status >= 500 or status == 429:
        return SendResult("retryable", None, f"HTTP {status}")
    return SendResult.permanent(f"HTTP {status}")


# What requests looks up in the environment for every request while a session trusts it:
# proxies (and the exceptions to them), a CA bundle, ~/.netrc credentials.
PROXY_SETTINGS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
CA_BUNDLE_SETTINGS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # requests' order
ENVIRONMENT_SETTINGS = PROXY_SETTINGS + CA_BUNDLE_SETTINGS


class JsonPoster:
    """Where the webhook senders (DingTalk robots and session replies, WeCom robots) POST their
    JSON, over kept-alive connections.

    When the environment names no proxy it is urllib3's pool, used directly, verifying with the
    CA bundle the environment names as requests would (REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE),
    else certifi's: a requests session on top of the same pool cost about 0.6 ms more CPU per
    POST (1.45 against 0.85 ms, measured 2026-12-06), and a DingTalk reply is one POST per
    message. When the environment names a proxy, a requests session that reads the environment
    on every request, as requests does (the proxies and the exceptions to them): those
    deployments get requests' handling of them rather than a copy. ~/.netrc, which no platform
    call should take credentials from, is read by neither. Thread-safe; the libraries load on
    first use."""

    def __init__(self) -> None:
        self.trust_env = any(
            os.environ.get(name) or os.environ.get(name.lower()) for name in PROXY_SETTINGS
        )
        self.ca_bundle = next(filter(None, map(os.environ.get, CA_BUNDLE_SETTINGS)), None)
        self._client = None
        self._lock = threading.Lock()

    def post(self, url: str, payload: Mapping, *, params=None, timeout: float) -> SendResult:
        client = self._client or self._start()
        if self.trust_env:
            return _post_requests(client, url, payload, params, timeout)
        return _post_pooled(client, url, payload, params, timeout)

    def _start(self):
        with self._lock:
            if self._client is None:
                self._client = self._requests() if self.trust_env else self._pool()
        return self._client

    @staticmethod
    def _requests():
        import requests

        return requests.Session()

    def _pool(self):
        import certifi
        import urllib3

        bundle = self.ca_bundle or certifi.where()
        where = {"ca_cert_dir": bundle} if os.path.isdir(bundle) else {"ca_certs": bundle}
        # As many kept-alive connections per host as requests keeps (10): the reply thread and
        # the delivery loop's threads send side by side.
        return urllib3.PoolManager(num_pools=10, maxsize=10, **where)


JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": "gendan"}


def _post_pooled(pool, url: str, payload: Mapping, params, timeout: float) -> SendResult:
    import urllib3

    if params:
        url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
    # Encoded as requests encodes `json=` (ASCII-escaped, no NaN), so the body's length is the
    # one the senders budget for (DingTalk refuses a body over 20,000 bytes).
    body = json.dumps(payload, allow_nan=False).encode()
    try:
        response = pool.request(
            "POST",
            url,
            body=body,
            headers=JSON_HEADERS,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        # urllib3 makes a refused connection (NewConnectionError) a kind of connect timeout.
        timed_out = isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(
            exc, urllib3.exceptions.NewConnectionError
        )
        return SendResult(
            "retryable", None, f"{'timeout' if timed_out else 'network'}: {type(exc).__name__}"
        )
    return _answer(response.status, response.data)


def _post_requests(session, url: str, payload: Mapping, params, timeout: float) -> SendResult:
    import requests

    try:
        response = session.post(url, json=payload, params=params, timeout=timeout)
    except requests.RequestException as exc:
        return network_result(exc)
    return _answer(response.status_code, response.content)


def _answer(status: int, content: bytes) -> SendResult:
    """DingTalk and WeCom answer HTTP 200 with an errcode."""
    if status != 200:
        return http_status_result(status)
    try:
        data = json.loads(content)
        errcode = int(data.get("errcode", 0))
    except (ValueError, AttributeError, TypeError):
        return SendResult("retryable", None, "response is not a JSON object")
    return classify(errcode, str(data.get("errmsg", "")), data)


def sdk_error_result(exc: WeChatClientException | DingTalkClientException) -> SendResult:
    if exc.errcode is None:  # the SDKs raise this for non-2xx answers
        status = getattr(exc.response, "status_code", None)
        return http_status_result(status) if status else SendResult("retryable", None, "HTTP")
    return classify(int(exc.errcode), str(exc.errmsg or ""))


def call_with_token_retry(call: Callable[[], Mapping], forget_token: Callable[[], None]):
    """Run an SDK call; if the token is refused, forget it and try exactly once more.

    Both SDKs' own auto_retry loops without bound while the platform keeps refusing the
    token, so the clients are built with auto_retry=False and this does the one retry.
    """
    result, errcode = _attempt(call)
    if errcode in TOKEN_REJECTED:
        log.info("access token refused (%s), refetching once", errcode)
        forget_token()
        result, _ = _attempt(call)
    return result


def _attempt(call: Callable[[], Mapping]) -> tuple[SendResult, int | None]:
    import requests
    from dingtalk.core.exceptions import DingTalkClientException
    from wechatpy.exceptions import WeChatClientException

    try:
        return classify(0, data=call()), None
    except requests.RequestException as exc:
        return network_result(exc), None
    except (WeChatClientException, DingTalkClientException) as exc:
        return sdk_error_result(exc), exc.errcode


def truncate_utf8(text: str, limit: int, note: str = "") -> str:
    """`text` cut to at most `limit` UTF-8 bytes, ending with `note` when it was cut."""
    if len(text.encode()) <= limit:
        return text
    room = max(limit - len(note.encode()), 0)
    return text.encode()[:room].decode("utf-8", errors="ignore") + note
