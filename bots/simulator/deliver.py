"""Deliver what a simulated user types to Gendan's webhooks, as the platform would.

WeChat and WeCom take the reply from the HTTP response (checked and decrypted here like the
platform does); DingTalk replies arrive later on the sessionWebhook this delivery offers.
"""

from __future__ import annotations

import base64
import json
import secrets

import requests
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidAppIdException

from bots.errors import Refused
from bots.platforms.common import safe_xml_fields
from bots.platforms.wxbase import decrypt_fields
from bots.simulator import wire
from bots.simulator.state import SimState

WECHAT_FAILURE = "该公众号暂时无法提供服务，请稍后再试"
SESSION_TTL = 90 * 60
WX_ATTEMPTS = 3  # WeChat drops the connection after 5 s and tries 3 times in total


class Deliverer:
    def __init__(
        self, state: SimState, gendan_url: str, timeout: float = 5.0, stream=None, wecom_ws=None
    ):
        self.state = state
        self.stream = stream  # the DingTalk Stream gateway, for apps whose transport is stream
        self.wecom_ws = wecom_ws  # the WeCom long-connection gateway, for such robots
        self.gendan_url = gendan_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self._last_sign_ms = 0
        self._last_event_s = 0

    def callback_url(self, platform: str, app: dict) -> str:
        return app.get("callback_url") or f"{self.gendan_url}/bots/{platform}"

    def say(
        self, conversation: str, userid: str, text: str, self_url: str, image: bytes = b""
    ) -> dict:
        """Record the user's message (text, or an image), deliver it, record and return
        Gendan's passive reply."""
        platform = conversation.split(":", 1)[0]
        user = self.state.user(userid=userid)
        app = (self.state.config.get(f"{platform}_apps") or [None])[0]
        if user is None or app is None:
            return {"ok": False, "error": f"unknown user {userid!r} or no {platform} app"}
        media = Media(self.state, image, self_url) if image else None
        self.state.record(
            platform=platform,
            conversation=conversation,
            direction="to_gendan",
            api="user",
            msgtype="image" if media else "text",
            sender=user.get("name") or userid,
            payload=media.payload if media else {"text": {"content": text}},
        )
        if platform == "dingtalk":
            return self._dingtalk(app, conversation, user, text, self_url, media)
        robot = self._long_connection_robot() if platform == "wecom" else None
        if robot is not None:
            return self._wecom_long_connection(robot, conversation, user, text, media)
        return self._passive(platform, app, conversation, user, text, media)

    def menu_event(self, conversation: str, userid: str, event: dict, note: str) -> dict:
        """Deliver a menu event (scancode_waitmsg, pic_photo_or_album, ...) from a WeChat or
        WeCom private chat, as the platform does; `event` holds Event, EventKey and details."""
        platform = conversation.split(":", 1)[0]
        user = self.state.user(userid=userid)
        app = (self.state.config.get(f"{platform}_apps") or [None])[0]
        if platform not in ("wechat", "wecom") or user is None or app is None:
            return {"ok": False, "error": f"unknown user {userid!r} or no {platform} app"}
        self.state.record(
            platform=platform,
            conversation=conversation,
            direction="to_gendan",
            api="menu",
            msgtype="event",
            sender=user.get("name") or userid,
            payload={"event": {"content": note, **event}},
        )
        sender = user.get("openid") if platform == "wechat" else user["userid"]
        args, body = passive_push(platform, app, sender, "", self._event_second(), event=event)
        result = self._post_with_retries(self.callback_url(platform, app), args, body)
        return self._passive_result(platform, app, conversation, sender, result)

    # WeChat / WeCom ------------------------------------------------------------------------

    def _passive(self, platform: str, app: dict, conversation: str, user: dict, text: str, media):
        sender = user.get("openid") if platform == "wechat" else user["userid"]
        now = int(self.state.clock.now())
        args, body = passive_push(platform, app, sender, text, now, media)
        result = self._post_with_retries(self.callback_url(platform, app), args, body)
        return self._passive_result(platform, app, conversation, sender, result)

    def _passive_result(self, platform, app, conversation, sender, result: dict) -> dict:
        if result.get("response") is None:
            return self._failed(platform, conversation, result)
        response = result.pop("response")
        try:
            content = read_passive_reply(platform, app, response.text, sender)
        except Refused as exc:
            return self._failed(platform, conversation, {**result, "error": str(exc)})
        if content:
            payload = {"msgtype": "text", "text": {"content": content}}
            result["reply"] = self.state.pushed(platform, conversation, "passive_reply", payload)
        return result

    def _post_with_retries(self, url: str, args: dict, body: bytes) -> dict:
        error = ""
        for attempt in range(1, WX_ATTEMPTS + 1):
            try:
                response = self.http.post(
                    url,
                    params=args,
                    data=body,
                    timeout=self.timeout,
                    headers={"Content-Type": "text/xml; charset=utf-8"},
                )
            except requests.RequestException as exc:
                error = type(exc).__name__
                continue
            ok = response.status_code == 200
            return {
                "ok": ok,
                "status": response.status_code,
                "attempts": attempt,
                "response": response if ok else None,
                "error": "" if ok else "HTTP error",
            }
        return {"ok": False, "status": None, "attempts": WX_ATTEMPTS, "error": error}

    def _failed(self, platform: str, conversation: str, result: dict) -> dict:
        if platform == "wechat":  # what the user sees on the phone
            self.state.record(
                platform=platform,
                conversation=conversation,
                direction="system",
                api="passive_reply",
                msgtype="text",
                error=result.get("error", ""),
                payload={"text": {"content": WECHAT_FAILURE}},
            )
        result.pop("response", None)
        return {**result, "ok": False}

    # WeCom intelligent robot, long connection ---------------------------------------------

    def _long_connection_robot(self) -> dict | None:
        if self.wecom_ws is None:
            return None
        robots = self.state.config.get("wecom_bots") or []
        return next((r for r in robots if r.get("transport") == "long_connection"), None)

    def _wecom_long_connection(self, robot: dict, conversation: str, user: dict, text, media):
        """The robot's callback frame over its WebSocket; the reply comes back as a frame
        there (aibot_respond_msg), so there is no reply body here."""
        body = {
            "msgid": secrets.token_hex(16),
            "aibotid": robot["bot_id"],
            "chattype": "single",
            "from": {"userid": user["userid"]},
            "create_time": int(self.state.clock.now()),
        }
        if media:
            body.update(msgtype="image", image={"url": media.url, "aeskey": ""})
        else:
            body.update(msgtype="text", text={"content": text})
        req_id = self.wecom_ws.deliver(robot["bot_id"], conversation, body)
        return {
            "ok": True,
            "transport": "long_connection",
            "req_id": req_id,
            "msgid": body["msgid"],
        }

    # DingTalk ------------------------------------------------------------------------------

    def _dingtalk(self, app: dict, conversation: str, user: dict, text: str, self_url: str, media):
        now_ms = self.state.clock.now_ms()
        session = secrets.token_urlsafe(16)
        expires_ms = now_ms + SESSION_TTL * 1000
        with self.state.lock:
            self.state.sessions[session] = (conversation, expires_ms / 1000)
        payload = dingtalk_payload(app, conversation, user, text, now_ms, self.state)
        if media:
            payload.pop("text")
            payload["msgtype"] = "picture"
            payload["content"] = {"downloadCode": media.id, "pictureDownloadCode": media.id}
        payload["sessionWebhook"] = f"{self_url.rstrip('/')}/robot/sendBySession?session={session}"
        payload["sessionWebhookExpiredTime"] = expires_ms
        if app.get("transport") == "stream" and self.stream is not None:
            # Stream mode: the platform pushes a CALLBACK frame over the app's WebSocket;
            # Gendan answers through the sessionWebhook, so there is no reply body here.
            message_id = self.stream.deliver(app["appkey"], payload)
            return {"ok": True, "transport": "stream", "message_id": message_id}
        headers, body = wire.dingtalk_robot_push(
            app_secret=app["appsecret"], payload=payload, now_ms=self._sign_ms(now_ms)
        )
        try:
            response = self.http.post(
                self.callback_url("dingtalk", app), headers=headers, data=body, timeout=self.timeout
            )
        except requests.RequestException as exc:
            return {"ok": False, "status": None, "error": type(exc).__name__}
        return {"ok": response.status_code == 200, "status": response.status_code}

    def _event_second(self) -> int:
        """A new CreateTime per menu event, as a running clock gives: Gendan keys events by
        sender + CreateTime + EventKey, and a frozen clock would make two scans one."""
        with self.state.lock:
            self._last_event_s = max(int(self.state.clock.now()), self._last_event_s + 1)
            return self._last_event_s

    def _sign_ms(self, now_ms: int) -> int:
        """A new signing millisecond per callback, as DingTalk's running clock gives: Gendan
        refuses one timestamp/sign pair on two bodies, and a frozen clock would repeat it."""
        with self.state.lock:
            self._last_sign_ms = max(now_ms, self._last_sign_ms + 1)
            return self._last_sign_ms


