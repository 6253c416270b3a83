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
    """Empty every table and re-insert reference data."""
    import models  # noqa: F401

    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEEP]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            # Without AUTOINCREMENT, SQLite restarts ids at 1 once a table is empty.
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            names = ", ".join(f'"{n}"' for n in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    seed_reference(db)
