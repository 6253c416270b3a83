"""Command-line imports (the ERP hand-over): orders and BOMs from CSV or XLSX files, with a
progress bar and a summary of what was created, updated and rejected."""

from __future__ import annotations

from pathlib import Path

import click

from app.services.core import Actor
from models.enums import Channel
from models.errors import DomainError


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


def _refused(exc: DomainError, rows: int | None = None) -> click.ClickException:
    """Every problem of a refused file, then the summary line."""
    for problem in exc.details.get("errors", []):
        click.echo(f"  第 {problem['row']} 行 {problem['column']}：{problem['reason']}", err=True)
    rejected = exc.details.get("rejected", rows or 0)
    return click.ClickException(f"{exc.message}\n新建 0，更新 0，拒绝 {rejected} 行")


def register_import_cli(app, cli_session) -> None:
    @app.cli.command("import-orders")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    def import_orders_cmd(file):
        """Import orders from a CSV or XLSX file (all rows or none; contract number decides
        between updating an order and creating one)."""
        from app.services.core import read_table
        from app.services.orders import ORDER_LAYOUT, import_orders

        data = _read(file)
        try:
            total = len(read_table(data, ORDER_LAYOUT).rows)
            with cli_session() as session, click.progressbar(length=total, label="导入订单") as bar:
                result = import_orders(
                    session=session,
                    actor=Actor.system(Channel.cli),
                    data=data,
                    progress=lambda: bar.update(1),
                )
        except DomainError as exc:
            raise _refused(exc) from exc
        click.echo(f"新建 {result.created}，更新 {result.updated}，拒绝 {result.rejected} 行")

    @app.cli.command("import-bom")
    @click.argument("order_code")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--no-create-materials", is_flag=True, help="物料编码不存在时报错，不自动建档")
    def import_bom_cmd(order_code, file, no_create_materials):
        """Import an order's BOM from a CSV or XLSX file (all rows or none)."""
        from app.services.core import read_table
        from app.services.orders import find_order_by_code
        from app.services.procurement import import_bom

        data = _read(file)
        actor = Actor.system(Channel.cli)
        try:
            total = len(read_table(data).rows)
            with cli_session() as session, click.progressbar(length=total, label="导入 BOM") as bar:
                order = find_order_by_code(session=session, actor=actor, code=order_code)
                result = import_bom(
                    session=session,
                    actor=actor,
                    order_id=order.id,
                    data=data,
                    create_materials=not no_create_materials,
                    progress=lambda: bar.update(1),
                )
        except DomainError as exc:
            raise _refused(exc, len({p["row"] for p in exc.details.get("errors", [])})) from exc
        for warning in result.warnings:
            click.echo(f"  提示：第 {warning.row} 行 {warning.column}：{warning.reason}")
        created = (
            f"（新建物料 {len(result.created_materials)} 个）" if result.created_materials else ""
        )
        click.echo(f"新建 {result.added}，更新 {result.updated}，拒绝 0 行{created}")
