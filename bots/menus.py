"""The WeCom app's and the WeChat official account's menu, and creating it on the platform.

One menu for both: 扫码 (扫码入库 / 扫码领料 / 扫码盘点 as `scancode_waitmsg` buttons, whose
events bots/menu_handlers.py handles), 拍照报问题 (`pic_photo_or_album`) and 现场应用 (a `view`
button to the mobile app at /m/). `flask --app wsgi chat-menu sync` creates it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bots.menu_handlers import PHOTO_KEY

TOKEN_ERRORS = (40001, 40014, 42001)  # invalid / not latest / expired access token
SCAN_BUTTONS = (
    ("扫码入库", "scan_receive"),
    ("扫码领料", "scan_issue"),
    ("扫码盘点", "scan_count"),
)


def build_menu(public_base_url: str) -> dict:
    """The menu JSON both platforms' menu/create take."""
    scans = [
        {"type": "scancode_waitmsg", "name": name, "key": key, "sub_button": []}
        for name, key in SCAN_BUTTONS
    ]
    return {
        "button": [
            {"name": "扫码", "sub_button": scans},
            {"type": "pic_photo_or_album", "name": "拍照报问题", "key": PHOTO_KEY},
            {"type": "view", "name": "现场应用", "url": f"{public_base_url.rstrip('/')}/m/"},
        ]
    }


@dataclass(frozen=True)
class MenuError(Exception):
    """The platform refused the menu, or could not be reached."""

    platform: str
    errcode: int | None
    errmsg: str

    def __str__(self) -> str:
        code = f"errcode {self.errcode}" if self.errcode is not None else "no answer"
        return f"{self.platform} menu create failed ({code}): {self.errmsg}"


def create_menu(runtime, platform: str, menu: dict) -> None:
    """Create the menu through the platform's API (wechatpy's menu.create); MenuError if the
    platform answers an errcode or cannot be reached. NotConfigured if settings are missing.
    A rejected cached access token is dropped and the call made once more with a new one."""
    from wechatpy.exceptions import WeChatClientException

    client = runtime.wecom_client if platform == "wecom" else runtime.wechat_client
    for attempt in (1, 2):
        try:
            if platform == "wecom":
                client.menu.create(runtime.config.get("WECOM_AGENT_ID"), menu)
            else:
                client.menu.create(menu)
            return
        except WeChatClientException as exc:
            if exc.errcode in TOKEN_ERRORS and attempt == 1:
                client.forget_token()
                continue
            # wechatpy wraps network errors the same way, with no errcode.
            errmsg = str(exc.errmsg) if exc.errmsg else "the platform could not be reached"
            raise MenuError(platform, exc.errcode, errmsg) from None
