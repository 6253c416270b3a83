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
