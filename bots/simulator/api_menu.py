"""Simulated custom menus: WeChat `/cgi-bin/menu/create|get` and WeCom
`/cgi-bin/menu/create|get?agentid=` (the same paths: the access token says which platform).

The limits the real APIs enforce: 1 to 3 top buttons, at most 5 sub buttons, names of at most
16 bytes (top) / 60 bytes (sub), keys of at most 128 bytes, URLs of at most 1024 bytes, only
the known button types; a violation answers its errcode (HTTP 200) and stores nothing.
"""

from __future__ import annotations

import copy

from flask import Blueprint, request

from bots.simulator.common import err, ok, sim, token_or_error, utf8_len

bp = Blueprint("sim_menu", __name__)

TYPES = {
    "wechat": {
        "click",
        "view",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
        "media_id",
        "view_limited",
        "article_id",
        "article_view_limited",
        "miniprogram",
    },
    "wecom": {
        "click",
        "view",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
        "view_miniprogram",
    },
}
KEYED = {
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
}
MAX_TOP, MAX_SUB = 3, 5
NAME_BYTES = {"top": 16, "sub": 60}
KEY_BYTES, URL_BYTES = 128, 1024
# errcodes (top-level, sub-button) of each problem
ERRORS = {
    "type": ((40017, "invalid button type"), (40024, "invalid sub button type")),
    "name": ((40018, "invalid button name size"), (40025, "invalid sub button name size")),
    "key": ((40019, "invalid button key size"), (40026, "invalid sub button key size")),
    "url": ((40020, "invalid button url size"), (40027, "invalid sub button url size")),
}


def _platform_token():
    """The token's platform ("wechat" / "wecom") and the token, or an error answer."""
    value = request.args.get("access_token")
    token = sim().tokens.get(value or "")
    platform = token.platform if token is not None and token.platform != "dingtalk" else "wechat"
    token, error = token_or_error(platform)
    return platform, token, error


def _wecom_agent(token) -> tuple[str | None, object]:
    app = sim().find("wecom_apps", token.app)
    agent = request.args.get("agentid", "")
    if not agent or str(app.get("agentid")) != agent:
        return None, err(40056, "invalid agentid")
    return agent, None


def _menu_owner():
    """The platform and the menu's owner (the app, with the agent on WeCom), or an error."""
    platform, token, error = _platform_token()
    if error:
        return platform, None, error
    if platform != "wecom":
        return platform, token.app, None
    agent, error = _wecom_agent(token)
    return platform, f"{token.app}:{agent}", error


@bp.post("/cgi-bin/menu/create")
def create():
    platform, where, error = _menu_owner()
    if error:
        return error
    menu = request.get_json(force=True, silent=True)
    problem = check_menu(platform, menu)
    if problem:
        return err(*problem)
    state = sim()
    with state.lock:
        state.menus[(platform, where)] = copy.deepcopy(menu)
    return ok()


@bp.get("/cgi-bin/menu/get")
def get():
    platform, where, error = _menu_owner()
    if error:
        return error
    menu = sim().menus.get((platform, where))
    if menu is None:
        return err(46003, "menu no exist")
    if platform == "wecom":
        return ok(button=menu["button"])
    return ok(menu={"button": menu["button"]})


def check_menu(platform: str, menu) -> tuple[int, str] | None:
    """The errcode and errmsg the platform answers for this menu, or None when it is valid."""
    if not isinstance(menu, dict) or not isinstance(menu.get("button"), list):
        return 47001, "data format error"
    top = menu["button"]
    if not 1 <= len(top) <= MAX_TOP:
        return 40016, "invalid button size"
    for button in top:
        if not isinstance(button, dict):
            return 47001, "data format error"
        subs = button.get("sub_button") or []
        if not isinstance(subs, list):
            return 47001, "data format error"
        if subs:
            if len(subs) > MAX_SUB:
                return 40023, "invalid sub button size"
            problem = _check_name(button.get("name"), "top")
            for sub in subs:
                problem = problem or _check_button(platform, sub, "sub")
            if problem:
                return problem
        else:
            problem = _check_button(platform, button, "top")
            if problem:
                return problem
    return None


def _check_button(platform: str, button, level: str) -> tuple[int, str] | None:
    index = 0 if level == "top" else 1
    if not isinstance(button, dict):
        return 47001, "data format error"
    if button.get("type") not in TYPES[platform]:
        return ERRORS["type"][index]
    if button.get("sub_button"):
        return ERRORS["type"][index]  # a sub button has no sub buttons
    problem = _check_name(button.get("name"), level)
    if problem:
        return problem
    kind = button["type"]
    if kind in KEYED:
        key = button.get("key")
        if not isinstance(key, str) or not 1 <= utf8_len(key) <= KEY_BYTES:
            return ERRORS["key"][index]
    if kind == "view":
        url = button.get("url")
        good = isinstance(url, str) and url.startswith(("http://", "https://"))
        if not good or utf8_len(url) > URL_BYTES:
            return ERRORS["url"][index]
    return None


def _check_name(name, level: str) -> tuple[int, str] | None:
    if not isinstance(name, str) or not 1 <= utf8_len(name) <= NAME_BYTES[level]:
        return ERRORS["name"][0 if level == "top" else 1]
    return None


def menu_button(state, platform: str, key: str, types: tuple[str, ...]) -> dict | None:
    """The stored menu's button with this key and one of these types, on any app."""
    with state.lock:
        menus = [m for (p, _where), m in state.menus.items() if p == platform]
    for menu in menus:
        for button in menu["button"]:
            for item in [button, *(button.get("sub_button") or [])]:
                if item.get("key") == key and item.get("type") in types:
                    return item
    return None
