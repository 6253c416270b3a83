"""The published vectors, through our adapters where they apply and the libraries otherwise.

These also prove that the crypto backend both SDKs use here works with them (CHANNELS pitfall 2):
pycryptodome's, which bots/__init__.py points them at. The layout check reads the ciphertext
with cryptography, an independent AES.
"""

import base64
import json
import struct
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from dingtalk import crypto as dingtalk_crypto
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.enterprise import crypto as wecom_crypto
from wechatpy.exceptions import InvalidAppIdException

from bots.errors import BadSignature
from bots.platforms import dingtalk, wechat, wecom
from bots.platforms.common import sha1_signature
from bots.platforms.wxbase import encrypt_reply
from tests.bots import vectors as v

WECOM = wecom.WeComConfig(token=v.WX_TOKEN, encoding_aes_key=v.WX_AES_KEY, corp_id=v.WX_RECEIVE_ID)
WECHAT = wechat.WeChatConfig(
    token=v.WX_TOKEN, app_id=v.WX_RECEIVE_ID, encoding_aes_key=v.WX_AES_KEY
)


def test_encrypted_echostr_decrypts_to_the_published_plaintext():
    assert wecom.verify_url(WECOM, v.ECHO_ARGS) == v.ECHO_PLAIN
    parts = (v.WX_TOKEN, v.ECHO_ARGS["timestamp"], v.ECHO_ARGS["nonce"], v.ECHO_ARGS["echostr"])
    assert sha1_signature(*parts) == v.ECHO_ARGS["msg_signature"]


def test_echostr_with_a_changed_nonce_is_refused():
    with pytest.raises(BadSignature):
        wecom.verify_url(WECOM, {**v.ECHO_ARGS, "nonce": "437374424"})


def test_published_message_decrypts_through_the_wecom_adapter():
    msg = wecom.parse_request(WECOM, v.MSG_ARGS, v.MSG_BODY)
    assert (msg.sender_id, msg.text, msg.message_id) == ("messense", "test", "4363689963896700987")
    assert msg.created_at == datetime.fromtimestamp(1411525903, tz=UTC)
    assert msg.raw["AgentID"] == "1" and msg.reply.from_user == v.WX_RECEIVE_ID


def test_published_message_decrypts_through_the_wechat_adapter_with_the_same_id_as_appid():
    ts, nonce = v.MSG_ARGS["timestamp"], v.MSG_ARGS["nonce"]
    args = {**v.MSG_ARGS, "encrypt_type": "aes", "signature": sha1_signature(v.WX_TOKEN, ts, nonce)}
    msg = wechat.parse_request(WECHAT, args, v.MSG_BODY)
    assert (msg.platform, msg.sender_id, msg.text) == ("wechat", "messense", "test")
    assert msg.reply.encrypted


def test_published_ciphertext_has_the_documented_layout():
    key = base64.b64decode(v.WX_AES_KEY + "=")
    raw = base64.b64decode(v.MSG_ENCRYPT)
    plain = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor().update(raw)
    (length,) = struct.unpack(">I", plain[16:20])
    assert (len(raw), plain[:16], length, plain[-1]) == (320, b"ec90b1530358d4d3", 281, 1)
    assert plain[20 + length : -1] == v.WX_RECEIVE_ID.encode()


def test_encrypted_reply_matches_the_published_vector(monkeypatch):
    monkeypatch.setattr(
        wecom_crypto.PrpCrypto, "get_random_string", lambda self: "1234567890123456"
    )
    out = encrypt_reply(WECOM.crypto(), v.REPLY_XML, nonce="461056294", timestamp=1411525903)
    assert f"<MsgSignature><![CDATA[{v.REPLY_SIGNATURE}]]></MsgSignature>" in out
    assert f"<Encrypt><![CDATA[{v.REPLY_ENCRYPT_PREFIX}" in out


def test_miniprogram_encrypted_data_decrypts_and_checks_the_watermark():
    data = WeChatWxaCrypto(v.WXA_SESSION_KEY, v.WXA_IV, v.WXA_APPID).decrypt_message(
        v.WXA_ENCRYPTED
    )
    assert data["openId"] == "oGZUI0egBJY1zhBYw2KhdUfwVJJE"
    assert data["unionId"] == "ocMvos6NjeKLIBqg5Mr9QjxrP1FA"
    assert data["watermark"] == {"timestamp": 1477314187, "appid": v.WXA_APPID}
    with pytest.raises(InvalidAppIdException):
        WeChatWxaCrypto(v.WXA_SESSION_KEY, v.WXA_IV, "wx0000000000000000").decrypt_message(
            v.WXA_ENCRYPTED
        )


def test_dingtalk_robot_sign_matches_the_local_vector():
    sign = dingtalk.robot_sign(v.DT_SECRET, v.DT_TIMESTAMP)
    assert sign == v.DT_SIGN
    assert quote(sign, safe="") == v.DT_SIGN_ENCODED


EVENT = dingtalk.DingTalkEventConfig(
    token=v.DT_EVENT_TOKEN, aes_key=v.DT_EVENT_AES_KEY, owner_key=v.DT_EVENT_OWNER
)


def test_dingtalk_event_vector_decrypts_through_the_adapter():
    body = json.dumps({"encrypt": v.DT_EVENT_ENCRYPT}).encode()
    event = dingtalk.parse_event(EVENT, v.DT_EVENT_ARGS, body)
    assert event.event_type == "check_create_suite_url"
    assert event.payload == json.loads(v.DT_EVENT_PLAIN)


def test_dingtalk_event_vector_reencrypts_to_the_published_signature(monkeypatch):
    monkeypatch.setattr(
        dingtalk_crypto.PrpCrypto, "get_random_string", lambda self: "1234567890123456"
    )
    out = EVENT.crypto().encrypt_message(v.DT_EVENT_PLAIN, "nEXhMP4r", "1445827045067")
    assert out["msg_signature"] == v.DT_EVENT_REENCRYPT_SIGNATURE


def test_dingtalk_event_reply_is_encrypted_success():
    reply = dingtalk.event_reply(EVENT, nonce="abc", timestamp_ms=1445827045067)
    plain = EVENT.crypto().decrypt_encrypt_str(
        reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]
    )
    assert plain == "success"
