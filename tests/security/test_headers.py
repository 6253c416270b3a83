"""Security headers on every response, request ids, and templates that need no inline code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.security import CONTENT_SECURITY_POLICY
from models.enums import Role
from tests.factories import bearer, make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
INLINE = (
    r"<script(?![^>]*\b(src=|type=\"application/json\"))",
    r"<style",
    r"\sstyle\s*=",
    r"\son[a-z]+\s*=",
)
PATHS = (
    "/healthz",
    "/api/me",
    "/api/nowhere",
    "/login",
    "/static/web/gendan.css",
    "/bots/dingtalk",
)


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client, path):
    r = client.post(path) if path.startswith("/bots") else client.get(path)
    h = r.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in h["Content-Security-Policy"].split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-eval" not in h["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in h  # only in production (behind TLS)


def test_production_adds_hsts(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "GENDAN_ENV", "production")
    user = make_user(session, Role.tracker)
    session.commit()
    r = client.get("/api/me", headers=bearer(user))
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_signed_in_page_has_the_headers_too(client, session):
    from tests.web.test_pages import _login

    make_user(session, Role.tracker, username="li")
    session.commit()
    _login(client, "li")
    r = client.get("/orders")
    assert r.status_code == 200
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_templates_have_no_inline_script_style_or_event_handlers():
    """The CSP forbids inline code, so no template may rely on it (JSON data blocks are data)."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in INLINE:
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.name}: {pattern}")
    assert offenders == []


def test_a_sane_request_id_is_kept_and_a_hostile_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "req-42.a"}).headers["X-Request-ID"] == (
        "req-42.a"
    )
    for hostile in ("a" * 65, "x\u2028y", "evil id", "<script>"):
        got = client.get("/healthz", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert got != hostile and re.fullmatch(r"[0-9a-f]{32}", got)
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz").headers["X-Request-ID"])
