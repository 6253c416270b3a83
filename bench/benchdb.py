"""Throw-away benchmark databases: a SQLite file, or a schema of its own on PostgreSQL.

PostgreSQL is the server at BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test);
the schema is created for the run and dropped afterwards, whatever happens.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

from app.db import Database, normalise_url

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ENGINES = ("sqlite", "postgresql")


@contextmanager
def bench_database(engine: str, name: str) -> Iterator[Database]:
    """A migrated, empty database on `engine`, removed when the block ends."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as folder:
            db = Database(f"sqlite:///{folder}/bench.db")
            try:
                migrate(db)
                yield db
            finally:
                db.dispose()
        return
    schema = f"{name}_{os.getpid()}"
    _admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    db = Database(f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}")
    try:
        migrate(db)
        yield db
    finally:
        db.dispose()
        _admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _admin(*statements: str) -> None:
    engine = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def migrate(db: Database) -> None:
    """Build the schema with the Alembic migrations, as production does."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def postgres_available() -> bool:
    """Whether the benchmark PostgreSQL server answers."""
    try:
        _admin("SELECT 1")
    except Exception:
        return False
    return True
