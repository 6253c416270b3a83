"""Downloading the images users send in chat (WeChat / WeCom media ids, DingTalk codes).

Runs in the delivery loop, never in a webhook. A platform refusal that retrying cannot fix
(an unknown or expired media id) is a DomainError the user is told about; network trouble
and 5xx answers raise requests exceptions, and the task is tried again later.
"""

from __future__ import annotations

from app.services.core import settings
from bots.runtime import ChatRuntime
from bots.senders.base import TOKEN_REJECTED
from models.errors import DomainError, TooLarge

TIMEOUT = 15.0
EXPIRED = "图片已过期或无法下载，请重新发送"


def download_image(
    runtime: ChatRuntime, platform: str, media_id: str, robot_code: str = ""
) -> bytes:
    """The bytes of an image a user sent, at most the deployment's photo size limit."""
    if not media_id:
        raise DomainError(EXPIRED, code="media_missing")
    if platform == "dingtalk":
        return _dingtalk(
            runtime, media_id, robot_code or runtime.config.get("DINGTALK_APP_KEY", "")
        )
    client = runtime.wechat_client if platform == "wechat" else runtime.wecom_client
    return _cgi_media(client, media_id)


def _cgi_media(client, media_id: str) -> bytes:
    import requests

    for attempt in range(2):
        params = {"access_token": client.access_token, "media_id": media_id}
        response = client._http.get(
            client.API_BASE_URL + "media/get", params=params, timeout=TIMEOUT, stream=True
        )
        if response.status_code >= 500:
            raise requests.HTTPError(f"media/get answered {response.status_code}")
        if "json" not in response.headers.get("Content-Type", "") and response.ok:
            return _read(response)
        errcode = _errcode(response)
        if errcode in TOKEN_REJECTED and attempt == 0:
            client.forget_token()
            continue
        if errcode == -1:
            raise requests.HTTPError("platform busy")
        raise DomainError(EXPIRED, code="media_refused", errcode=errcode)
    raise DomainError(EXPIRED, code="media_refused")


def _dingtalk(runtime: ChatRuntime, code: str, robot_code: str) -> bytes:
    import requests

    client = runtime.dingtalk_client
    base = str(runtime.config.get("DINGTALK_OPENAPI_BASE") or "https://api.dingtalk.com")
    for attempt in range(2):
        response = client._http.post(
            f"{base.rstrip('/')}/v1.0/robot/messageFiles/download",
            headers={"x-acs-dingtalk-access-token": client.access_token},
            json={"downloadCode": code, "robotCode": robot_code},
            timeout=TIMEOUT,
        )
        if response.status_code == 401 and attempt == 0:
            client.cache.access_token.delete()
            continue
        if response.status_code >= 500:
            raise requests.HTTPError(f"messageFiles/download answered {response.status_code}")
        url = response.json().get("downloadUrl") if response.ok else None
        if not url or not url.startswith(("https://", "http://")):
            raise DomainError(EXPIRED, code="media_refused")
        image = client._http.get(url, timeout=TIMEOUT, stream=True)
        if image.status_code >= 500:
            raise requests.HTTPError(f"image download answered {image.status_code}")
        if not image.ok:
            raise DomainError(EXPIRED, code="media_refused")
        return _read(image)
    raise DomainError(EXPIRED, code="media_refused")


def _errcode(response) -> int | None:
    try:
        return int(response.json().get("errcode"))
    except (ValueError, TypeError, AttributeError):
        return None


def _read(response) -> bytes:
    limit = settings().photo_max_bytes
    data = b""
    for chunk in response.iter_content(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise TooLarge(f"图片超过 {limit // (1024 * 1024)} MB", code="photo_too_large")
    return data
