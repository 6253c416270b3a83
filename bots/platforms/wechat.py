"""WeChat Official Account / Mini-program customer-service message push (CHANNELS §1).

Bodies are XML, or JSON when a mini-program's push format is set to JSON (the encrypted
envelope and its plaintext then are JSON too). Mini-programs cannot reply passively: answer
`success` and use the customer-service API.

Pure functions: a thin Flask route passes `request.args`, `request.get_data()` and returns
what these give back. Plain mode checks `signature`; safe mode (encrypt_type=aes) also checks
`msg_signature` and decrypts with the AppID as the receive id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bots.errors import BadSignature, MalformedBody, WrongRecipient
from bots.message import InboundMessage, PassiveReplyContext
from bots.platforms.common import (
    MAX_BODY,
    check_size,
    parse_fields,
    require_arg,
    require_sha1,
)
from bots.platforms.wxbase import decrypt_fields, message_from_fields, render_passive
from models.messages import OutboundMessage

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    from wechatpy.crypto import WeChatCrypto

# Returned when the reply will come later through the customer-service API: WeChat neither
# retries nor shows "该公众号暂时无法提供服务".
SUCCESS = "success"


@dataclass(frozen=True)
class WeChatConfig:
    token: str
    app_id: str
    encoding_aes_key: str = ""  # set: safe mode, plain POSTs are refused
    account_id: str = ""  # the gh_... original id; set: ToUserName must match
    max_body: int = MAX_BODY

    def crypto(self) -> WeChatCrypto:
        from wechatpy.crypto import WeChatCrypto

        return WeChatCrypto(self.token, self.encoding_aes_key, self.app_id)


def verify_url(config: WeChatConfig, args: Mapping[str, str]) -> str:
    """GET URL verification: the echostr to return verbatim (plaintext even in safe mode)."""
    signature = require_arg(args, "signature", signature=True)
    echostr = require_arg(args, "echostr")
    from wechatpy.exceptions import InvalidSignatureException
    from wechatpy.utils import check_signature

    try:
        check_signature(config.token, signature, args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        raise BadSignature() from None
    return echostr


def parse_request(config: WeChatConfig, args: Mapping[str, str], body: bytes) -> InboundMessage:
    """Verify and parse a POSTed message; raises bots.errors.Refused on any problem."""
    check_size(body, config.max_body)
    signature = require_arg(args, "signature", signature=True)
    timestamp, nonce = require_arg(args, "timestamp"), require_arg(args, "nonce")
    require_sha1(signature, config.token, timestamp, nonce)
    encrypted = args.get("encrypt_type", "raw") == "aes"
    if config.encoding_aes_key and not encrypted:
        raise MalformedBody("safe mode is configured but the message is not encrypted")
    if encrypted and not config.encoding_aes_key:
        raise MalformedBody("encrypted message but no EncodingAESKey configured")
    fields = parse_fields(body)
    if encrypted:
        encrypt = fields.get("Encrypt", "")
        from wechatpy.exceptions import InvalidAppIdException

        fields = decrypt_fields(config.crypto(), args, encrypt, InvalidAppIdException)
    if config.account_id and fields.get("ToUserName") != config.account_id:
        raise WrongRecipient(f"ToUserName {fields.get('ToUserName')!r}")
    return message_from_fields("wechat", fields, encrypted=encrypted)


def render_reply(
    config: WeChatConfig,
    context: PassiveReplyContext,
    message: OutboundMessage | None,
    *,
    nonce: str | None = None,
    timestamp: int | None = None,
) -> str:
    """The HTTP response body: a passive reply (encrypted if the request was) or `success`."""
    crypto = config.crypto() if context.encrypted else None
    return render_passive(crypto, context, message, empty=SUCCESS, nonce=nonce, timestamp=timestamp)
