"""/m/: the phone app shell (H5) for the frontline, served by Gendan itself.

The pages are one static shell; everything the worker does goes through the REST API with
the bearer token the shell keeps (the same tokens as any other API client). A service worker
(/m/sw.js, scoped to /m/) keeps the shell usable offline; scans made offline wait in the
browser's IndexedDB and go to /api/scans/batch when the network returns.

The shell's policy adds 'wasm-unsafe-eval' to script-src: the in-page barcode decoder is
WebAssembly (vendored, same origin), and compiling it needs that keyword. It allows
WebAssembly compilation only, not JavaScript eval; every other page keeps the strict policy.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, render_template, url_for

from app.security import CONTENT_SECURITY_POLICY
from app.web import bp
from bots.jsapi import jssdk_origins

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
# The files the service worker stores at install: the shell works offline with these.
SHELL_FILES = (
    "m/m.css",
    "m/app.js",
    "m/api.js",
    "m/queue.js",
    "m/sync.js",
    "m/card.js",
    "m/keypad.js",
    "m/scanner.js",
    "m/signin.js",
    "m/platform.js",
    "m/issues.js",
    "m/report.js",
    "m/todo.js",
    "m/scanaction.js",
    "m/fieldkit.js",
    "m/phototray.js",
    "m/icon.svg",
)
MOBILE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", 1
)


@lru_cache(maxsize=1)
def shell_version() -> str:
    """A digest of the shell's files and page: a new release gets a new offline cache."""
    digest = hashlib.sha256()
    for name in SHELL_FILES:
        digest.update((STATIC / name).read_bytes())
    for name in ("index.html", "sw.js"):
        digest.update((TEMPLATES / "m" / name).read_bytes())
    return digest.hexdigest()[:12]


def _shell_urls() -> list[str]:
    return [url_for("web.mobile")] + [url_for("web.static", filename=f) for f in SHELL_FILES]


@bp.get("/m/")
def mobile():
    """The app shell: sign-in, 扫码入库 and the offline queue (no server-side session)."""
    html = render_template("m/index.html", version=shell_version())
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = mobile_policy()
    response.headers["Cache-Control"] = "no-cache"
    return response


def mobile_policy() -> str:
    """/m/'s CSP: the strict one, plus the configured chat platforms' JS-SDK script origins
    (their scanner and sign-in inside the apps); nothing more when no platform is configured."""
    origins = jssdk_origins(current_app.config)
    if not origins:
        return MOBILE_CONTENT_SECURITY_POLICY
    return MOBILE_CONTENT_SECURITY_POLICY.replace(
        "script-src 'self' 'wasm-unsafe-eval'",
        "script-src 'self' 'wasm-unsafe-eval' " + " ".join(origins),
        1,
    )


@bp.get("/m/sw.js")
def mobile_service_worker():
    """The service worker, served under /m/ so that its scope is the app."""
    body = render_template(
        "m/sw.js",
        version=shell_version(),
        shell=json.dumps(_shell_urls()),
        vendor=url_for("web.static", filename="vendor/barcode-detector/"),
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/m/manifest.webmanifest")
def mobile_manifest():
    """The web app manifest: the worker can add the app to the home screen."""
    manifest = {
        "name": "跟单 · 现场",
        "short_name": "跟单",
        "lang": "zh-CN",
        "start_url": url_for("web.mobile"),
        "scope": url_for("web.mobile"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4ed8",
        "icons": [
            {
                "src": url_for("web.static", filename="m/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    response = Response(
        json.dumps(manifest, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
