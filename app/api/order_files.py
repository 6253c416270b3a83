"""/api/orders/import and /api/orders/export.xlsx: the ERP hand-over and the order report."""

from __future__ import annotations

import csv
import io

from flask import Response
from flask_openapi3 import FileStorage, Tag
from pydantic import BaseModel, ConfigDict, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services.insight import export_orders
from app.services.orders import ORDER_TEMPLATE, import_orders
from models.enums import OrderStatus
from models.imports import OrderImportResult

bp = APIBlueprint(
    "api_order_files",
    __name__,
    url_prefix="/api/orders",
    abp_tags=[Tag(name="订单导入导出")],
    abp_security=SECURITY,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OrderImportForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: FileStorage = Field(description="订单文件：CSV（UTF-8 或 GBK）或 XLSX")
    dry_run: bool = Field(default=False, description="只检查不导入")


class ExportQuery(BaseModel):
    status: OrderStatus | None = None


@bp.post("/import", responses={200: OrderImportResult})
def import_file(form: OrderImportForm):
    """Import orders: each row checked, then all imported or none; existing contract numbers
    update their order, new ones create orders."""
    session = db_session()
    result = import_orders(session=session, actor=current_actor(), data=form.file.read())
    if form.dry_run:
        session.rollback()
    else:
        commit()
    return ok(result.model_copy(update={"dry_run": form.dry_run}))


@bp.get("/import/template.csv")
def template():
    """An empty order import file with the column headers (UTF-8 with BOM, opens in Excel)."""
    current_actor()
    buffer = io.StringIO()
    csv.writer(buffer).writerow(ORDER_TEMPLATE)
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="orders-template.csv"'
    return response


@bp.get("/export.xlsx")
def export(query: ExportQuery):
    """The order report: progress, stage dates, cost and payment summary per order (XLSX)."""
    data = export_orders(session=db_session(), actor=current_actor(), status=query.status)
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = 'attachment; filename="orders.xlsx"'
    return response
