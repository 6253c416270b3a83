"""Task targets for the scheduler tests: plain functions the jobs call by reference."""

from __future__ import annotations

CALLS: list[dict] = []


def record(*, db, now, services, group_id=None):
    CALLS.append({"db": db, "now": now, "services": services, "group_id": group_id})


def fail(*, db, now, services, group_id=None):
    raise RuntimeError("目标失败")