class Media:
    """An image a simulated user sends: kept by id for the platform's media download APIs."""

    def __init__(self, state: SimState, data: bytes, self_url: str):
        self.id = secrets.token_hex(12)
        self.url = f"{self_url.rstrip('/')}/media/{self.id}"
        with state.lock:
            state.media[self.id] = data
        self.payload = {"msgtype": "image", "image": {"base64": base64.b64encode(data).decode()}}


def passive_push(
    platform: str, app: dict, sender: str, text: str, now: int, media=None, event=None
):
    """Query args and body of a WeChat / WeCom text (or image, or event) push from `sender`."""
    fields = {
        "ToUserName": app.get("account_id", "gh_simulator")
        if platform == "wechat"
        else app["corpid"],
        "FromUserName": sender,
        "CreateTime": now,
        "MsgType": "text",
        "Content": text,
        "MsgId": secrets.randbits(63),
    }
    if media is not None:
        fields.pop("Content")
        fields |= {"MsgType": "image", "PicUrl": media.url, "MediaId": media.id}
    if event is not None:
        # Events carry no MsgId: the platform's retries repeat FromUserName + CreateTime.
        fields.pop("Content")
        fields.pop("MsgId")
        fields |= {"MsgType": "event", **event}
    if platform == "wecom":
        fields["AgentID"] = int(app.get("agentid", 0))
        return wire.wecom_push(
            token=app["token"],
            corp_id=app["corpid"],
            aes_key=app["encoding_aes_key"],
            fields=fields,
            timestamp=now,
        )
    return wire.wechat_push(
        token=app["token"],
        app_id=app["appid"],
        aes_key=app.get("encoding_aes_key", ""),
        fields=fields,
        timestamp=now,
    )


