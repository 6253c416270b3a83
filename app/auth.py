"""Authentication at the doors: bearer tokens for the API, password sessions for the pages."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app.services.core import Actor, actor_for, user_and_roles
from app.services.people import user_and_roles_for_token
from models.enums import Channel, Role
from models.errors import Forbidden, NotAuthenticated
from models.people import User

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def db_session():
    """The database session of this request (opened on first use, closed on teardown)."""
    if "db_session" not in g:
        readonly = request.method in SAFE_METHODS
        g.db_session = current_app.extensions["gendan.db"].session(readonly=readonly)
    return g.db_session


def close_db_session(_exc=None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def commit() -> None:
    """Commit the request's unit of work (called by views that change something)."""
    db_session().commit()


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _user_from_session() -> tuple[User | None, frozenset[Role]]:
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None, frozenset()
    user, roles = user_and_roles(db_session(), uid)
    if user is None or not user.is_active or user.token_version != session.get("tv"):
        session.clear()
        return None, frozenset()
    return user, roles


def current_actor(channel: Channel = Channel.api) -> Actor:
    """The authenticated actor of this request; NotAuthenticated when there is none."""
    if "actor" in g:
        return g.actor
    token = _bearer()
    if token is not None:
        # The user and their roles in one query.
        user, roles = user_and_roles_for_token(
            session=db_session(),
            token=token,
            secret=current_app.config["SECRET_KEY"],
            ttl_hours=current_app.config["TOKEN_TTL_HOURS"],
        )
    else:
        user, roles = _user_from_session()
        # Page forms are checked by CSRFProtect; the API is exempt from it, so check here.
        if user is not None and channel == Channel.api and request.method not in SAFE_METHODS:
            _check_csrf()
    if user is None:
        raise NotAuthenticated()
    g.actor = actor_for(db_session(), user, channel, roles=roles)
    return g.actor


def _check_csrf() -> None:
    # A cookie-authenticated write (page JavaScript calling the API) must prove it came from
    # our own page; bearer-token clients are not exposed to cross-site requests.
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError as exc:
        raise Forbidden("页面已过期，请刷新后重试", code="csrf_failed") from exc


class PageSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a static file's response never sets the
    cookie.

    Flask refreshes a permanent session's cookie on every response, stylesheets and icons
    included. A static response still in flight when the user signed out (or in as someone
    else) then set the old session again: the sign-out was undone, or the new sign-in failed
    its CSRF check (seen in the browser tests). Static files carry no session state, and a
    response without Set-Cookie can also be cached. A session the request changed is still
    saved, whatever the endpoint."""

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        endpoint = request.endpoint or ""
        static = not endpoint or endpoint == "static" or endpoint.endswith(".static")
        return not static and super().should_set_cookie(app, session)


def login_session(user: User) -> None:
    """Start a password session for the web pages."""
    session.clear()
    session["uid"] = user.id
    session["tv"] = user.token_version
    session.permanent = True


def login_required(view):
    """For web pages: redirect to the login page instead of answering 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            g.actor = current_actor(Channel.web)
        except NotAuthenticated:
            return redirect(url_for("web.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper
