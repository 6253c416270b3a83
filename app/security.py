"""Security at the door: response headers, request ids, proxy trust and rate limits.

Rate limits use Flask-Limiter. Its counters live in RATELIMIT_STORAGE_URI: `memory://` (the
default) counts per process, which is right for development and tests; production with several
workers points it at a shared store (`redis://127.0.0.1:6379/0`) so that every worker counts
the same login attempts. When that store is unreachable requests are let through and the
failure is logged (a rate limiter must not take the login page down with it).

Limited requests answer 429: the JSON envelope on /api and /bots, the login page with a Chinese
message on the web. A chat sender who floods the bot gets one Chinese hint per message instead
of the command being run (see `chat_throttle`).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import uuid

from flask import Flask, current_app, flash, g, jsonify, render_template, request
from flask_limiter import Limiter, RequestLimit
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.services.core import MAX_JSON_DEPTH, json_too_deep
from models.errors import InvalidInput, RateLimited

log = logging.getLogger("gendan.security")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# No inline script anywhere, no <style> elements: templates link gendan.css and static scripts
# only, and carry no style attributes either (tests/security/test_headers.py). Only
# style-src-attr is relaxed: the vendored ECharts writes its tooltips as HTML with style
# attributes; attribute styles cannot load resources or run code.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"

# Endpoints limited as logins: per client address (every attempt) and per username (failures).
LOGIN_ENDPOINTS = ("api_auth.login", "web.login")
# A browser or address that logged in as a user stays known for that user this long.
KNOWN_DEVICE_COOKIE = "gendan_device"
KNOWN_FOR = 90 * 24 * 3600


# Ids are PostgreSQL `integer` columns; every other integer fits a 64-bit column at most.
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
ID_NAME = re.compile(r"(?:^|_)ids?$")


def int_bounds(name: str) -> tuple[int, int]:
    """The range an integer named `name` must fall in: 32-bit for ids, else 64-bit."""
    return INT32 if ID_NAME.search(name) else INT64


# 0 to 2147483647 as a pattern: an id outside the column's range matches no route at all, so it
# is a 404 for every method (a value refused by to_python would make Werkzeug answer 405 when
# another method's route has the same path).
INT32_DIGITS = (
    r"(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
    r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]"
    r"|214748364[0-7])"
)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ids within PostgreSQL's `integer` column (else a 404)."""

    regex = INT32_DIGITS


def document_bounds(spec: dict) -> dict:
    """The OpenAPI document with the ranges the door enforces on every integer it names.

    Path ids are 0..2^31-1 (`IdConverter`), other ids 32-bit, every other integer 64-bit.
    """
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            for param in operation.get("parameters", []) if isinstance(operation, dict) else ():
                low = 0 if param.get("in") == "path" else None
                _bound(param.get("schema", {}), param.get("name", ""), low)
    for schema in spec.get("components", {}).get("schemas", {}).values():
        for name, prop in schema.get("properties", {}).items():
            _bound(prop, name, None)
    return spec


# Text without NUL (PostgreSQL cannot store it; `has_nul` refuses it at the door), as the
# document states it for every input string that has no stricter pattern, format or enum.
NO_NUL = r"^[^\x00]*$"
ANY_JSON = "JsonWithoutNul"
ANY_JSON_REF = f"#/components/schemas/{ANY_JSON}"
_TEXT_RULES = ("pattern", "format", "enum", "const", "contentMediaType")


def document_text(spec: dict) -> dict:
    """The OpenAPI document with the no-NUL rule on every string and object key of the input:
    request bodies (and what they reference) and parameters, everything `has_nul` looks at."""
    schemas = spec.get("components", {}).get("schemas", {})
    inputs: set[str] = set()
    roots = []
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                roots.append(operation.get("requestBody", {}))
                roots.extend(
                    p.get("schema", {})
                    for p in operation.get("parameters", [])
                    if p.get("in") in ("query", "path")
                )
    for root in roots:
        _no_nul(root, schemas, inputs)
    if ANY_JSON_REF in str(spec.get("paths")) or ANY_JSON_REF in str(schemas):
        schemas[ANY_JSON] = {
            "description": "任意 JSON 值（文本与键中不含 NUL）",
            "anyOf": [
                {"type": "string", "pattern": NO_NUL},
                {"type": ["number", "boolean", "null"]},
                {"type": "array", "items": {"$ref": ANY_JSON_REF}},
                {
                    "type": "object",
                    "propertyNames": {"type": "string", "pattern": NO_NUL},
                    "additionalProperties": {"$ref": ANY_JSON_REF},
                },
            ],
        }
    return spec


def _no_nul(node: object, schemas: dict, seen: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _no_nul(item, schemas, seen)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _no_nul(schemas.get(name), schemas, seen)
    for key in ("items", "additionalProperties"):
        if node.get(key) == {}:  # any JSON value: any without NUL
            node[key] = {"$ref": ANY_JSON_REF}
    if node.get("type") == "string" and not any(rule in node for rule in _TEXT_RULES):
        node["pattern"] = NO_NUL
    if isinstance(node.get("additionalProperties"), dict):
        node.setdefault("propertyNames", {"type": "string", "pattern": NO_NUL})
    for key, value in node.items():
        if key != "examples":
            _no_nul(value, schemas, seen)


def _bound(schema: dict, name: str, low: int | None) -> None:
    for option in (schema, schema.get("items", {}), *schema.get("anyOf", ())):
        if option.get("type") == "integer":
            bounds = int_bounds(name)
            option.setdefault("minimum", bounds[0] if low is None else low)
            option.setdefault("maximum", bounds[1])
        elif option is not schema and option.get("type") == "array":
            _bound(option, name, low)


def request_id() -> str:
    """The caller's X-Request-ID when it is a sane token (nginx sets one), otherwise a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def install_security(app: Flask) -> Limiter:
    """Proxy trust, request ids, security headers and the rate limiter of this app."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _request_id():
        g.request_id = request_id()

    # Before the limiter: its login key reads the JSON body.
    app.before_request(refuse_hostile_input)

    # Each unless the view set its own. Added in one pass: Headers.setdefault reads the
    # response's headers once per name (about 30 against 5 µs a response).
    fixed = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    fixed_lower = [(name.lower(), name, value) for name, value in fixed]

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers["X-Request-ID"] = g.get("request_id", "")
        present = {name.lower() for name, _ in headers.items()}
        for lower, name, value in fixed_lower:
            if lower not in present:
                headers.add(name, value)
        production = app.config["GENDAN_ENV"] == "production"
        if production and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", HSTS)
        return response

    limiter = Limiter(
        key_func=client_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        # No X-RateLimit-* headers: they cost every limited request (each webhook) a second
        # trip to the store, and no client of ours reads them. A 429 says when to come back.
        headers_enabled=False,
        swallow_errors=app.config["GENDAN_ENV"] == "production",
        strategy="moving-window",
    )
    app.extensions["gendan.limiter"] = limiter

    @app.after_request
    def _retry_after(response):
        if response.status_code == 429 and "Retry-After" not in response.headers:
            try:
                limit = limiter.current_limit
                if limit is not None:
                    response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time())))
            except Exception:  # the store is down: the 429 still stands
                log.exception("rate limit store unreachable while answering 429")
        return response

    shared = app.config["RATELIMIT_STORAGE_URI"].startswith(("redis", "valkey", "memcached"))
    if app.config["GENDAN_ENV"] == "production" and not shared:
        log.warning(
            "RATELIMIT_STORAGE_URI is %s: rate limits count per worker process; "
            "set it to redis://... so that all workers share them",
            app.config["RATELIMIT_STORAGE_URI"],
        )
    return limiter


