"""One exception key: a finding, the alert row it becomes and the SQL grouping agree."""

from __future__ import annotations

from sqlalchemy.orm import aliased

from app.services.alerts.rules import Finding
from models.alerts import (
    ALERT_KEY,
    EXCEPTION_KEY,
    Alert,
    exception_columns,
    exception_key,
    same_exception,
)
from models.enums import RiskLevel


def _finding(level=RiskLevel.high) -> Finding:
    return Finding(
        entity_type="stage",
        entity_id=7,
        order_id=3,
        level=level,
        owner_id=None,
        message="逾期",
        rule="stage_overdue",
    )


def test_a_finding_and_its_alert_row_have_the_same_key():
    alert = Alert(rule="stage_overdue", entity_type="stage", entity_id=7, order_id=3, level="high")
    row = tuple(getattr(alert, name) for name in EXCEPTION_KEY)
    assert _finding().key == exception_key(*row) == ("stage_overdue", "stage", 7, 3, "high")


def test_another_level_is_another_exception_and_the_day_only_another_reminder():
    assert _finding(RiskLevel.high).key != _finding(RiskLevel.medium).key
    assert (*EXCEPTION_KEY, "day") == ALERT_KEY


def test_the_sql_grouping_uses_the_same_columns():
    assert [c.key for c in exception_columns()] == list(EXCEPTION_KEY)
    earlier = aliased(Alert)
    clause = str(same_exception(earlier, Alert))
    for name in EXCEPTION_KEY:
        assert f"alert.{name}" in clause
    assert "day" not in clause
