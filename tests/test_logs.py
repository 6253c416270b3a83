import json
import logging

from models.enums import Role
from tests.factories import bearer, make_user


def _lines(caplog):
    from app.logs import JsonFormatter

    fmt = JsonFormatter()
    return [json.loads(fmt.format(r)) for r in caplog.records if r.name == "gendan.access"]


def test_each_request_is_one_json_line_with_its_request_id(client, session, caplog):
    user = make_user(session, Role.tracker)
    session.commit()
    with caplog.at_level(logging.INFO, logger="gendan.access"):
        r = client.get("/api/me", headers={**bearer(user), "X-Request-Id": "abc123"})
    assert r.headers["X-Request-Id"] == "abc123"
    (line,) = _lines(caplog)
    assert line["request_id"] == "abc123" and line["status"] == 200
    assert line["path"] == "/api/me" and line["user_id"] == user.id


def test_query_strings_and_tokens_never_reach_the_log(client, session, caplog):
    user = make_user(session, Role.tracker)
    session.commit()
    headers = bearer(user)
    with caplog.at_level(logging.INFO, logger="gendan.access"):
        client.get("/api/orders?signature=deadbeef&q=x", headers=headers)
    text = json.dumps(_lines(caplog))
    assert "deadbeef" not in text and headers["Authorization"].split()[1] not in text


def test_a_failed_flush_still_answers_the_json_500_and_logs_the_user(db, session, tmp_path, caplog):
    # A PATCH that broke a NOT NULL column once lost both: the failed flush had expired the
    # user, and the access line reading its id raised again after the error handler.
    from app import create_app
    from app.auth import current_actor, db_session
    from models.people import Department

    app = create_app(
        {
            "DATABASE_URL": db.url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,  # the route is no API view (those are exempt)
            "INSTANCE_DIR": str(tmp_path),
        }
    )

    @app.post("/api/broken")
    def broken():
        current_actor()
        db_session().add(Department(code=None, name="坏"))
        db_session().flush()

    user = make_user(session, Role.tracker)
    session.commit()
    try:
        with caplog.at_level(logging.INFO, logger="gendan.access"):
            r = app.test_client().post("/api/broken", json={}, headers=bearer(user))
    finally:
        app.extensions["gendan.db"].dispose()
    assert r.status_code == 500
    assert r.get_json()["error"]["code"] == "internal_error"
    (line,) = _lines(caplog)
    assert line["status"] == 500 and line["user_id"] == user.id


def test_json_logging_replaces_the_console_handlers_and_keeps_the_others():
    """A handler that is not the console's (a file, pytest's capture) survives the app's
    logging set-up: the capture used to be dropped when a worker's first app was created."""
    import logging
    import sys

    from app.logs import JsonFormatter, configure_logging

    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    console, kept = logging.StreamHandler(sys.stderr), logging.NullHandler()
    root.handlers[:] = [console, kept]
    try:
        configure_logging("INFO")
        assert console not in root.handlers and kept in root.handlers
        assert [type(h.formatter) for h in root.handlers if h is not kept] == [JsonFormatter]
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
