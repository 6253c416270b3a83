"""The engines' own behaviour: SQLite writers queue on a lock instead of SQLite's polling busy
handler, and pooled PostgreSQL connections are pinged only after sitting idle.

Orderings and outcomes only; no test here asserts on how long anything took."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import db as dbmodule
from app.db import Database
from tests.conftest import IN_CI, PG_URL
from tests.dbsetup import drop_pg_schema, pg_schema, pg_url_for_worker


@pytest.fixture()
def sqlite_db(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield db
    db.dispose()


def rows(db) -> list[int]:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT n FROM t ORDER BY rowid"))]


def test_a_second_writer_waits_for_the_first_and_goes_on_when_it_commits(sqlite_db):
    first_in = threading.Event()
    release_first = threading.Event()
    order: list[str] = []

    def first():
        with sqlite_db.engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            first_in.set()
            release_first.wait(10)
            order.append("first commits")

    def second():
        first_in.wait(10)
        with sqlite_db.engine.begin() as conn:
            order.append("second begins")
            conn.execute(text("INSERT INTO t VALUES (2)"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_in.wait(10)
    threads[1].join(0.2)
    assert order == []
    assert lock_file_taken(sqlite_db)  # what the other processes' writers wait on
    release_first.set()
    for t in threads:
        t.join(20)
    assert order == ["first commits", "second begins"]
    assert rows(sqlite_db) == [1, 2]
    assert not lock_file_taken(sqlite_db)


def write_in_thread(db, n: int) -> tuple[threading.Thread, threading.Event]:
    """A thread that writes `n` in one write transaction; the event is set once committed."""
    done = threading.Event()

    def write():
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    return thread, done


def lock_file_taken(db) -> bool:
    fd = os.open(db.url.removeprefix("sqlite:///") + ".writer-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


@pytest.mark.parametrize("ending", ["rollback", "error", "close"])
def test_the_write_lock_is_released_however_the_transaction_ends(sqlite_db, ending):
    if ending == "rollback":
        with sqlite_db.engine.connect() as conn:
            trans = conn.begin()
            conn.execute(text("INSERT INTO t VALUES (1)"))
            trans.rollback()
    elif ending == "error":
        with pytest.raises(OperationalError), sqlite_db.engine.begin() as conn:
            conn.execute(text("INSERT INTO missing VALUES (1)"))
    else:
        raw = sqlite_db.engine.raw_connection()
        raw.dbapi_connection.take_write_lock()
        raw.invalidate()  # closes the DBAPI connection
    # Another thread gets the lock at once: it would wait SQLITE_WRITE_WAIT otherwise.
    thread, done = write_in_thread(sqlite_db, 2)
    thread.join(20)
    assert done.is_set()
    assert rows(sqlite_db) == [2]
    assert not lock_file_taken(sqlite_db)


def test_a_writer_in_another_process_holds_ours_off_until_it_lets_go(sqlite_db, tmp_path):
    """The lock file beside the database is what the gunicorn workers and the scheduler share."""
    lock_path = sqlite_db.url.removeprefix("sqlite:///") + ".writer-lock"
    script = (
        "import fcntl, os, sys\n"
        f"fd = os.open({lock_path!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        thread, done = write_in_thread(sqlite_db, 3)
        thread.join(0.5)
        assert not done.is_set()  # waiting on the other process's lock
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(10)
        thread.join(20)
        assert done.is_set()
    finally:
        if holder.poll() is None:
            holder.kill()
    assert rows(sqlite_db) == [3]
    assert not lock_file_taken(sqlite_db)


def test_readers_take_no_write_lock(sqlite_db):
    with sqlite_db.engine.begin() as writer:
        writer.execute(text("INSERT INTO t VALUES (1)"))
        with sqlite_db.session(readonly=True) as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0


@pytest.fixture()
def pg_engine_db():
    schema = pg_schema("engines")
    url = pg_url_for_worker(PG_URL, schema, required=IN_CI)
    db = Database(url, pool_size=1)
    yield db
    db.dispose()
    drop_pg_schema(PG_URL, schema)


def backend_pid(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def terminate(pid: int) -> None:
    admin = Database(PG_URL)
    try:
        with admin.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            conn.commit()
    finally:
        admin.dispose()


def test_an_idle_pooled_connection_that_died_is_replaced_before_use(pg_engine_db, monkeypatch):
    monkeypatch.setattr(dbmodule, "PING_AFTER_IDLE", 0.0)
    dead = backend_pid(pg_engine_db)
    terminate(dead)
    assert backend_pid(pg_engine_db) != dead  # no error: the ping found it and reconnected


def test_a_busy_connection_is_not_pinged_and_a_failure_in_use_renews_the_pool(
    pg_engine_db, monkeypatch
):
    monkeypatch.setattr(dbmodule, "PING_AFTER_IDLE", 3600.0)
    dead = backend_pid(pg_engine_db)
    terminate(dead)
    with pytest.raises(OperationalError):  # not pinged: the dead connection is used
        backend_pid(pg_engine_db)
    assert backend_pid(pg_engine_db) != dead  # and the pool renewed itself after the error


def tcp_options(db) -> dict[str, int]:
    """The kernel's settings of a pooled connection's socket (not what was asked for: what the
    socket does)."""
    with db.engine.connect() as conn:
        fd = conn.connection.dbapi_connection.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            return {
                "keepalive": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                "idle": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                "interval": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
                "count": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
                "user_timeout_ms": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
            }


def test_a_connection_whose_peer_goes_silent_is_given_up_within_about_a_minute(pg_engine_db):
    """Without these, a thread waiting on a cut network waits 2 h 11 min (the kernel's
    defaults, seen here: first probe after 7,200 s idle, 9 probes 75 s apart) and
    unacknowledged data is retried for about 15 minutes."""
    assert tcp_options(pg_engine_db) == {
        "keepalive": 1,
        "idle": 30,
        "interval": 10,
        "count": 3,
        "user_timeout_ms": 30_000,
    }


def test_a_database_url_that_sets_a_tcp_parameter_keeps_its_own_value():
    schema = pg_schema("engines")
    url = pg_url_for_worker(PG_URL, schema, required=IN_CI)
    sep = "&" if "?" in url else "?"
    db = Database(f"{url}{sep}keepalives_idle=45&tcp_user_timeout=5000", pool_size=1)
    try:
        options = tcp_options(db)
    finally:
        db.dispose()
        drop_pg_schema(PG_URL, schema)
    assert (options["idle"], options["user_timeout_ms"]) == (45, 5000)
    assert (options["interval"], options["count"]) == (10, 3)  # the rest as by default
