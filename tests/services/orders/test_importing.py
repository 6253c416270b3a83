import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from app.services.core import ImportFailed
from app.services.finance import set_budget
from app.services.insight import export_orders
from app.services.orders import OrderImportFailed, cancel_order, import_orders
from models.enums import Role
from models.errors import Forbidden, UnsupportedMedia
from models.orders import Order
from models.people import User
from tests.factories import act, count, make_order, make_user

HEADER = "合同号,客户,交货日期,跟单员,合同金额,付款条件,优先级,特殊要求\n"


def csv_bytes(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


def _admin(session):
    return act(session, make_user(session, Role.admin))


def test_new_contracts_create_orders_and_known_ones_update_them(session):
    tracker = make_user(session, Role.tracker, username="zhang")
    existing = make_order(session, contract_no="HT-OLD", customer="旧客户")
    ticks = []
    result = import_orders(
        session=session,
        actor=_admin(session),
        data=csv_bytes(
            "HT-NEW,华东化工,2027-03-01,zhang,120000.50,30%预付，70%发货,紧急,防爆",
            "HT-OLD,旧客户改名,2027/04/02,,,,,",
        ),
        progress=lambda: ticks.append(1),
    )
    assert (result.created, result.updated, result.rejected) == (1, 1, 0) and len(ticks) == 2
    new = session.exec(select(Order).where(Order.contract_no == "HT-NEW")).one()
    assert new.liaison_id == tracker.id and new.contract_amount == Decimal("120000.50")
    assert new.priority == "urgent" and new.special_requirements == "防爆"
    session.refresh(existing)
    assert existing.customer == "旧客户改名" and existing.delivery_date == date(2027, 4, 2)


def test_importing_the_same_file_twice_updates_instead_of_duplicating(session):
    make_user(session, Role.tracker, username="zhang")
    data = csv_bytes("HT-1,甲,2027-03-01,zhang,,,,")
    admin = _admin(session)
    import_orders(session=session, actor=admin, data=data)
    again = import_orders(session=session, actor=admin, data=data)
    assert (again.created, again.updated) == (0, 1)
    assert count(session, Order, Order.contract_no == "HT-1") == 1


def test_every_bad_row_is_listed_and_nothing_is_written(session):
    make_user(session, Role.tracker, username="zhang")
    with pytest.raises(OrderImportFailed) as err:
        import_orders(
            session=session,
            actor=_admin(session),
            data=csv_bytes(
                "HT-1,甲,2027-03-01,zhang,,,,",
                "HT-2,乙,明天,zhang,,,,",
                "HT-3,丙,2027-03-01,nobody,,,,",
                "HT-1,丁,2027-03-01,,,,,",
                "HT-5,戊,2027-03-01,,-5,,,",
                ",己,2027-03-01,,,,,",
                "HT-7,,2027-03-01,,,,特急,",
            ),
        )
    problems = {(p["row"], p["column"]) for p in err.value.details["errors"]}
    assert problems >= {
        (3, "交货日期"),
        (4, "跟单员"),
        (5, "合同号"),
        (6, "合同金额"),
        (7, "合同号"),
        (8, "优先级"),
    }
    assert err.value.details["rejected"] == 6
    reasons = " ".join(p["reason"] for p in err.value.details["errors"])
    assert "跟单员 nobody 不存在" in reasons and "与第 2 行相同" in reasons
    assert count(session, Order) == 0


def test_a_closed_order_is_not_updated(session):
    order = make_order(session, contract_no="HT-X")
    tracker = act(session, session.get(User, order.liaison_id))
    cancel_order(session=session, actor=tracker, order_id=order.id, reason="客户取消")
    with pytest.raises(OrderImportFailed) as err:
        import_orders(session=session, actor=_admin(session), data=csv_bytes("HT-X,甲,2027-03-01"))
    assert "已关闭" in err.value.details["errors"][0]["reason"]


def test_an_xlsx_file_is_imported_and_a_bad_file_type_refused(session):
    book = Workbook()
    book.active.append(["合同号", "客户", "交货日期"])
    book.active.append(["HT-XL", "西北电力", date(2027, 5, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_orders(session=session, actor=_admin(session), data=buffer.getvalue())
    assert result.created == 1
    with pytest.raises(UnsupportedMedia):
        import_orders(session=session, actor=_admin(session), data=b"\xd0\xcf\x11\xe0rest")
    with pytest.raises(UnsupportedMedia):
        import_orders(session=session, actor=_admin(session), data=b"\x89PNG\x00\x00")


def test_missing_required_columns_are_named(session):
    with pytest.raises(ImportFailed) as err:
        import_orders(session=session, actor=_admin(session), data="合同号,客户\nA,B\n".encode())
    assert "交货日期" in err.value.message


def test_only_order_creators_import(session):
    warehouse = act(session, make_user(session, Role.warehouse))
    with pytest.raises(Forbidden):
        import_orders(session=session, actor=warehouse, data=csv_bytes("HT-1,甲,2027-03-01"))


def test_the_order_report_has_progress_stage_dates_and_costs(session):
    order = make_order(session, contract_no="HT-R", contract_amount=Decimal("5000"))
    tracker = act(session, session.get(User, order.liaison_id))
    set_budget(session=session, actor=tracker, order_id=order.id, data={"other": "100"})
    data = export_orders(session=session, actor=tracker)
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["订单号"] == order.code and row["合同号"] == "HT-R" and row["进度%"] == 0
    assert "订单评审 计划开始" in header and row["合同金额"] == 5000 and row["预算合计"] == 100
    assert row["超预算"] == "否"
    with pytest.raises(Forbidden):
        export_orders(session=session, actor=act(session, make_user(session, Role.warehouse)))