def dingtalk_payload(app, conversation, user, text, now_ms, state) -> dict:
    group = not conversation.startswith("dingtalk:user:")
    robot = next(
        (
            r
            for r in state.config["dingtalk_robots"]
            if f"dingtalk:{r.get('conversation_id')}" == conversation
        ),
        {},
    )
    return {
        "msgtype": "text",
        # DingTalk strips the @robot mention but leaves the space after it.
        "text": {"content": f" {text}" if group else text},
        "msgId": f"msg{secrets.token_hex(10)}",
        "createAt": now_ms,
        "conversationType": "2" if group else "1",
        "conversationId": conversation.split(":", 1)[1] if group else f"cid-{user['userid']}",
        "conversationTitle": robot.get("title", "") if group else "",
        "senderId": f"$:LWCP_v1:${user['userid']}",
        "senderNick": user.get("name", ""),
        "senderStaffId": user["userid"],
        "senderCorpId": app.get("corp_id", ""),
        "chatbotCorpId": app.get("corp_id", ""),
        "chatbotUserId": "$:LWCP_v1:$robot",
        "isAdmin": False,
        "isInAtList": True,
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$robot"}],
        "robotCode": app["appkey"],
    }


def read_passive_reply(platform: str, app: dict, body: str, to_user: str) -> str:
    """The text of a WeChat/WeCom passive reply, checked like the platform; "" for none."""
    if body == "" or (platform == "wechat" and body == "success"):
        return ""
    fields = safe_xml_fields(body.encode())
    if "Encrypt" in fields:
        args = {
            "msg_signature": fields.get("MsgSignature", ""),
            "timestamp": fields.get("TimeStamp", ""),
            "nonce": fields.get("Nonce", ""),
        }
        if platform == "wecom":
            crypto = WeComCrypto(app["token"], app["encoding_aes_key"], app["corpid"])
            fields = decrypt_fields(crypto, args, fields["Encrypt"], InvalidCorpIdException)
        else:
            crypto = WeChatCrypto(app["token"], app["encoding_aes_key"], app["appid"])
            fields = decrypt_fields(crypto, args, fields["Encrypt"], InvalidAppIdException)
    elif platform == "wecom" or app.get("encoding_aes_key"):
        raise Refused("bad_reply", "plain reply in encrypted mode")
    if fields.get("ToUserName") != to_user:
        raise Refused("bad_reply", "reply addressed to someone else")
    return fields.get("Content", "") if fields.get("MsgType") == "text" else json.dumps(fields)
