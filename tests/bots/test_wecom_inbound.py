from urllib.parse import parse_qs, urlencode
from xml.etree import ElementTree

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from bots.errors import BadSignature, BodyTooLarge, HostileBody, MalformedBody, WrongRecipient
from bots.platforms import wecom
from bots.simulator import wire
from models.messages import OutboundMessage
from tests.bots import vectors as v

TOKEN, CORP, AES = "tok-wecom", "ww0123456789", "b" * 43
CONFIG = wecom.WeComConfig(token=TOKEN, encoding_aes_key=AES, corp_id=CORP, agent_id="1000002")
TEXT = {
    "ToUserName": CORP,
    "FromUserName": "zhangsan",
    "CreateTime": 1700000000,
    "MsgType": "text",
    "Content": " 日报 ",
    "MsgId": 42,
    "AgentID": 1000002,
}


def push(fields=TEXT, corp_id=CORP):
    return wire.wecom_push(
        token=TOKEN, corp_id=corp_id, aes_key=AES, fields=fields, timestamp=1700000000
    )


def test_encrypted_text_message_is_parsed():
    msg = wecom.parse_request(CONFIG, *push())
    assert (msg.platform, msg.sender_id, msg.text, msg.message_id) == (
        "wecom",
        "zhangsan",
        "日报",
        "42",
    )
    assert msg.reply.agent_id == "1000002" and msg.reply.encrypted


def test_encrypted_echostr_survives_one_url_decoding_and_not_two():
    config = wecom.WeComConfig(v.WX_TOKEN, v.WX_AES_KEY, v.WX_RECEIVE_ID)
    assert "+" in v.ECHO_ARGS["echostr"]
    once = {k: values[0] for k, values in parse_qs(urlencode(v.ECHO_ARGS)).items()}
    assert wecom.verify_url(config, once) == v.ECHO_PLAIN
    twice = {**once, "echostr": once["echostr"].replace("+", " ")}
    with pytest.raises(BadSignature):
        wecom.verify_url(config, twice)


def test_echostr_for_another_corp_is_refused():
    args = wire.wecom_verify_args(
        token=TOKEN, corp_id="wwother", aes_key=AES, timestamp=1, echo="1"
    )
    with pytest.raises(WrongRecipient):
        wecom.verify_url(CONFIG, args)


def test_echostr_with_bad_signature_is_refused():
    args = wire.wecom_verify_args(token=TOKEN, corp_id=CORP, aes_key=AES, timestamp=1, echo="1")
    with pytest.raises(BadSignature):
        wecom.verify_url(CONFIG, {**args, "timestamp": "2"})


def test_forged_msg_signature_is_refused():
    args, body = push()
    with pytest.raises(BadSignature):
        wecom.parse_request(CONFIG, {**args, "msg_signature": "0" * 40}, body)


def test_missing_msg_signature_is_refused():
    args, body = push()
    del args["msg_signature"]
    with pytest.raises(BadSignature):
        wecom.parse_request(CONFIG, args, body)


def test_message_for_another_corp_is_refused():
    with pytest.raises(WrongRecipient):
        wecom.parse_request(CONFIG, *push(corp_id="wwother"))


def test_message_for_another_agent_is_refused():
    with pytest.raises(WrongRecipient):
        wecom.parse_request(CONFIG, *push({**TEXT, "AgentID": 1000099}))


def test_oversized_malformed_and_hostile_bodies_are_refused():
    args, _ = push()
    with pytest.raises(BodyTooLarge):
        wecom.parse_request(CONFIG, args, b" " * 65_537)
    with pytest.raises(MalformedBody):
        wecom.parse_request(CONFIG, args, b"<xml><Encrypt>")
    with pytest.raises(HostileBody):
        wecom.parse_request(CONFIG, args, b'<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>')


def test_reply_is_encrypted_for_the_corp_and_agent():
    msg = wecom.parse_request(CONFIG, *push())
    out = wecom.render_reply(
        CONFIG, msg.reply, OutboundMessage.plain("收到"), nonce="n", timestamp=9
    )
    signature = ElementTree.fromstring(out).findtext("MsgSignature")
    plain = WeChatCrypto(TOKEN, AES, CORP).decrypt_message(out, signature, "9", "n")
    root = ElementTree.fromstring(plain)
    assert (root.findtext("Content"), root.findtext("AgentID")) == ("收到", "1000002")
    assert root.findtext("ToUserName") == "zhangsan"


def test_no_reply_is_an_empty_body():
    msg = wecom.parse_request(CONFIG, *push())
    assert wecom.render_reply(CONFIG, msg.reply, None) == ""
