"""Checks shared by the inbound adapters: size, hostile XML, signatures."""

from __future__ import annotations

import hmac
import json
import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from app.services.core import MAX_JSON_DEPTH, json_too_deep
from bots.errors import BadSignature, BodyTooLarge, HostileBody, MalformedBody, WrongRecipient

MAX_BODY = 64 * 1024

# Decrypting attacker-chosen bytes fails in many ways; none of them may escape as a 500.
DECRYPT_ERRORS = (ValueError, TypeError, IndexError, KeyError, struct.error)


def check_size(body: bytes, limit: int = MAX_BODY) -> None:
    if len(body) > limit:
        raise BodyTooLarge(len(body), limit)


def safe_xml_fields(data: bytes | str) -> dict[str, str]:
    """Parse a flat `<xml>` document, refusing any DTD, entity or external reference.

    Run this before wechatpy/xmltodict sees the text: xmltodict does not refuse DOCTYPEs.
    """
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise HostileBody(type(exc).__name__) from None
    except (ParseError, ValueError) as exc:
        raise MalformedBody(f"XML: {exc}") from None
    if root.tag != "xml":
        raise MalformedBody(f"root element is <{root.tag}>, expected <xml>")
    fields = {child.tag: (child.text or "") for child in root}
    for child in root:
        # Menu events nest their details (ScanCodeInfo, SendPicsInfo/PicList/item): their
        # leaves are added flat, never over a top-level field.
        for leaf in child.iter():
            if leaf is not child and len(leaf) == 0:
                fields.setdefault(leaf.tag, leaf.text or "")
    return fields


def parse_fields(data: bytes | str) -> dict[str, str]:
    """Flat fields of a push body: XML, or JSON (mini-programs can be set to push JSON)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if not text.lstrip().startswith("{"):
        return safe_xml_fields(data)
    obj = load_json_object(text)
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in obj.items()}


def load_json_object(data: bytes | str) -> dict:
    """A JSON object body; nesting past MAX_JSON_DEPTH is refused before the parser recurses."""
    if json_too_deep(data):
        raise MalformedBody(f"JSON nested deeper than {MAX_JSON_DEPTH}")
    try:
        obj = json.loads(data)
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedBody(f"JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise MalformedBody("JSON body is not an object")
    return obj


def sha1_signature(*parts: str) -> str:
    """WeChat/WeCom/DingTalk callback signature: sha1 of the sorted, joined parts."""
    from wechatpy.utils import WeChatSigner  # the chat SDKs load on first use (issue 18)

    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def same_secret(expected: str, given: str) -> bool:
    """Constant-time string comparison that also accepts non-ASCII junk."""
    return hmac.compare_digest(expected.encode(), given.encode())


def require_arg(args: Mapping[str, str], *names: str, signature: bool = False) -> str:
    """The first present query argument among `names` (platforms rename some over time)."""
    for name in names:
        value = args.get(name)
        if value:
            return value
    if signature:
        raise BadSignature(f"missing {names[0]}")
    raise MalformedBody(f"missing query argument {names[0]}")


def require_sha1(given: str, *parts: str) -> None:
    if not same_secret(sha1_signature(*parts), given):
        raise BadSignature()


@contextmanager
def refusing_crypto_errors(signature_error: type, recipient_error: type) -> Iterator[None]:
    """Turn an SDK's decrypt exceptions into refusals."""
    try:
        yield
    except signature_error:
        raise BadSignature() from None
    except recipient_error:
        raise WrongRecipient() from None
    except DECRYPT_ERRORS as exc:
        raise MalformedBody(f"cannot decrypt: {type(exc).__name__}") from None
