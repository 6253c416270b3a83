"""Demo production, inspection and shipment data for GD-DEMO-03 and GD-DEMO-04, made through
the services like everything else in the demo."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from app.services.core import local_date
from app.services.production import create_operation, report_output, set_operation_blocked
from app.services.shipping import (
    advance_shipment,
    checks_of,
    create_shipment,
    delete_site_check,
    record_inspection,
    set_site_check,
)
from models.enums import SiteCheckKind
from models.production import OperationCreate
from models.quality import InspectionCreate
from models.shipments import ShipmentAdvance, ShipmentCreate

# name, unit, planned quantity, planned start and end (days from today), upstream names
PLAN = [
    ("下料", "件", 120, -6, 3, []),
    ("焊接", "件", 120, -4, 9, ["下料"]),
    ("机加工", "件", 40, -5, 8, ["下料"]),
    ("热处理", "炉", 4, 9, 14, ["焊接"]),
    ("装配", "台", 2, 14, 20, ["热处理", "机加工"]),
    ("试压", "台", 2, 20, 22, ["装配"]),
    ("涂装", "台", 2, 22, 25, ["试压"]),
]
# What each operation produced per past day (GD-DEMO-03): welding falls behind.
OUTPUT = {
    "下料": [12, 14, 12, 13, 12, 12],
    "焊接": [0, 0, 4, 3, 5, 2],
    "机加工": [3, 4, 3, 4, 3, 3],
}


def _plan(session: Session, actor, order_id: int, now: datetime, shift: int) -> dict[str, int]:
    today, ids = local_date(now), {}
    for name, unit, qty, start, end, upstream in PLAN:
        op = create_operation(
            session=session,
            actor=actor,
            order_id=order_id,
            now=now,
            data=OperationCreate(
                name=name,
                unit=unit,
                planned_qty=qty,
                planned_start=today + timedelta(days=start + shift),
                planned_end=today + timedelta(days=end + shift),
                depends_on=[ids[u] for u in upstream],
            ),
        )
        ids[name] = op.id
    return ids


def _report(session: Session, actor, order_id: int, op_id: int, day, qty: float, now) -> None:
    report_output(
        session=session,
        actor=actor,
        order_id=order_id,
        operation_id=op_id,
        day=day,
        quantity=qty,
        now=now,
    )


def production_in_progress(session: Session, actors: dict, order_id: int, now: datetime) -> None:
    """Operations with six days of output in which welding visibly lags (the bottleneck)."""
    lead = actors["wu.shengchan"]
    ids = _plan(session, lead, order_id, now, shift=0)
    today = local_date(now)
    for name, per_day in OUTPUT.items():
        for back, qty in enumerate(reversed(per_day), start=1):
            _report(session, lead, order_id, ids[name], today - timedelta(days=back), qty, now)
    set_operation_blocked(
        session=session,
        actor=lead,
        order_id=order_id,
        operation_id=ids["机加工"],
        blocked=True,
        reason="数控镗床主轴故障，等待厂家维修",
        now=now,
    )


def production_finished(session: Session, actors: dict, order_id: int, now: datetime) -> None:
    """Operations planned a month ago, each reported complete on its planned end day."""
    lead = actors["wu.shengchan"]
    ids = _plan(session, lead, order_id, now, shift=-30)
    today = local_date(now)
    for name, _unit, qty, _start, end, _up in PLAN:
        _report(session, lead, order_id, ids[name], today + timedelta(days=end - 30), qty, now)


def shipment_in_transit(session: Session, actors: dict, order_id: int, now: datetime) -> None:
    """A passed inspection and a remote-site shipment on the road."""
    _inspect(session, actors, order_id, now)
    _ship(session, actors["feng.wuliu"], order_id, now)


def _inspect(session: Session, actors: dict, order_id: int, now: datetime) -> None:
    record_inspection(
        session=session,
        actor=actors["zheng.zhijian"],
        order_id=order_id,
        now=now,
        data=InspectionCreate(
            kind="sampling",
            lot_no="GD04-L1",
            lot_size=2,
            sample_size=2,
            passed_qty=2,
            failed_qty=0,
            result="pass",
            inspected_at=now - timedelta(days=2),
            note="外观、尺寸、试压记录齐全",
        ),
    )


def _ship(session: Session, logistics, order_id: int, now: datetime) -> None:
    today = local_date(now)
    shipment = create_shipment(
        session=session,
        actor=logistics,
        order_id=order_id,
        now=now,
        data=ShipmentCreate(
            destination="内蒙古包头 西部矿业二号矿区",
            remote_site=True,
            packaging="钢架底座 + 防雨布整体包装",
            handling="25 吨吊车卸货，吊点见包装标识",
            insurer="中国人保财险",
            policy_no="PICC-2026-0417",
            insured_amount=1_200_000,
            carrier="中联重型物流",
            vehicle_plate="陕A·D4512",
            driver_name="马师傅",
            driver_phone="13912345678",
            lifting_capacity_t=25,
            planned_dispatch=today - timedelta(days=1),
            planned_arrival=today + timedelta(days=2),
        ),
    )
    for check in checks_of(session=session, shipment_ids=[shipment.id])[shipment.id]:
        kwargs = {"session": session, "actor": logistics, "order_id": order_id}
        if check.kind == SiteCheckKind.customs:  # a domestic site: no customs papers
            delete_site_check(**kwargs, check_id=check.id)
        else:
            set_site_check(**kwargs, check_id=check.id, done=True)
    advance_shipment(
        session=session,
        actor=logistics,
        order_id=order_id,
        shipment_id=shipment.id,
        data=ShipmentAdvance(status="in_transit", note="已出厂，预计后天到达"),
        now=now,
    )
