"""WeCom (企业微信) self-built app callback (CHANNELS §3.2). Always encrypted, CorpID inside.

`args` must be the query as the web framework decoded it once (Flask's request.args): the
base64 echostr contains '+', and a second URL-decoding turns it into a space.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bots.errors import WrongRecipient
from bots.message import InboundMessage, PassiveReplyContext
from bots.platforms.common import (
    MAX_BODY,
    check_size,
    refusing_crypto_errors,
    require_arg,
    require_sha1,
    safe_xml_fields,
)
from bots.platforms.wxbase import decrypt_fields, message_from_fields, render_passive
from models.messages import OutboundMessage

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    from wechatpy.enterprise.crypto import WeChatCrypto


@dataclass(frozen=True)
class WeComConfig:
    token: str
    encoding_aes_key: str
    corp_id: str
    agent_id: str = ""  # set: AgentID must match
    max_body: int = MAX_BODY

    def crypto(self) -> WeChatCrypto:
        from wechatpy.enterprise.crypto import WeChatCrypto

        return WeChatCrypto(self.token, self.encoding_aes_key, self.corp_id)


def verify_url(config: WeComConfig, args: Mapping[str, str]) -> str:
    """GET URL verification: the decrypted echostr, to return with no quotes or newline."""
    signature = require_arg(args, "msg_signature", signature=True)
    timestamp = require_arg(args, "timestamp")
    nonce = require_arg(args, "nonce")
    echostr = require_arg(args, "echostr")
    require_sha1(signature, config.token, timestamp, nonce, echostr)
    from wechatpy.enterprise.exceptions import InvalidCorpIdException
    from wechatpy.exceptions import InvalidSignatureException

    with refusing_crypto_errors(InvalidSignatureException, InvalidCorpIdException):
        return config.crypto().check_signature(signature, timestamp, nonce, echostr)


def parse_request(config: WeComConfig, args: Mapping[str, str], body: bytes) -> InboundMessage:
    """Verify, decrypt and parse a POSTed message; raises bots.errors.Refused on any problem."""
    check_size(body, config.max_body)
    outer = safe_xml_fields(body)
    from wechatpy.enterprise.exceptions import InvalidCorpIdException

    fields = decrypt_fields(config.crypto(), args, outer.get("Encrypt", ""), InvalidCorpIdException)
    if config.agent_id and fields.get("AgentID", config.agent_id) != config.agent_id:
        raise WrongRecipient(f"AgentID {fields.get('AgentID')!r}")
    return message_from_fields("wecom", fields, encrypted=True)


def render_reply(
    config: WeComConfig,
    context: PassiveReplyContext,
    message: OutboundMessage | None,
    *,
    nonce: str | None = None,
    timestamp: int | None = None,
) -> str:
    """The HTTP response body: an encrypted passive text reply, or empty (no reply, no retry)."""
    from wechatpy.enterprise.replies import TextReply

    return render_passive(
        config.crypto(),
        context,
        message,
        empty="",
        reply_cls=TextReply,
        nonce=nonce,
        timestamp=timestamp,
    )
