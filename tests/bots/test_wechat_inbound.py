import base64
import json
from xml.etree import ElementTree

import pytest
from wechatpy.crypto import WeChatCrypto

from bots.errors import BadSignature, BodyTooLarge, HostileBody, MalformedBody, WrongRecipient
from bots.platforms import wechat
from bots.platforms.common import sha1_signature
from bots.simulator import wire
from models.messages import OutboundMessage

TOKEN, APPID, AES = "tok-wechat", "wx1234567890abcdef", "a" * 43
PLAIN = wechat.WeChatConfig(token=TOKEN, app_id=APPID)
SAFE = wechat.WeChatConfig(token=TOKEN, app_id=APPID, encoding_aes_key=AES)
TEXT = {
    "ToUserName": "gh_account",
    "FromUserName": "openid-1",
    "CreateTime": 1700000000,
    "MsgType": "text",
    "Content": "  查订单 A-001  ",
    "MsgId": 987654321,
}


def push(config, fields=TEXT, **kw):
    return wire.wechat_push(
        token=TOKEN,
        app_id=kw.get("app_id", APPID),
        aes_key=config.encoding_aes_key,
        fields=fields,
        timestamp=1700000000,
        nonce="n1",
    )


def test_plain_text_message_is_parsed_and_stripped():
    msg = wechat.parse_request(PLAIN, *push(PLAIN))
    assert (msg.platform, msg.sender_id, msg.text, msg.message_id) == (
        "wechat",
        "openid-1",
        "查订单 A-001",
        "987654321",
    )
    assert msg.conversation_type == "private" and msg.reply.to_user == "openid-1"
    assert msg.reply.from_user == "gh_account" and not msg.reply.encrypted


def test_safe_mode_message_is_decrypted():
    msg = wechat.parse_request(SAFE, *push(SAFE))
    assert msg.text == "查订单 A-001" and msg.reply.encrypted


def test_event_without_msgid_is_keyed_by_sender_and_time():
    fields = {**TEXT, "MsgType": "event", "Event": "subscribe"}
    del fields["MsgId"], fields["Content"]
    msg = wechat.parse_request(PLAIN, *push(PLAIN, fields))
    assert (msg.kind, msg.event, msg.message_id) == ("event", "subscribe", "openid-1:1700000000")


def test_image_message_carries_media_id_and_url():
    fields = {**TEXT, "MsgType": "image", "PicUrl": "http://127.0.0.1/p.jpg", "MediaId": "m1"}
    msg = wechat.parse_request(PLAIN, *push(PLAIN, fields))
    assert msg.kind == "image" and (msg.image.media_id, msg.image.url) == ("m1", fields["PicUrl"])


def test_url_verification_returns_echostr_verbatim():
    args = wire.wechat_verify_args(token=TOKEN, timestamp=1, echostr="a+b/c=")
    assert wechat.verify_url(PLAIN, args) == "a+b/c="


@pytest.mark.parametrize("change", [{"signature": "0" * 40}, {"signature": ""}, {"nonce": "x"}])
def test_url_verification_with_bad_signature_is_refused(change):
    args = {**wire.wechat_verify_args(token=TOKEN, timestamp=1, echostr="e"), **change}
    with pytest.raises(BadSignature):
        wechat.verify_url(PLAIN, args)


def test_plain_message_with_forged_signature_is_refused():
    args, body = push(PLAIN)
    with pytest.raises(BadSignature):
        wechat.parse_request(PLAIN, {**args, "signature": sha1_signature("other", "1", "2")}, body)


def test_encrypted_message_with_forged_msg_signature_is_refused():
    args, body = push(SAFE)
    with pytest.raises(BadSignature):
        wechat.parse_request(SAFE, {**args, "msg_signature": "f" * 40}, body)


def test_message_for_another_appid_is_refused():
    with pytest.raises(WrongRecipient):
        wechat.parse_request(SAFE, *push(SAFE, app_id="wx_other_account"))


def test_wrong_account_id_is_refused_in_plain_mode():
    config = wechat.WeChatConfig(token=TOKEN, app_id=APPID, account_id="gh_mine")
    with pytest.raises(WrongRecipient):
        wechat.parse_request(config, *push(config))


def test_plain_post_is_refused_when_safe_mode_is_configured():
    with pytest.raises(MalformedBody):
        wechat.parse_request(SAFE, *push(PLAIN))


