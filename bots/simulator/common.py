"""Helpers the simulated platform APIs share: JSON answers and access-token checks."""

from __future__ import annotations

from flask import current_app, jsonify, request

from bots.simulator.state import SimState, Token

TOKEN_ERRORS = {
    "wechat": {
        "missing": (41001, "access_token missing"),
        "invalid": (40001, "invalid credential, access_token is invalid or not latest"),
        "expired": (42001, "access_token expired"),
    },
    "wecom": {
        "missing": (41001, "access_token missing"),
        "invalid": (40014, "invalid access_token"),
        "expired": (42001, "access_token expired"),
    },
    "dingtalk": {
        "missing": (40035, "缺少参数 access_token"),
        "invalid": (40014, "不合法的access_token"),
        "expired": (42001, "access_token超时"),
    },
}


def sim() -> SimState:
    return current_app.extensions["chat_simulator"]


def ok(**extra):
    return jsonify({"errcode": 0, "errmsg": "ok", **extra})


def err(errcode: int, errmsg: str):
    # The platforms answer business errors with HTTP 200 (CHANNELS pitfall 12).
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def json_object() -> dict | None:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else None


def token_or_error(platform: str) -> tuple[Token | None, object]:
    """(token, None) when the request's access_token is good, else (None, error response)."""
    status, token = sim().check_token(platform, request.args.get("access_token"))
    if token is None:
        return None, err(*TOKEN_ERRORS[platform][status])
    return token, None


def token_answer(token: Token, now: float):
    return ok(access_token=token.value, expires_in=max(int(token.expires_at - now), 0))


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))
