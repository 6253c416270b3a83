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
    return f"{base_url}{sep}options={quote(f'-csearch_path={schema}')}"


def migrate(db) -> None:
    """Build the schema the way production does: run every Alembic migration."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    seed_reference(db)


def seed_reference(db) -> None:
    from app.services.actor import Actor, bind_actor
    from app.services.reference import ensure_reference_data
    from models.enums import Channel

    with db.session() as s:
        bind_actor(s, Actor.system(Channel.cli))
        ensure_reference_data(session=s)
        s.commit()


def reset_tables(db) -> None:
    """Empty every table and re-insert reference data.

    DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of 59 tables costs about 450 ms (it rewrites
    every relation), DELETE of mostly empty tables plus sequence restarts about 20 ms, sent as one
    batch in one round trip. Ids restart at 1 on both engines (SQLite does so by itself for
    tables without AUTOINCREMENT once they are empty).
    """
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in _tables():
                conn.exec_driver_sql(f'DELETE FROM "{name}"')
        else:
            conn.exec_driver_sql(_pg_reset_script(db))
    seed_reference(db)


def _tables() -> list[str]:
    import models  # noqa: F401

    return [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEEP]


_PG_SCRIPTS: dict[str, str] = {}


def _pg_reset_script(db) -> str:
    """DELETE from every table (children first), then set every sequence of the schema back to 1."""
    if db.url not in _PG_SCRIPTS:
        with db.engine.connect() as conn:
            sequences = conn.execute(
                text(
                    "SELECT sequence_name FROM information_schema.sequences"
                    " WHERE sequence_schema = current_schema()"
                )
            ).scalars()
            restart = ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)
        deletes = [f'DELETE FROM "{name}"' for name in _tables()]
        _PG_SCRIPTS[db.url] = ";\n".join([*deletes, f"SELECT {restart}"])
    return _PG_SCRIPTS[db.url]
