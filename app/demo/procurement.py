"""Procurement demo data: suppliers, materials, BOMs, purchase lines and receipts.

GD-DEMO-03 (procurement running) is left with shortages of every kind (a key material
promised too late, a delayed valve, an overdue flange, gaskets not yet confirmed) and with
one receivable scan: the gasket supplier's EAN 6901234567892 is bound to GASKET-DN150, so
`zhou.cangku` can receive it at once (see the README). GD-DEMO-04 has its BOM received.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, select

from app.services.core import local_date
from app.services.procurement import (
    add_bom_line,
    bind_alias,
    create_material,
    create_purchase_line,
    create_supplier,
    record_scan,
    set_purchase_status,
)
from models.bom import BomLineCreate
from models.materials import AliasCreate, MaterialCreate
from models.orders import Order
from models.purchasing import PurchaseLineCreate, PurchaseStatusIn
from models.scans import ScanIn
from models.suppliers import ContactIn, SupplierCreate

DEMO_EAN = "6901234567892"
_SCANS = uuid.UUID("5f0c7d3e-2a41-4c55-9d7e-0b6a1c2d3e4f")

SUPPLIERS = [
    ("宝山钢铁股份有限公司", "上海市宝山区", ("王经理", "销售经理", "021-26641234")),
    ("南京钢铁股份有限公司", "南京市六合区", ("陈主管", "销售主管", "025-57071234")),
    ("江苏神通阀门股份有限公司", "江苏省启东市", ("刘工", "技术支持", "13962800001")),
    ("上海电气集团上海电机厂", "上海市闵行区", ("赵经理", "项目经理", "13801600002")),
    ("河北永年紧固件有限公司", "河北省邯郸市", ("孙经理", "销售经理", "13931000003")),
]

# code, name, spec, unit, key, preferred supplier, backup supplier (indexes into SUPPLIERS)
MATERIALS = [
    ("Q345R-20", "压力容器钢板", "Q345R δ20mm", "吨", True, 0, 1),
    ("VALVE-DN150", "球阀", "DN150 PN25", "台", True, 2, None),
    ("MOTOR-75KW", "防爆电机", "YB3-280S-4 75kW", "台", True, 3, None),
    ("FLANGE-DN150", "带颈对焊法兰", "DN150 PN25", "件", False, 4, None),
    ("GASKET-DN150", "缠绕垫片", "DN150 PN25", "件", False, 4, None),
    ("BOLT-M20", "高强螺栓", "M20×80 10.9级", "套", False, 4, None),
]

# order, material, needed, need in days, warning days, purchase (status, quantity, promised
# in days, delayed to days), received
BOMS = [
    ("GD-DEMO-03", "Q345R-20", 12, 5, None, ("confirmed", 12, 8, None), 0),
    ("GD-DEMO-03", "VALVE-DN150", 6, 10, 14, ("confirmed", 6, 3, 16), 0),
    ("GD-DEMO-03", "MOTOR-75KW", 2, 20, None, ("in_transit", 2, 12, None), 0),
    ("GD-DEMO-03", "FLANGE-DN150", 24, -2, None, ("shipped", 8, -3, None), 10),
    ("GD-DEMO-03", "GASKET-DN150", 48, 6, None, ("ordered", 48, 4, None), 0),
    ("GD-DEMO-03", "BOLT-M20", 200, 25, None, None, 200),
    ("GD-DEMO-04", "Q345R-20", 8, -10, None, None, 8),
    ("GD-DEMO-04", "BOLT-M20", 120, -10, None, None, 120),
]


def load_procurement_demo(*, session: Session, actors: dict, now: datetime) -> None:
    """Suppliers, materials and the BOMs of GD-DEMO-03 and GD-DEMO-04."""
    buyer, worker = actors["sun.caigou"], actors["zhou.cangku"]
    suppliers = [_supplier(session, buyer, entry) for entry in SUPPLIERS]
    materials = {}
    for code, name, spec, unit, key, preferred, backup in MATERIALS:
        data = MaterialCreate(
            code=code,
            name=name,
            spec=spec,
            unit=unit,
            is_key=key,
            preferred_supplier_id=suppliers[preferred].id,
            backup_supplier_id=suppliers[backup].id if backup is not None else None,
        )
        materials[code] = create_material(session=session, actor=buyer, data=data, now=now)
    bind_alias(
        session=session,
        actor=worker,
        data=AliasCreate(
            code=DEMO_EAN,
            symbology="EAN_13",
            material_id=materials["GASKET-DN150"].id,
            supplier_id=suppliers[4].id,
        ),
        now=now,
    )
    today = local_date(now)
    for n, entry in enumerate(BOMS):
        _bom_line(session, actors, materials, today, now, n, entry)


def _supplier(session: Session, buyer, entry):
    name, address, (contact, title, phone) = entry
    data = SupplierCreate(
        name=name,
        address=address,
        contacts=[ContactIn(name=contact, title=title, phone=phone, is_primary=True)],
    )
    return create_supplier(session=session, actor=buyer, data=data)


def _bom_line(session, actors, materials, today: date, now, n: int, entry) -> None:
    code, material_code, needed, days, warning, purchase, received = entry
    tracker = actors["li.gendan"]
    order = session.exec(select(Order).where(Order.code == code)).one()
    material = materials[material_code]
    line = add_bom_line(
        session=session,
        actor=tracker,
        order_id=order.id,
        data=BomLineCreate(
            material_id=material.id,
            needed=Decimal(needed),
            need_date=today + timedelta(days=days),
            warning_days=warning,
        ),
        now=now,
    )
    if purchase is not None:
        _buy(session, actors["sun.caigou"], line, material, purchase, today, now, n)
    if received:
        record_scan(
            session=session,
            actor=actors["zhou.cangku"],
            data=ScanIn(
                client_id=uuid.uuid5(_SCANS, f"{code}/{material_code}"),
                result=material_code,
                action="receive",
                quantity=Decimal(received),
                order_id=order.id,
            ),
            now=now,
        )


def _buy(session, buyer, line, material, purchase, today: date, now, n: int) -> None:
    status, quantity, promised, delayed_to = purchase
    bought = create_purchase_line(
        session=session,
        actor=buyer,
        order_id=line.order_id,
        bom_line_id=line.id,
        data=PurchaseLineCreate(
            supplier_id=material.preferred_supplier_id,
            quantity=Decimal(quantity),
            promised_date=today + timedelta(days=promised),
            po_no=f"PO-2026-{n + 101:04d}",
        ),
        now=now,
    )
    _follow_up(session, buyer, bought.id, status, today, delayed_to, now)


def _follow_up(session, buyer, purchase_id, status, today, delayed_to, now) -> None:
    if status != "ordered":
        set_purchase_status(
            session=session,
            actor=buyer,
            purchase_id=purchase_id,
            data=PurchaseStatusIn(status=status),
            now=now,
        )
    if delayed_to is not None:
        set_purchase_status(
            session=session,
            actor=buyer,
            purchase_id=purchase_id,
            data=PurchaseStatusIn(
                status="delayed",
                promised_date=today + timedelta(days=delayed_to),
                reason="阀体铸件探伤不合格，返工",
            ),
            now=now,
        )
