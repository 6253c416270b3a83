"""What WeChat (Official Account / Mini-program) and WeCom callbacks share.

Both send a flat `<xml>` document, optionally AES-encrypted with the same scheme (the
receive id is the AppID or the CorpID), and both take a passive XML reply in the response.
The plaintext is parsed with defusedxml and handed to wechatpy as a dict, so xmltodict never
sees an attacker's DOCTYPE.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from bots.errors import MalformedBody
from bots.message import ImageRef, InboundMessage, PassiveReplyContext, Platform, from_epoch
from bots.platforms.common import (
    parse_fields,
    refusing_crypto_errors,
    require_arg,
    require_sha1,
)
from models import clock
from models.messages import OutboundMessage


def decrypt_fields(crypto, args: Mapping[str, str], encrypt: str, recipient_error) -> dict:
    """Check msg_signature over `encrypt`, decrypt it and parse the inner XML safely."""
    if not encrypt:
        raise MalformedBody("no <Encrypt> element")
    signature = require_arg(args, "msg_signature", signature=True)
    timestamp = require_arg(args, "timestamp")
    nonce = require_arg(args, "nonce")
    require_sha1(signature, crypto.token, timestamp, nonce, encrypt)
    from wechatpy.exceptions import InvalidSignatureException

    with refusing_crypto_errors(InvalidSignatureException, recipient_error):
        plain = crypto.decrypt_message({"Encrypt": encrypt}, signature, timestamp, nonce)
    return parse_fields(plain)


def message_from_fields(platform: Platform, fields: dict, *, encrypted: bool) -> InboundMessage:
    """Map the flat callback fields to an InboundMessage (private chat with the account)."""
    try:
        sender = fields["FromUserName"]
        created = int(fields["CreateTime"])
        created_at = from_epoch(created)
        msg_type = fields["MsgType"].lower()
    except (KeyError, ValueError) as exc:
        raise MalformedBody(f"missing or bad field {exc}") from None
    if not sender:
        raise MalformedBody("empty FromUserName")
    msg_id = fields.get("MsgId", "")
    kind, image, event = _kind(msg_type, fields)
    event_key = fields.get("EventKey", "") if kind == "event" else ""
    event_id = f"{sender}:{created}:{event_key}" if event_key else f"{sender}:{created}"
    reply = PassiveReplyContext(
        to_user=sender,
        from_user=fields.get("ToUserName", ""),
        encrypted=encrypted,
        agent_id=fields.get("AgentID", ""),
    )
    return InboundMessage(
        platform=platform,
        # Events carry no MsgId (wechatpy reports 0): FromUserName + CreateTime (+ EventKey
        # for menu events) identify them.
        message_id=msg_id if msg_id not in ("", "0") else event_id,
        sender_id=sender,
        conversation_id=sender,
        conversation_type="private",
        created_at=created_at,
        kind=kind,
        text=_text(kind, event, fields),
        image=image,
        event=event,
        event_key=event_key,
        scan_type=fields.get("ScanType", "") if event.startswith("scancode") else "",
        reply=reply,
        raw=fields,
    )


def _text(kind: str, event: str, fields: dict) -> str:
    """A text message's content; a scan event's ScanResult (kept as the message's text)."""
    if kind == "text":
        return fields.get("Content", "").strip()
    if event.startswith("scancode"):
        return fields.get("ScanResult", "").strip()
    return ""


def _kind(msg_type: str, fields: dict) -> tuple[str, ImageRef | None, str]:
    if msg_type == "text":
        return "text", None, ""
    if msg_type == "image":
        image = ImageRef(media_id=fields.get("MediaId", ""), url=fields.get("PicUrl", ""))
        return "image", image, ""
    if msg_type == "event":
        return "event", None, fields.get("Event", "").lower()
    return "other", None, ""


def reply_xml(context: PassiveReplyContext, message: OutboundMessage, reply_cls=None) -> str:
    """Plain passive text reply. Markdown is shown as its text: WeChat does not render it."""
    if reply_cls is None:
        from wechatpy.replies import TextReply as reply_cls
    content = message.text if not message.title else f"{message.title}\n{message.text}"
    extra = {"agent": int(context.agent_id)} if context.agent_id else {}
    reply = reply_cls(
        source=context.from_user,
        target=context.to_user,
        content=_cdata_safe(content),
        time=int(clock.epoch()),
        **extra,
    )
    return reply.render()


def render_passive(
    crypto, context: PassiveReplyContext, message: OutboundMessage | None, *, empty: str, **kw
) -> str:
    """A passive reply body: `empty` when there is nothing to say, encrypted if the request was.

    `kw` takes reply_cls (the wechatpy reply class), nonce and timestamp.
    """
    if message is None or not (message.text or message.title):
        return empty
    xml = reply_xml(context, message, kw.get("reply_cls"))
    if not context.encrypted:
        return xml
    return encrypt_reply(crypto, xml, nonce=kw.get("nonce"), timestamp=kw.get("timestamp"))


def encrypt_reply(crypto, xml: str, *, nonce: str | None, timestamp: int | None) -> str:
    nonce = nonce or secrets.token_hex(8)
    return crypto.encrypt_message(xml, nonce, str(timestamp or int(clock.epoch())))


def _cdata_safe(text: str) -> str:
    # wechatpy wraps the content in CDATA without escaping; a literal "]]>" would end it.
    return text.replace("]]>", "]]]]><![CDATA[>")
