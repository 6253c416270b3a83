from models.bom import BomLine
from models.enums import Role
from models.orders import Order
from tests.factories import count, make_order, make_user

ORDERS = "合同号,客户,交货日期,跟单员\nHT-A,甲,2027-03-01,zhang\nHT-B,乙,2027-03-02,\n"
BOM = "物料编码,物料名称,需求数量,需求日期\nM-1,钢板,10,2027-01-01\nM-2,螺栓,200,2027-01-02\n"


def test_import_orders_shows_progress_and_the_summary(app, session, tmp_path):
    make_user(session, Role.tracker, username="zhang")
    session.commit()
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["import-orders", str(path)])
    assert r.exit_code == 0, r.output
    assert "导入订单" in r.output and "新建 2，更新 0，拒绝 0 行" in r.output
    r = runner.invoke(args=["import-orders", str(path)])
    assert "新建 0，更新 2，拒绝 0 行" in r.output
    assert count(session, Order) == 2


def test_import_orders_lists_rejected_rows_and_writes_nothing(app, session, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS + "HT-C,丙,2027-13-45,\n", encoding="utf-8")
    r = app.test_cli_runner().invoke(args=["import-orders", str(path)])
    assert r.exit_code != 0
    assert "第 2 行 跟单员" in r.output and "第 4 行 交货日期" in r.output
    assert "新建 0，更新 0，拒绝 2 行" in r.output
    assert count(session, Order) == 0


def test_import_orders_refuses_a_bad_file_type(app, tmp_path):
    path = tmp_path / "orders.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    r = app.test_cli_runner().invoke(args=["import-orders", str(path)])
    assert r.exit_code != 0 and "xlsx" in r.output.lower()


def test_import_bom_into_an_order_by_its_code(app, session, tmp_path):
    order = make_order(session, code="GD-BOM1")
    session.commit()
    path = tmp_path / "bom.csv"
    path.write_text(BOM, encoding="utf-8")
    r = app.test_cli_runner().invoke(args=["import-bom", "gd-bom1", str(path)])
    assert r.exit_code == 0, r.output
    assert "新建 2，更新 0，拒绝 0 行" in r.output
    assert count(session, BomLine, BomLine.order_id == order.id) == 2
    r = app.test_cli_runner().invoke(args=["import-bom", "NOPE", str(path)])
    assert r.exit_code != 0 and "不存在" in r.output
