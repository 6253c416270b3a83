"""Simulated media downloads: the images users sent, fetched back by Gendan.

WeChat and WeCom share the path /cgi-bin/media/get (the token says which platform);
DingTalk robots hand out a download code that the new API (/v1.0/robot/messageFiles/download)
turns into a short-lived URL.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from bots.simulator.common import TOKEN_ERRORS, err, json_object, sim

bp = Blueprint("sim_media", __name__)


def _image(media_id: str) -> Response | None:
    data = sim().media.get(media_id)
    if data is None:
        return None
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return Response(data, mimetype=kind)


@bp.get("/cgi-bin/media/get")
def media_get():
    state, value = sim(), request.args.get("access_token")
    checks = {p: state.check_token(p, value) for p in ("wechat", "wecom")}
    if not any(token for _status, token in checks.values()):
        status = checks["wechat"][0]
        return err(*TOKEN_ERRORS["wechat"][status])
    image = _image(request.args.get("media_id", ""))
    return image if image is not None else err(40007, "invalid media_id")


@bp.post("/v1.0/robot/messageFiles/download")
def robot_file_download():
    state = sim()
    status, token = state.check_token(
        "dingtalk", request.headers.get("x-acs-dingtalk-access-token")
    )
    if token is None:
        return jsonify(code="InvalidAuthentication", message=f"token {status}"), 401
    body = json_object() or {}
    code = str(body.get("downloadCode", ""))
    if state.find("dingtalk_apps", body.get("robotCode")) is None:
        return jsonify(code="InvalidParameter", message="robotCode is invalid"), 400
    if code not in state.media:
        return jsonify(code="InvalidParameter", message="downloadCode is invalid"), 400
    return jsonify(downloadUrl=f"{request.host_url.rstrip('/')}/media/{code}")


@bp.get("/media/<media_id>")
def media_file(media_id: str):
    image = _image(media_id)
    return image if image is not None else ("not found", 404)
