"""Published test vectors (CHANNELS.md §1.4, §2.1, §4.1, §4.3)."""

WX_TOKEN = "123456"
WX_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WX_RECEIVE_ID = "wx49f0ab532d5d035a"

ECHO_ARGS = {
    "msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
    "timestamp": "1411443780",
    "nonce": "437374425",
    "echostr": (
        "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    ),
}
ECHO_PLAIN = "5927782489442352469"

MSG_ARGS = {
    "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
    "timestamp": "1411525903",
    "nonce": "461056294",
}
MSG_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTy"
    "eDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYy"
    "olBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWO"
    "MZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7ml"
    "sl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
MSG_BODY = (
    f"<xml><ToUserName><![CDATA[{WX_RECEIVE_ID}]]></ToUserName>\n"
    f"<Encrypt><![CDATA[{MSG_ENCRYPT}]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>"
).encode()

REPLY_XML = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
REPLY_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"
REPLY_ENCRYPT_PREFIX = "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3"

WXA_APPID = "wx4f4bc4dec97d474b"
WXA_SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ=="
WXA_IV = "r7BXXKkLb8qrSNn05n0qiA=="
WXA_ENCRYPTED = (
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNP"
    "dbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyx"
    "VLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid"
    "1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEB"
    "vB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVu"
    "nYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=="
)

DT_SECRET = "this is secret"
DT_TIMESTAMP = 1577262236757
DT_SIGN = "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="
DT_SIGN_ENCODED = "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D"

DT_EVENT_TOKEN = "123456"
DT_EVENT_AES_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"
DT_EVENT_OWNER = "suite4xxxxxxxxxxxxxxx"
DT_EVENT_ARGS = {
    "signature": "5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0",
    "timestamp": "1445827045067",
    "nonce": "nEXhMP4r",
}
DT_EVENT_ENCRYPT = (
    "1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUB"
    "mfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSB"
    "dHlegK+AGGanfwjXuQ9+0pZcy0w9lQ=="
)
DT_EVENT_PLAIN = (
    '{"EventType":"check_create_suite_url","Random":"LPIdSnlF",'
    '"TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}'
)
DT_EVENT_REENCRYPT_SIGNATURE = "bcf6dcefa4ce2dbaf7b0666c7264d46fd9aad4bd"