def test_oversized_body_is_refused_before_parsing():
    args, _ = push(PLAIN)
    with pytest.raises(BodyTooLarge):
        wechat.parse_request(PLAIN, args, b"<xml>" + b"a" * 70_000 + b"</xml>")


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<xml><a>",
        b"<root><MsgType>text</MsgType></root>",
        b"",
        b"<xml><MsgType>text</MsgType></xml>",
    ],
)
def test_malformed_bodies_are_refused(body):
    args, _ = push(PLAIN)
    with pytest.raises(MalformedBody):
        wechat.parse_request(PLAIN, args, body)


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<xml><Content>&lol2;</Content></xml>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<xml><Content>&e;</Content></xml>"""
DOCTYPE_ONLY = b"<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>"


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL, DOCTYPE_ONLY])
def test_hostile_xml_is_refused(body):
    args, _ = push(PLAIN)
    with pytest.raises(HostileBody):
        wechat.parse_request(PLAIN, args, body)


def test_hostile_xml_inside_the_encryption_is_refused():
    encrypt = wire.aes_encrypt(AES, APPID, BILLION_LAUGHS.decode())
    args, _ = push(SAFE)
    args["msg_signature"] = sha1_signature(TOKEN, args["timestamp"], args["nonce"], encrypt)
    with pytest.raises(HostileBody):
        wechat.parse_request(SAFE, args, wire.xml_document({"Encrypt": encrypt}).encode())


def test_undecryptable_payload_with_valid_signature_is_refused():
    args, _ = push(SAFE)
    args["msg_signature"] = sha1_signature(TOKEN, args["timestamp"], args["nonce"], "Zm9v")
    with pytest.raises(MalformedBody):
        wechat.parse_request(SAFE, args, b"<xml><Encrypt>Zm9v</Encrypt></xml>")


def test_plain_reply_is_text_xml_addressed_back_to_the_sender():
    msg = wechat.parse_request(PLAIN, *push(PLAIN))
    xml = wechat.render_reply(PLAIN, msg.reply, OutboundMessage.plain("已收到 ]]> 好"))
    root = ElementTree.fromstring(xml)
    assert root.findtext("ToUserName") == "openid-1"
    assert root.findtext("FromUserName") == "gh_account"
    assert root.findtext("Content") == "已收到 ]]> 好"


def test_encrypted_reply_decrypts_with_the_app_credentials():
    msg = wechat.parse_request(SAFE, *push(SAFE))
    out = wechat.render_reply(SAFE, msg.reply, OutboundMessage.plain("好"), nonce="n", timestamp=5)
    root = ElementTree.fromstring(out)
    plain = WeChatCrypto(TOKEN, AES, APPID).decrypt_message(
        out, root.findtext("MsgSignature"), "5", "n"
    )
    assert ElementTree.fromstring(plain).findtext("Content") == "好"


def test_no_reply_renders_success():
    msg = wechat.parse_request(PLAIN, *push(PLAIN))
    assert wechat.render_reply(PLAIN, msg.reply, None) == wechat.SUCCESS == "success"


def test_miniprogram_json_push_is_parsed_in_plain_and_safe_mode():
    fields = {**TEXT, "MsgType": "text", "Content": "我要查 A-001"}
    args, _ = push(PLAIN)
    msg = wechat.parse_request(PLAIN, args, json.dumps(fields).encode())
    assert (msg.text, msg.message_id, msg.created_at.year) == ("我要查 A-001", "987654321", 2023)
    encrypt = wire.aes_encrypt(AES, APPID, json.dumps(fields, ensure_ascii=False))
    args, _ = push(SAFE)
    args["msg_signature"] = sha1_signature(TOKEN, args["timestamp"], args["nonce"], encrypt)
    body = json.dumps({"ToUserName": "gh_account", "Encrypt": encrypt}).encode()
    assert wechat.parse_request(SAFE, args, body).text == "我要查 A-001"


@pytest.mark.parametrize("body", [b"{not json", b'{"a": 1}', b"{}"])
def test_malformed_json_pushes_are_refused(body):
    args, _ = push(PLAIN)
    with pytest.raises(MalformedBody):
        wechat.parse_request(PLAIN, args, body)


def _signed_encrypt(encrypt: str):
    """A safe-mode push whose Encrypt is `encrypt`, correctly signed (the signature covers the
    ciphertext's text, not what it decrypts to: anyone with the token can send this)."""
    args, _ = push(SAFE)
    args["msg_signature"] = sha1_signature(TOKEN, args["timestamp"], args["nonce"], encrypt)
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return args, body.encode()


@pytest.mark.parametrize(
    "raw",
    [
        b"x" * 20,  # not whole AES blocks
        b"\x00" * 32,  # whole blocks, bad padding and no message inside
        bytes(range(48)),
        b"",
    ],
)
def test_a_signed_ciphertext_that_does_not_decrypt_is_malformed(raw):
    """The SDK's AES backend (pycryptodome here, bots/__init__.py) fails on these in its own
    ways; every one is a 400 refusal, never a 500."""
    with pytest.raises(MalformedBody):
        wechat.parse_request(SAFE, *_signed_encrypt(base64.b64encode(raw).decode() or "AAAA"))