def refuse_unnamed_form_parts() -> None:
    """422 for a form with a part that has no name, on every path. werkzeug files such a part
    under the key None, which Flask-WTF's CSRF check (`key.endswith`), the NUL check and the
    views' validation would each meet: the first two as a 500. Registered before CSRFProtect."""
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return
    if None in request.form or None in request.files:
        raise InvalidInput("表单中有未命名的字段（缺少 name）", code="unnamed_form_field")


def refuse_hostile_input() -> None:
    """422 for JSON nested too deep (any JSON body, API form fields) and integers out of range.

    The webhooks under /bots check their signature first and the depth of what they then
    parse themselves (`bots.platforms.common.load_json_object`).
    """
    if request.path.startswith("/bots/"):
        return
    if request.is_json and json_too_deep(request.get_data(cache=True)):
        raise _too_deep()
    if not request.path.startswith("/api/"):
        return
    for name, value in request.args.items(multi=True):
        if ID_NAME.search(name) and _out_of_range(name, value):
            raise _out_of_range_error(name)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if any(json_too_deep(v) for v in request.form.values() if v.lstrip()[:1] in "[{"):
            raise _too_deep()
    elif request.is_json:
        try:
            data = json.loads(request.get_data(cache=True))
        except ValueError:
            return  # the view's parser answers it
        name = _first_out_of_range(data, "")
        if name is not None:
            raise _out_of_range_error(name)


def _out_of_range(name: str, value: object) -> bool:
    if isinstance(value, str):  # a query argument
        digits = value.strip().removeprefix("-").removeprefix("+")
        if not (digits.isascii() and digits.isdigit()):
            return False  # not a number: the view's validation answers
        if len(digits) > 30:
            return True
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    low, high = int_bounds(name)
    return not low <= value <= high


