"""Admin calls for the app menus: what was created, and pressing its buttons as a user.

`POST /admin/scan` is the phone's 扫一扫 on a `scancode_waitmsg` button: a typed code, or an
image the simulator decodes with the project's decoder (scanning/), sent to Gendan as the
platform's `scancode_waitmsg` event (encrypted in safe mode, signed). `POST /admin/photo` is
the `pic_photo_or_album` button: the event, then each picked image as an image message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from flask import Blueprint, current_app, jsonify, request

from bots.simulator.api_menu import menu_button
from bots.simulator.common import sim

bp = Blueprint("sim_admin_menu", __name__, url_prefix="/admin")
SCAN_TYPES = ("scancode_waitmsg", "scancode_push")
PHOTO_TYPES = ("pic_photo_or_album", "pic_sysphoto", "pic_weixin")
# What WeChat reports as ScanType for a two-dimensional code; everything else is "barcode".
MATRIX = {"QR_CODE", "MICRO_QR_CODE", "DATA_MATRIX", "PDF_417", "AZTEC", "MAXICODE"}


def _bad(message: str, status: int = 400):
    return jsonify(ok=False, error=message), status


def _body() -> dict:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else {}


@bp.get("/menus")
def menus():
    with sim().lock:
        rows = [
            {"platform": platform, "app": where, "menu": menu}
            for (platform, where), menu in sim().menus.items()
        ]
    return jsonify(rows)


def _chat(body: dict) -> tuple[str, str, str] | tuple[None, None, object]:
    conversation, user = body.get("conversation"), body.get("user")
    if not (isinstance(conversation, str) and isinstance(user, str) and conversation and user):
        return None, None, _bad("conversation and user are required")
    platform = conversation.split(":", 1)[0]
    if platform not in ("wechat", "wecom") or ":user:" not in conversation:
        return None, None, _bad("menus exist in WeChat / WeCom private chats only")
    return conversation, user, platform


def _button(platform: str, key, types: tuple[str, ...]):
    if not isinstance(key, str) or not key:
        return None, _bad("key is required (the menu button's key)")
    button = menu_button(sim(), platform, key, types)
    if button is None:
        names = "/".join(types)
        return None, _bad(f"no {names} button with key {key!r} in the {platform} menu: sync it")
    return button, None


@bp.post("/scan")
def scan():
    """{"conversation", "user", "key", and "code" (typed; "EAN_13,690..." or plain text) or
    "image" (base64 JPEG / PNG)}: deliver the scancode_waitmsg event; returns the reply."""
    body = _body()
    conversation, user, platform = _chat(body)
    if conversation is None:
        return platform
    button, error = _button(platform, body.get("key"), SCAN_TYPES)
    if error:
        return error
    if isinstance(body.get("image"), str) and body["image"]:
        scan_type, result = _decoded(body["image"])
        if result is None:
            return _bad(scan_type, 422)
    elif isinstance(body.get("code"), str) and body["code"].strip():
        scan_type, result = typed(body["code"].strip())
    else:
        return _bad("code or image is required")
    event = {
        "Event": button["type"],
        "EventKey": button["key"],
        "ScanCodeInfo": {"ScanType": scan_type, "ScanResult": result},
    }
    deliverer = current_app.extensions["chat_simulator_deliverer"]
    note = f"[{button['name']}] {result}"
    return jsonify(deliverer.menu_event(conversation, user, event, note))


def typed(code: str) -> tuple[str, str]:
    """A typed code as the scanner would report it: "TYPE,text" is a barcode, else QR text."""
    prefix, comma, _rest = code.partition(",")
    if comma and prefix.replace("_", "").isalnum() and prefix.upper() == prefix:
        return ("qrcode" if prefix in MATRIX else "barcode"), code
    return "qrcode", code


def _decoded(image_b64: str) -> tuple[str, str | None]:
    """(ScanType, ScanResult) of the first code the project's decoder finds in the image,
    or (an error message, None)."""
    try:
        data = base64.b64decode(image_b64, validate=True)
    except (binascii.Error, ValueError):
        return "image must be base64", None
    from models.errors import DomainError
    from scanning.decode import decode  # Pillow and the engines load with the first image

    try:
        codes = decode(data)
    except DomainError as exc:
        return f"cannot read the image: {exc.message}", None
    if not codes:
        return "no code found in the image", None
    code = codes[0]
    if code.format in MATRIX:
        return "qrcode", code.text
    return "barcode", f"{code.format},{code.text}"


@bp.post("/photo")
def photo():
    """{"conversation", "user", "key", "images": [base64, ...]}: the pic_photo_or_album event,
    then each image as an image message; returns every reply."""
    body = _body()
    conversation, user, platform = _chat(body)
    if conversation is None:
        return platform
    button, error = _button(platform, body.get("key"), PHOTO_TYPES)
    if error:
        return error
    images = body.get("images")
    if not isinstance(images, list) or not images or not all(isinstance(i, str) for i in images):
        return _bad("images must be a non-empty list of base64 strings")
    try:
        raw = [base64.b64decode(i, validate=True) for i in images]
    except (binascii.Error, ValueError):
        return _bad("images must be base64")
    event = {
        "Event": button["type"],
        "EventKey": button["key"],
        "SendPicsInfo": {"Count": len(raw), "PicList": [{"PicMd5Sum": _md5(d)} for d in raw]},
    }
    deliverer = current_app.extensions["chat_simulator_deliverer"]
    results = [deliverer.menu_event(conversation, user, event, f"[{button['name']}]")]
    for data in raw:
        results.append(deliverer.say(conversation, user, "", request.host_url, data))
    return jsonify(ok=all(r.get("ok") for r in results), results=results)


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
