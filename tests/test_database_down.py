"""With the database unreachable, requests that need it get a quick 503 in the JSON envelope
(Chinese message, Retry-After) instead of a 500 or a hang; /healthz still answers, /readyz
says the database is down. The full outage-and-recovery run is in tests/reliability/."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.services.people import issue_token
from models.people import User
from tests.reliability.harness import free_port

CHINESE = re.compile(r"[\u4e00-\u9fff]")
SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="module")
def down_client(tmp_path_factory):
    """An app whose PostgreSQL is a local port nobody listens on (refused at once)."""
    folder = tmp_path_factory.mktemp("down")
    app = create_app(
        {
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/none",
            "SECRET_KEY": SECRET,
            "TESTING": True,
            "INSTANCE_DIR": str(folder),
            "UPLOAD_DIR": str(folder / "uploads"),
        }
    )
    yield app.test_client()
    app.extensions["gendan.db"].dispose()


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "/api/auth/token", {"username": "li", "password": "secret-pass-1"}),
        ("GET", "/api/orders", None),
    ],
)
def test_a_request_needing_the_database_gets_503_database_unavailable(
    down_client, method, path, body
):
    # A well-signed token: checking it needs the database (revocation, active user).
    token, _ = issue_token(
        user=User(id=1, username="li", token_version=0), secret=SECRET, ttl_hours=1
    )
    response = down_client.open(
        path, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 503, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "database_unavailable" and CHINESE.search(error["message"])
    assert int(response.headers["Retry-After"]) > 0


def test_health_answers_and_readiness_says_the_database_is_down(down_client):
    assert down_client.get("/healthz").status_code == 200
    ready = down_client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["database"] == "down"