def _first_out_of_range(data: object, name: str) -> str | None:
    """The name of the first integer in a JSON document outside its column's range."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = ((name, item) for item in data)
    elif isinstance(data, str) and not ID_NAME.search(name):
        return None  # text (a mobile number is digits too); an id may come as a string
    else:
        return name if _out_of_range(name, data) else None
    for key, value in items:
        found = _first_out_of_range(value, str(key))
        if found is not None:
            return found
    return None


def _too_deep() -> InvalidInput:
    return InvalidInput(f"JSON 嵌套层级过深（最多 {MAX_JSON_DEPTH} 层）", code="json_too_deep")


def _out_of_range_error(name: str) -> InvalidInput:
    return InvalidInput(f"数值超出范围：{name}", code="number_out_of_range", field=name)


def limit_views(app: Flask, limiter: Limiter) -> None:
    """Attach the login and webhook limits (called once the views are registered).

    Per username, failures count against one budget shared by the API token and the web form
    (`_login_guard`); per address, every attempt counts.
    """
    app.before_request(_login_guard)
    app.after_request(_login_outcome)
    for endpoint in LOGIN_ENDPOINTS:
        view = app.view_functions[endpoint]
        view = limiter.limit(
            lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"],
            methods=["POST"],
            on_breach=_login_breach,
            scope="login-address",
        )(view)
        app.view_functions[endpoint] = view
    # One budget per address for all the webhooks (a flood of forged posts costs signature
    # checks and decryption before it is refused).
    limiter.shared_limit(lambda: current_app.config["WEBHOOK_RATE_LIMIT"], scope="webhooks")(
        app.blueprints["bots"]
    )
    # Flask-Limiter resolves the limits of every request's endpoint, where there are none too.
    # Only the endpoints limited here are handed to it: 0.09 million instructions less for
    # /healthz (6 %), 0.21 million less for a scan or any authenticated write
    # (bench/bench_instructions.py). tests/security/test_rate_limits.py checks that no other
    # endpoint has a limit.
    limited = limited_endpoints(app)
    limiter.request_filter(lambda: request.endpoint not in limited)


def limited_endpoints(app: Flask) -> frozenset[str]:
    """The endpoints that `limit_views` gives a Flask-Limiter limit: the logins and the webhooks."""
    bots = {name for name in app.view_functions if name.startswith("bots.")}
    return frozenset(LOGIN_ENDPOINTS) | bots


def _login_guard():
    """Refuse a login for a username out of failures, unless from a known device or address.

    A known client (this user logged in from this address, or the browser carries this user's
    device cookie) is never locked out by someone else's guesses; its failures still count.
    """
    if request.endpoint not in LOGIN_ENDPOINTS or request.method != "POST":
        return None
    g.login_user = user = _login_username()
    limiter: Limiter = current_app.extensions["gendan.limiter"]
    item = parse_many(current_app.config["LOGIN_RATE_LIMIT_PER_USER"])[0]
    try:
        if _known_client(limiter, user) or limiter.limiter.test(item, "login-user", user):
            return None
        reset_at = limiter.limiter.get_window_stats(item, "login-user", user).reset_time
    except Exception:
        log.exception("login rate limit storage failed; letting the login through")
        return None
    log.warning("login rate limit %s reached for %s on %s", item, user, request.endpoint)
    return _login_refusal(reset_at)


def _login_outcome(response):
    user = g.pop("login_user", None)
    if user is None or response.status_code == 429:
        return response
    limiter: Limiter = current_app.extensions["gendan.limiter"]
    try:
        if response.status_code >= 400:
            item = parse_many(current_app.config["LOGIN_RATE_LIMIT_PER_USER"])[0]
            limiter.limiter.hit(item, "login-user", user)
            return response
        limiter.storage.incr(_known_address_key(user), KNOWN_FOR)
    except Exception:
        log.exception("login rate limit storage failed")
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        _device_signer().dumps(user),
        max_age=KNOWN_FOR,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["GENDAN_ENV"] == "production",
    )
    return response


def _known_client(limiter: Limiter, user: str) -> bool:
    cookie = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if cookie:
        try:
            if _device_signer().loads(cookie, max_age=KNOWN_FOR) == user:
                return True
        except BadSignature:
            pass
    return limiter.storage.get(_known_address_key(user)) > 0


def _known_address_key(user: str) -> str:
    return f"login-known/{user}/{client_address()}"


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="gendan.known-device")


def _login_refusal(reset_at: float):
    retry_after = str(max(1, int(reset_at - time.time())))
    if request.endpoint == "web.login":
        flash("登录尝试太频繁，请稍后再试", "error")
        page = render_template("login.html", username=request.form.get("username", ""))
        response = current_app.make_response((page, 429))
    else:
        response = jsonify({"error": {"code": RateLimited.code, "message": RateLimited.message}})
        response.status_code = 429
    response.headers["Retry-After"] = retry_after
    return response


def client_address() -> str:
    """The client's address (the real one behind PROXY_HOPS trusted proxies)."""
    return request.remote_addr or "unknown"


def _login_username() -> str:
    if request.is_json:
        data = request.get_json(silent=True)
        name = data.get("username") if isinstance(data, dict) else None
    else:
        name = request.form.get("username")
    return "user:" + (name.strip().lower()[:64] if isinstance(name, str) else "")


def _login_breach(limit: RequestLimit):
    log.warning(
        "login rate limit %s reached for %s on %s", limit.limit, limit.key, request.endpoint
    )
    if request.endpoint == "web.login":
        return _login_refusal(limit.reset_at)
    return None


@functools.lru_cache(maxsize=8)
def _rates(text: str) -> tuple:
    """A rate limit setting parsed once (it is read on every chat message)."""
    return tuple(parse_many(text))


def chat_throttle(platform: str, sender_id: str) -> bool:
    """Count one message of this chat sender; False once they are over CHAT_RATE_LIMIT."""
    limiter: Limiter = current_app.extensions["gendan.limiter"]
    items = _rates(current_app.config["CHAT_RATE_LIMIT"])
    try:
        return all([limiter.limiter.hit(item, "chat", platform, sender_id) for item in items])
    except Exception:
        log.exception("chat rate limit storage failed; letting the message through")
        return True
