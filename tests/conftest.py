"""Test fixtures: every database test runs on SQLite and again on PostgreSQL.

PostgreSQL is the server at TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test);
each test process gets its own schema, dropped at the end. With CI=true a missing PostgreSQL fails.
"""

from __future__ import annotations

import os

os.environ.setdefault("GENDAN_ENV", "testing")
os.environ.setdefault("PASSWORD_HASH_PROFILE", "testing")

import pytest
from sqlalchemy import text

from app.services import people
from models import clock
from tests import loopback
from tests.chat import (  # noqa: F401
    chat_app,
    chat_app_for,
    gendan,
    long_connection_app,
    sim,
    simulator_server,
)
from tests.dbsetup import drop_pg_schema, migrate, pg_schema, pg_url_for_worker, reset_tables
from tests.limits import reset_rate_limits

people.use_profile("testing")
loopback.install()

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory):
    """A migrated database on one engine, shared by the tests of this worker."""
    from app.db import Database

    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'gendan.db'}"
    else:
        schema = pg_schema(_worker())
        url = pg_url_for_worker(PG_URL, schema, required=IN_CI)
    db = Database(url)
    migrate(db)
    yield db
    db.dispose()
    if schema:
        drop_pg_schema(PG_URL, schema)


@pytest.fixture()
def db(database):
    """The database, emptied (reference data kept) after each test."""
    yield database
    reset_tables(database)


@pytest.fixture()
def session(db):
    """A session on the test database; committed work is visible to other sessions."""
    s = db.session()
    yield s
    s.rollback()
    s.close()


@pytest.fixture(scope="session", autouse=True)
def upload_dir(tmp_path_factory):
    """One upload directory for the run, so no test writes under the project's instance/;
    and the test SECRET_KEY, which services use to seal stored secrets."""
    from app.services.core import configure
    from tests.factories import SECRET

    path = tmp_path_factory.mktemp("uploads")
    configure(upload_dir=str(path), secret_key=SECRET)
    return path


@pytest.fixture(scope="session")
def app_for(tmp_path_factory, upload_dir):
    """Build (once per engine) a Flask app bound to a test database; `name` builds another
    (once per engine and name), as a second gunicorn worker has an app of its own."""
    from app import create_app

    apps = {}

    def build(database, name: str = ""):
        if (database.url, name) not in apps:
            instance = tmp_path_factory.mktemp("instance")
            apps[(database.url, name)] = create_app(
                {
                    "DATABASE_URL": database.url,
                    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                    "TESTING": True,
                    "WTF_CSRF_ENABLED": True,
                    "INSTANCE_DIR": str(instance),
                    "UPLOAD_DIR": str(upload_dir),
                }
            )
        return apps[(database.url, name)]

    return build


@pytest.fixture()
def app(app_for, db):
    app = app_for(db)
    reset_rate_limits(app)  # rate-limit counters start at zero per test
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def pg_only(db):
    """Skip a test that needs PostgreSQL semantics when running on SQLite."""
    if db.is_sqlite:
        pytest.skip("needs PostgreSQL")
    return db


@pytest.fixture(autouse=True)
def one_instant(request):
    """A `clock` test reads one instant from the project's clock: frozen where the test starts.

    The clock check starts a run at 23:58 in Shanghai, so whichever test runs at midnight read
    two business days: a 日报 filed on the day the desk showed was looked for on the next one,
    an issue due at local(8, 30) and swept at local(10, 31) landed on two dates. Processes the
    test starts keep the moving clock. A test that needs it to move in this process too is
    marked `moving_clock`, or moves it itself (`clock.frozen` nests)."""
    node = request.node
    if node.get_closest_marker("clock") is None or node.get_closest_marker("moving_clock"):
        yield
        return
    with clock.frozen(clock.now()) as advance:
        yield advance  # a test that asks for this fixture moves the clock on with it


@pytest.fixture(autouse=True)
def stays_on_loopback():
    """Fail the test during which anything in this process looked up a non-loopback host."""
    loopback.take()
    yield
    hosts = loopback.take()
    assert not hosts, f"tests stay on 127.0.0.0/8; looked up: {sorted(set(hosts))}"


def pytest_report_header(config):
    return f"PostgreSQL: {PG_URL} (required: {IN_CI})"


__all__ = ["text"]
