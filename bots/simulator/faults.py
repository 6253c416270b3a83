"""Fault injection for reliability tests, and the log of every platform API call."""

from __future__ import annotations

from flask import Flask, jsonify, request

from bots.simulator.state import SimState

KINDS = ("status", "hang", "errcode")
UNFAULTED = ("/admin", "/static")


def add_fault(state: SimState, spec: dict) -> dict:
    """Answer the next `count` calls (or all calls for `seconds`) under `path` with a fault.

    kinds: status (HTTP `status`, default 503), hang (hold the request `hang_seconds`, then
    504; a reset releases it), errcode (HTTP 200 with `errcode`/`errmsg`).
    """
    kind = spec.get("kind", "status")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    fault = {
        "path": spec.get("path", "/"),
        "kind": kind,
        "status": int(spec.get("status", 503)),
        "errcode": int(spec.get("errcode", -1)),
        "errmsg": spec.get("errmsg", "simulated fault"),
        "hang_seconds": float(spec.get("hang_seconds", 30)),
        "count": None,
        "until": None,
    }
    if "seconds" in spec:
        fault["until"] = state.clock.now() + float(spec["seconds"])
    else:
        fault["count"] = int(spec.get("count", 1))
    with state.lock:
        state.faults.append(fault)
    return fault


def take_fault(state: SimState, path: str) -> dict | None:
    now = state.clock.now()
    with state.lock:
        state.faults[:] = [f for f in state.faults if _alive(f, now)]
        for fault in state.faults:
            if path.startswith(fault["path"]):
                if fault["count"] is not None:
                    fault["count"] -= 1
                return dict(fault)
    return None


def _alive(fault: dict, now: float) -> bool:
    if fault["count"] is not None:
        return fault["count"] > 0
    return fault["until"] > now


def install(app: Flask, state: SimState) -> None:
    @app.before_request
    def inject_fault():
        if request.path == "/" or request.path.startswith(UNFAULTED):
            return None
        fault = take_fault(state, request.path)
        if fault is None:
            return None
        if fault["kind"] == "hang":
            state.release.wait(fault["hang_seconds"])
            return "simulated hang", 504
        if fault["kind"] == "status":
            return "simulated failure", fault["status"]
        return jsonify(errcode=fault["errcode"], errmsg=fault["errmsg"])

    @app.after_request
    def log_call(response):
        if request.path != "/" and not request.path.startswith(UNFAULTED):
            body = response.get_json(silent=True) if response.is_json else None
            errcode = body.get("errcode") if isinstance(body, dict) else None
            state.record_call(path=request.path, status=response.status_code, errcode=errcode)
        return response
