"""/api/orders/<id>/bom: BOM lines, import from CSV/XLSX, label sheets; the order's label."""

from __future__ import annotations

import csv
import io

from flask import Response
from flask_openapi3 import FileStorage, Tag
from pydantic import BaseModel, ConfigDict, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.api.label_files import LabelQuery, pdf_response, png_response
from app.services import procurement as svc
from app.services.core import TEMPLATE
from app.services.procurement import bom_public, import_bom
from models.bom import BomImportResult, BomLineCreate, BomLinePublic, BomLineUpdate, BomList
from scanning.label_sheet import SheetLayout

bp = APIBlueprint(
    "api_bom",
    __name__,
    url_prefix="/api/orders/<int:order_id>",
    abp_tags=[Tag(name="BOM 物料清单")],
    abp_security=SECURITY,
)


class LinePath(OrderPath):
    line_id: int


class BomImportForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: FileStorage = Field(description="BOM 文件：CSV（UTF-8 或 GBK）或 XLSX")
    create_materials: bool = Field(default=True, description="新物料编码自动建档")
    dry_run: bool = Field(default=False, description="只检查不导入")


class SheetQuery(LabelQuery):
    rows: int = Field(default=8, ge=1, le=20, description="每页行数")
    columns: int = Field(default=3, ge=1, le=20, description="每页列数")


def _line(session, line) -> BomLinePublic:
    return bom_public(session, [line])[0]


@bp.get("/bom", responses={200: BomList})
def index(path: OrderPath):
    """The order's BOM with received, issued and purchase lines."""
    actor, session = current_actor(), db_session()
    lines = svc.list_bom(session=session, actor=actor, order_id=path.order_id)
    return ok(BomList(items=bom_public(session, lines)))


@bp.post("/bom", responses={201: BomLinePublic})
def add(path: OrderPath, body: BomLineCreate):
    """Add a material to the BOM (buyers, trackers)."""
    actor, session = current_actor(), db_session()
    line = svc.add_bom_line(session=session, actor=actor, order_id=path.order_id, data=body)
    commit()
    return ok(_line(session, line), 201)


@bp.patch("/bom/<int:line_id>", responses={200: BomLinePublic})
def update(path: LinePath, body: BomLineUpdate):
    """Change a BOM line's quantity, need date, warning days or note."""
    actor, session = current_actor(), db_session()
    line = svc.update_bom_line(
        session=session, actor=actor, order_id=path.order_id, line_id=path.line_id, data=body
    )
    commit()
    return ok(_line(session, line))


@bp.delete("/bom/<int:line_id>", responses={204: None})
def delete(path: LinePath):
    """Remove a BOM line nothing was received, issued or bought for."""
    actor, session = current_actor(), db_session()
    svc.delete_bom_line(session=session, actor=actor, order_id=path.order_id, line_id=path.line_id)
    commit()
    return ok()


@bp.post("/bom/import", responses={200: BomImportResult})
def import_file(path: OrderPath, form: BomImportForm):
    """Import a BOM file: every row checked, then all rows imported or none (errors listed)."""
    actor, session = current_actor(), db_session()
    result = import_bom(
        session=session,
        actor=actor,
        order_id=path.order_id,
        data=form.file.read(),
        create_materials=form.create_materials,
    )
    if form.dry_run:
        session.rollback()
    else:
        commit()
    return ok(result.model_copy(update={"dry_run": form.dry_run}))


@bp.get("/bom/template.csv")
def template(path: OrderPath):
    """An empty BOM import file with the column headers (UTF-8 with BOM, opens in Excel)."""
    current_actor()
    buffer = io.StringIO()
    csv.writer(buffer).writerow(TEMPLATE)
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="bom-template.csv"'
    return response


@bp.get("/bom/labels.pdf")
def sheet(path: OrderPath, query: SheetQuery):
    """An A4 PDF of labels, one per BOM line, each carrying the order's code."""
    actor, session = current_actor(), db_session()
    data = svc.bom_sheet(
        session=session,
        actor=actor,
        order_id=path.order_id,
        symbology=query.symbology,
        layout=SheetLayout(rows=query.rows, columns=query.columns),
    )
    return pdf_response(data, f"order-{path.order_id}-labels.pdf")


@bp.get("/label.png")
def order_label(path: OrderPath, query: LabelQuery):
    """A PNG label for the order itself."""
    actor, session = current_actor(), db_session()
    data = svc.order_label(
        session=session, actor=actor, order_id=path.order_id, symbology=query.symbology
    )
    return png_response(data, f"order-{path.order_id}.png")
