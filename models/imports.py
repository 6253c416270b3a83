"""Results of the order import (ERP hand-over)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class OrderImportRow(SQLModel):
    row: int = Field(description="表格中的行号")
    contract_no: str
    action: str = Field(description="created 新建 / updated 更新")
    order_id: int
    code: str


class OrderImportResult(SQLModel):
    dry_run: bool
    created: int
    updated: int
    rejected: int
    rows: list[OrderImportRow]
