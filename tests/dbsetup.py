"""Creating, migrating and emptying the test databases."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from app.db import normalise_url

ROOT = Path(__file__).resolve().parent.parent
KEEP = {"alembic_version"}


def pg_schema(worker: str) -> str:
    """A schema name no other test run on this server uses (worktrees run side by side)."""
    return f"gendan_{worker}_{os.getpid()}".lower()


def drop_pg_schema(base_url: str, schema: str) -> None:
    admin = create_engine(normalise_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


def pg_url_for_worker(base_url: str, schema: str, *, required: bool) -> str:
    """A fresh schema on the PostgreSQL server; skip (or fail in CI) when the server is down."""
    admin = create_engine(normalise_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        message = f"PostgreSQL at {base_url} is not reachable: {exc.orig}"
        if required:
            pytest.fail(message + " (CI=true: PostgreSQL is required)", pytrace=False)
        pytest.skip(message)
    finally:
        admin.dispose()
    sep = "&" if "?" in base_url else "?"
    # Test data need not survive a crash: commits skip the WAL flush (several ms each).
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    return f"{base_url}{sep}options={quote(options)}"


def migrate(db) -> None:
    """Build the schema the way production does: run every Alembic migration."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    seed_reference(db)
    _BASELINES[db.url] = Snapshot(db)


def seed_reference(db) -> None:
    from app.services.core import Actor, bind_actor
    from app.services.reference import ensure_reference_data
    from models.enums import Channel

    with db.session() as s:
        bind_actor(s, Actor.system(Channel.cli))
        ensure_reference_data(session=s)
        s.commit()


def reset_tables(db) -> None:
    """Put the database back to what `migrate` left: reference data only, ids from the start.

    Most tests touch a handful of the 60 tables, so one query finds the tables that are not as
    migrated and only those are emptied (children first), their reference rows (departments,
    templates, contingency plans) put back as they were and their sequences restarted. On
    PostgreSQL that is about 5 ms a test where TRUNCATE of every table took about 450 ms and
    DELETE of every table 50 ms.
    """
    restore(db, _BASELINES[db.url])


def snapshot(db) -> Snapshot:
    """The content of every table now, for `restore` to put back (the fuzz tests start every
    call sequence from the same demo data, so that hypothesis can replay one)."""
    return Snapshot(db)


def restore(db, baseline: Snapshot) -> None:
    """Put every table back to what `baseline` saw, and the id sequences after its rows."""
    with db.engine.begin() as conn:
        changed = baseline.changed(conn)
        if not db.is_sqlite:
            baseline.restart_sequences(conn, changed)
        for table in baseline.order:
            if table.name in changed:
                conn.execute(table.delete())
        for table in reversed(baseline.order):
            rows = baseline.rows.get(table.name)
            if table.name in changed and rows:
                conn.execute(table.insert(), rows)


class Snapshot:
    """The content of every table of one database at one moment (as migrated and seeded, or a
    snapshot), and what putting it back needs."""

    def __init__(self, db):
        import models  # noqa: F401

        # children before parents, so that deleting in this order never breaks a foreign key
        self.order = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEEP]
        with db.engine.connect() as conn:
            self.rows = {t.name: rows for t in self.order if (rows := _rows(conn, t))}
            self.sequences = {} if db.is_sqlite else self._sequences(conn)
            # One round trip tells what changed: for a table that should be empty, whether it
            # has rows; for one with rows, a fingerprint of its content in primary-key order.
            self.probe = " UNION ALL ".join(
                _fingerprint(t, db.is_sqlite)
                if t.name in self.rows
                else f"SELECT '{t.name}', NULL WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                for t in self.order
            )
            self.prints = {
                name: value for name, value in conn.exec_driver_sql(self.probe) if value is not None
            }
        # Putting a reference table back means deleting its rows first, and with them the rows
        # of the reference tables that point at it (contingency steps point at their plans).
        self.children: dict[str, set[str]] = {t.name: set() for t in self.order}
        for table in self.order:
            for key in table.foreign_keys:
                parent = key.column.table.name
                if parent in self.children and table.name in self.rows:
                    self.children[parent].add(table.name)

    def _sequences(self, conn) -> dict[str, tuple[str, str]]:
        found = {}
        for table in self.order:
            for column in table.primary_key:
                name = conn.exec_driver_sql(
                    f"SELECT pg_get_serial_sequence('\"{table.name}\"', '{column.name}')"
                ).scalar()
                if name:
                    found[table.name] = (name, column.name)
        return found

    def changed(self, conn) -> set[str]:
        names = {
            name
            for name, value in conn.exec_driver_sql(self.probe)
            if value is None or value != self.prints[name]
        }
        todo = list(names)
        while todo:
            for child in self.children[todo.pop()] - names:
                names.add(child)
                todo.append(child)
        return names

    def restart_sequences(self, conn, changed: set[str]) -> None:
        """Set back the sequences of the tables put back, and any other that moved: an insert
        that was rolled back leaves its table as it was but its sequence one on."""
        expected = {}
        for name, (sequence, column) in self.sequences.items():
            last = max((row[column] for row in self.rows.get(name, ())), default=0)
            expected[sequence] = (max(last, 1), bool(last))
        moved = conn.exec_driver_sql(
            " UNION ALL ".join(
                f"SELECT '{sequence}', last_value, is_called FROM {sequence}"
                for sequence in expected
            )
        ).all()
        reset = {self.sequences[name][0] for name in changed if name in self.sequences}
        reset |= {
            sequence for sequence, value, called in moved if expected[sequence] != (value, called)
        }
        if reset:
            calls = [
                f"setval('{seq}', {expected[seq][0]}, {expected[seq][1]})" for seq in sorted(reset)
            ]
            conn.exec_driver_sql("SELECT " + ", ".join(calls))


def _fingerprint(table, sqlite: bool) -> str:
    """A query giving the table's name and its content as one value (NULL when empty)."""
    key = ", ".join(f'"{c.name}"' for c in table.primary_key)
    if sqlite:
        row = " || ',' || ".join(f'quote("{c.name}")' for c in table.columns)
        rows = f'SELECT {row} AS r FROM "{table.name}" ORDER BY {key}'
        return f"SELECT '{table.name}', (SELECT group_concat(r, char(30)) FROM ({rows}))"
    content = f"string_agg(row_.*::text, chr(30) ORDER BY {key})"
    return f"SELECT '{table.name}', md5({content}) FROM \"{table.name}\" row_"


def _rows(conn, table) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(table.select().order_by(*table.primary_key))]


_BASELINES: dict[str, Snapshot] = {}
