"""What a platform does when an admin saves the callback URL, and DingTalk event pushes."""

from __future__ import annotations

import secrets

import requests
from dingtalk.core.exceptions import DingTalkException
from dingtalk.crypto import DingTalkCrypto

from bots.simulator import wire
from bots.simulator.deliver import Deliverer


def verify_url(deliverer: Deliverer, platform: str) -> dict:
    """GET the callback with an echostr and check Gendan answers it exactly."""
    state = deliverer.state
    app = (state.config.get(f"{platform}_apps") or [None])[0]
    if app is None:
        return {"ok": False, "error": f"no {platform} app configured"}
    if platform == "dingtalk":
        return send_event(deliverer, {"EventType": "check_url"})
    now = int(state.clock.now())
    echo = str(secrets.randbits(62))
    if platform == "wecom":
        args = wire.wecom_verify_args(
            token=app["token"],
            corp_id=app["corpid"],
            aes_key=app["encoding_aes_key"],
            timestamp=now,
            echo=echo,
        )
    else:
        args = wire.wechat_verify_args(token=app["token"], timestamp=now, echostr=echo)
    try:
        response = deliverer.http.get(
            deliverer.callback_url(platform, app), params=args, timeout=deliverer.timeout
        )
    except requests.RequestException as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {
        "ok": response.status_code == 200 and response.text == echo,
        "status": response.status_code,
        "body": response.text[:200],
        "expected": echo,
    }


def send_event(deliverer: Deliverer, payload: dict) -> dict:
    """POST an encrypted DingTalk event; Gendan must answer with encrypted "success"."""
    state = deliverer.state
    app = (state.config.get("dingtalk_apps") or [None])[0]
    if app is None:
        return {"ok": False, "error": "no dingtalk app configured"}
    token, aes_key = app.get("event_token", ""), app.get("event_aes_key", "")
    args, body = wire.dingtalk_event_push(
        token=token,
        aes_key=aes_key,
        owner_key=app["appkey"],
        payload=payload,
        now_ms=state.clock.now_ms(),
    )
    try:
        response = deliverer.http.post(
            deliverer.callback_url("dingtalk", app),
            params=args,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=deliverer.timeout,
        )
        answer = response.json()
        plain = DingTalkCrypto(token, aes_key, app["appkey"]).decrypt_encrypt_str(
            answer["msg_signature"], answer["timeStamp"], answer["nonce"], answer["encrypt"]
        )
    except requests.RequestException as exc:
        return {"ok": False, "error": type(exc).__name__}
    except (ValueError, KeyError, TypeError, DingTalkException) as exc:
        return {"ok": False, "error": f"bad answer: {type(exc).__name__}"}
    return {"ok": plain == "success", "status": response.status_code}
