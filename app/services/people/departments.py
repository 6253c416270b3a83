"""Departments (部门): the fixed list every deployment starts with, found by code."""

from __future__ import annotations

from sqlmodel import Session, select

from models.people import Department

DEPARTMENTS = [
    ("sales", "销售部"),
    ("engineering", "技术部"),
    ("production", "生产部"),
    ("procurement", "采购部"),
    ("quality", "质检部"),
    ("logistics", "物流部"),
    ("warehouse", "仓库"),
    ("site", "工程部"),
    ("management", "管理层"),
]


def get_department(*, session: Session, code: str) -> Department | None:
    """The department with this code, or None."""
    return session.exec(select(Department).where(Department.code == code)).first()


def list_departments(*, session: Session) -> list[Department]:
    """All departments, in a stable order."""
    return list(session.exec(select(Department).order_by(Department.id)).all())
