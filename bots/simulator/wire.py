"""How the platforms sign and encrypt what they POST to a webhook (the platform side).

The simulator delivers with these; tests use them to build requests for the adapters.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping

from dingtalk.crypto import DingTalkCrypto
from wechatpy.crypto import PrpCrypto

from bots.platforms.common import sha1_signature
from bots.platforms.dingtalk import robot_sign


def xml_document(fields: Mapping[str, object]) -> str:
    return "<xml>" + _elements(fields) + "</xml>"


def _elements(fields: Mapping[str, object]) -> str:
    """Flat or nested elements: a mapping nests, a list repeats <item> (SendPicsInfo/PicList)."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, Mapping):
            parts.append(f"<{name}>{_elements(value)}</{name}>")
        elif isinstance(value, list):
            items = "".join(f"<item>{_elements(item)}</item>" for item in value)
            parts.append(f"<{name}>{items}</{name}>")
        elif isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            text = str(value).replace("]]>", "]]]]><![CDATA[>")
            parts.append(f"<{name}><![CDATA[{text}]]></{name}>")
    return "".join(parts)


def aes_encrypt(encoding_aes_key: str, receive_id: str, plaintext: str) -> str:
    key = base64.b64decode(encoding_aes_key + "=")
    return PrpCrypto(key).encrypt(plaintext, receive_id).decode()


def wechat_push(
    *, token: str, app_id: str, aes_key: str, fields: Mapping, timestamp: int, nonce: str = ""
) -> tuple[dict, bytes]:
    """Query args and body of an Official Account push; safe mode when `aes_key` is set."""
    nonce = nonce or secrets.token_hex(5)
    args = {
        "signature": sha1_signature(token, str(timestamp), nonce),
        "timestamp": str(timestamp),
        "nonce": nonce,
        "openid": str(fields.get("FromUserName", "")),
    }
    plain = xml_document(fields)
    if not aes_key:
        return args, plain.encode()
    encrypt = aes_encrypt(aes_key, app_id, plain)
    args["encrypt_type"] = "aes"
    args["msg_signature"] = sha1_signature(token, str(timestamp), nonce, encrypt)
    outer = {"ToUserName": fields.get("ToUserName", ""), "Encrypt": encrypt}
    return args, xml_document(outer).encode()


def wecom_push(
    *, token: str, corp_id: str, aes_key: str, fields: Mapping, timestamp: int, nonce: str = ""
) -> tuple[dict, bytes]:
    """Query args and body of a WeCom app callback (always encrypted, CorpID inside)."""
    nonce = nonce or secrets.token_hex(5)
    encrypt = aes_encrypt(aes_key, corp_id, xml_document(fields))
    args = {
        "msg_signature": sha1_signature(token, str(timestamp), nonce, encrypt),
        "timestamp": str(timestamp),
        "nonce": nonce,
    }
    outer = {"ToUserName": corp_id, "AgentID": fields.get("AgentID", ""), "Encrypt": encrypt}
    return args, xml_document(outer).encode()


def wechat_verify_args(*, token: str, timestamp: int, echostr: str, nonce: str = "") -> dict:
    nonce = nonce or secrets.token_hex(5)
    signature = sha1_signature(token, str(timestamp), nonce)
    return {"signature": signature, "timestamp": str(timestamp), "nonce": nonce, "echostr": echostr}


def wecom_verify_args(
    *, token: str, corp_id: str, aes_key: str, timestamp: int, echo: str, nonce: str = ""
) -> dict:
    nonce = nonce or secrets.token_hex(5)
    echostr = aes_encrypt(aes_key, corp_id, echo)
    return {
        "msg_signature": sha1_signature(token, str(timestamp), nonce, echostr),
        "timestamp": str(timestamp),
        "nonce": nonce,
        "echostr": echostr,
    }


def dingtalk_robot_push(*, app_secret: str, payload: Mapping, now_ms: int) -> tuple[dict, bytes]:
    """Headers and body of an app-robot outgoing callback."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "timestamp": str(now_ms),
        "sign": robot_sign(app_secret, now_ms),
    }
    return headers, json.dumps(payload, ensure_ascii=False).encode()


def dingtalk_event_push(
    *, token: str, aes_key: str, owner_key: str, payload: Mapping, now_ms: int
) -> tuple[dict, bytes]:
    """Query args and body of an event-subscription callback."""
    crypto = DingTalkCrypto(token, aes_key, owner_key)
    out = crypto.encrypt_message(json.dumps(payload), secrets.token_hex(4), str(now_ms))
    args = {"msg_signature": out["msg_signature"], "timestamp": out["timeStamp"]}
    args["nonce"] = out["nonce"]
    return args, json.dumps({"encrypt": out["encrypt"]}).encode()
