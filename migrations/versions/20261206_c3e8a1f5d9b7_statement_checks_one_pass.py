"""alerts and outbox: a statement's references gathered in one pass over its rows

The statement triggers of f2a9c4e7b1d3 read the statement's rows (a tuplestore, on disk once it
outgrows work_mem) four times per table, twice per reference: once to lock the parents, once
more to look each row's parent up (one index probe per row, 278,607 per table at 1M open
items). At 1M items the eight queries took 2.4 s of a 19 s first sweep.

Now one scan gathers each reference's distinct values; the parents named are locked FOR KEY
SHARE by id and counted: fewer found than named means one is missing, and the statement is
refused. The meaning is unchanged: the same writes are refused, a concurrent delete of a parent
waits for this transaction, and a write naming a parent whose delete committed meanwhile is
refused (the lock skips the deleted row, so the count falls short).

Revision ID: c3e8a1f5d9b7
Revises: b5d1e8a2c7f4
Create Date: 2026-12-06 13:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3e8a1f5d9b7"
down_revision: str | None = "b5d1e8a2c7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# child table: its (constraint, column, parent table), as in f2a9c4e7b1d3
KEYS = {
    "alert": (
        ("alert_order_id_fkey", "order_id", "orders"),
        ("alert_owner_id_fkey", "owner_id", "users"),
    ),
    "outbox": (
        ("outbox_group_id_fkey", "group_id", "chat_group"),
        ("outbox_order_id_fkey", "order_id", "orders"),
    ),
}


def _violation(table: str, name: str) -> str:
    return f"""RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "{table}" violates foreign key "{name}"',
            TABLE = '{table}', CONSTRAINT = '{name}';"""


def _one_pass(child: str) -> str:
    keys = KEYS[child]
    variables = "".join(f"\n    named_{column} integer[];" for _, column, _ in keys)
    gathered = ",\n           ".join(
        f"array_agg(DISTINCT {column}) FILTER (WHERE {column} IS NOT NULL)" for _, column, _ in keys
    )
    into = ", ".join(f"named_{column}" for _, column, _ in keys)
    checks = "".join(
        f"""
    IF named_{column} IS NOT NULL THEN
        SELECT count(*) INTO found
        FROM (SELECT 1 FROM {parent} p WHERE p.id = ANY (named_{column}) FOR KEY SHARE) locked;
        IF found < cardinality(named_{column}) THEN
            {_violation(child, name)}
        END IF;
    END IF;"""
        for name, column, parent in keys
    )
    return f"""
CREATE OR REPLACE FUNCTION {child}_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE{variables}
    found bigint;
BEGIN
    SELECT {gathered}
      INTO {into}
      FROM written;{checks}
    RETURN NULL;
END $$;
"""


def _two_passes(child: str) -> str:
    """The function as f2a9c4e7b1d3 made it."""
    checks = "".join(
        f"""
    PERFORM 1 FROM {parent} p WHERE p.id IN (SELECT {column} FROM written) FOR KEY SHARE;
    IF EXISTS (
        SELECT 1 FROM written w
        WHERE w.{column} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = w.{column})
    ) THEN
        {_violation(child, name)}
    END IF;"""
        for name, column, parent in KEYS[child]
    )
    return f"""
CREATE OR REPLACE FUNCTION {child}_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{checks}
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for child in KEYS:
        op.execute(_one_pass(child))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for child in KEYS:
        op.execute(_two_passes(child))
