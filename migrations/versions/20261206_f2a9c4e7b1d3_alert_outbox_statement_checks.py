"""alerts and outbox: references checked once per statement on PostgreSQL

PostgreSQL checks a declared foreign key row by row (a query and a row lock per row): about 6 µs
of a first sweep's open item went to the four checks of alert (order, owner) and outbox (group,
order). Here they become statement triggers over the transition tables, with the same meaning:
the rows a statement wrote are checked together (their parents locked FOR KEY SHARE, then
looked up), and deleting a parent does what the constraint's ON DELETE did (alert -> orders
CASCADE, alert -> users NO ACTION, outbox -> chat_group CASCADE, outbox -> orders SET NULL).
Changing a parent's id while it is referenced is refused. SQLite keeps the declared keys.

Revision ID: f2a9c4e7b1d3
Revises: e4b7c2d9f1a3
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f2a9c4e7b1d3"
down_revision: str | None = "e4b7c2d9f1a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (constraint, child table, column, parent table, ON DELETE)
KEYS = (
    ("alert_order_id_fkey", "alert", "order_id", "orders", "CASCADE"),
    ("alert_owner_id_fkey", "alert", "owner_id", "users", "NO ACTION"),
    ("outbox_group_id_fkey", "outbox", "group_id", "chat_group", "CASCADE"),
    ("outbox_order_id_fkey", "outbox", "order_id", "orders", "SET NULL"),
)


def _violation(table: str, name: str) -> str:
    return f"""RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "{table}" violates foreign key "{name}"',
            TABLE = '{table}', CONSTRAINT = '{name}';"""


def _check(child: str) -> str:
    """The checks of what is written to `child`. An INSERT's rows are checked together: the
    parents they name are locked (a concurrent delete waits for this transaction, or has
    already removed the row), then any that is missing refuses the statement. An UPDATE that
    changes a reference (none of Gendan's do) is checked row by row."""
    keys = [(name, column, parent) for name, table, column, parent, _ in KEYS if table == child]
    together = "".join(
        f"""
    PERFORM 1 FROM {parent} p WHERE p.id IN (SELECT {column} FROM written) FOR KEY SHARE;
    IF EXISTS (
        SELECT 1 FROM written w
        WHERE w.{column} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = w.{column})
    ) THEN
        {_violation(child, name)}
    END IF;"""
        for name, column, parent in keys
    )
    one = "".join(
        f"""
    IF NEW.{column} IS DISTINCT FROM OLD.{column} AND NEW.{column} IS NOT NULL THEN
        PERFORM 1 FROM {parent} p WHERE p.id = NEW.{column} FOR KEY SHARE;
        IF NOT FOUND THEN
            {_violation(child, name)}
        END IF;
    END IF;"""
        for name, column, parent in keys
    )
    columns = ", ".join(column for _, column, _ in keys)
    return f"""
CREATE FUNCTION {child}_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{together}
    RETURN NULL;
END $$;
CREATE TRIGGER {child}_references_on_insert AFTER INSERT ON {child}
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT
    EXECUTE FUNCTION {child}_references_exist();
CREATE FUNCTION {child}_reference_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{one}
    RETURN NEW;
END $$;
CREATE TRIGGER {child}_references_on_update BEFORE UPDATE OF {columns} ON {child}
    FOR EACH ROW EXECUTE FUNCTION {child}_reference_exists();
"""


def _on_delete(parent: str) -> str:
    """What deleting rows of `parent` does to the rows that name them."""
    body = []
    for name, table, column, key_parent, action in KEYS:
        if key_parent != parent:
            continue
        if action == "CASCADE":
            body.append(f"    DELETE FROM {table} WHERE {column} IN (SELECT id FROM gone);")
        elif action == "SET NULL":
            body.append(
                f"    UPDATE {table} SET {column} = NULL WHERE {column} IN (SELECT id FROM gone);"
            )
        else:
            body.append(
                f"""    IF EXISTS (
        SELECT 1 FROM {table} c WHERE c.{column} IN (SELECT id FROM gone)
    ) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'update or delete on table "{parent}" violates foreign key "{name}" '
                || 'on table "{table}"',
            TABLE = '{parent}', CONSTRAINT = '{name}';
    END IF;"""
            )
    checks = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} c WHERE c.{column} = OLD.id)"
        for _, table, column, key_parent, _ in KEYS
        if key_parent == parent
    )
    return f"""
CREATE FUNCTION {parent}_referenced_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{chr(10).join(body)}
    RETURN NULL;
END $$;
CREATE TRIGGER {parent}_referenced_on_delete AFTER DELETE ON {parent}
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION {parent}_referenced_gone();
CREATE FUNCTION {parent}_referenced_id_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {checks} THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'the id of a referenced row of "{parent}" cannot change',
            TABLE = '{parent}';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER {parent}_referenced_id_change BEFORE UPDATE OF id ON {parent}
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION {parent}_referenced_id_kept();
"""


CHILDREN = ("alert", "outbox")
PARENTS = ("orders", "users", "chat_group")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, *_ in KEYS:
        op.drop_constraint(name, table, type_="foreignkey")
    for child in CHILDREN:
        op.execute(_check(child))
    for parent in PARENTS:
        op.execute(_on_delete(parent))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for parent in PARENTS:
        op.execute(f"DROP TRIGGER {parent}_referenced_on_delete ON {parent}")
        op.execute(f"DROP TRIGGER {parent}_referenced_id_change ON {parent}")
        op.execute(f"DROP FUNCTION {parent}_referenced_gone()")
        op.execute(f"DROP FUNCTION {parent}_referenced_id_kept()")
    for child in CHILDREN:
        op.execute(f"DROP TRIGGER {child}_references_on_insert ON {child}")
        op.execute(f"DROP TRIGGER {child}_references_on_update ON {child}")
        op.execute(f"DROP FUNCTION {child}_references_exist()")
        op.execute(f"DROP FUNCTION {child}_reference_exists()")
    for name, table, column, parent, action in KEYS:
        op.create_foreign_key(name, table, parent, [column], ["id"], ondelete=action)
