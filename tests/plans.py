"""The plan the database chose for the statements a piece of code ran, for tests that pin an
index (plans are deterministic; times are left to bench/)."""

from __future__ import annotations

import json

from sqlalchemy import event


def plans_of(session, run, *, containing: str, engine=None) -> list[str]:
    """Run `run()`, then EXPLAIN each statement it ran on `engine` (the session's by default;
    an app's own, for requests) whose SQL contains `containing`, on the session's connection
    with the same parameters. PostgreSQL is told to avoid sequential scans (a table of a few
    test rows is read whole otherwise): the plan then shows whether an index can serve the
    statement at all. Each plan comes back as one string."""
    engine = engine or session.get_bind()
    ran: list[tuple[str, object]] = []

    def listener(_conn, _cursor, statement, params, _context, _many):
        if containing in statement:
            ran.append((statement, params))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert ran, f"no statement containing {containing!r} ran"
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        return [
            " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", p))
            for sql, p in ran
        ]
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    out = []
    for sql, params in ran:
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).scalar()
        out.append(json.dumps(plan if not isinstance(plan, str) else json.loads(plan)))
    return out
