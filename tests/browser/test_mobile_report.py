"""/m/ on a 375x812 phone: the 日报 form (点工 rows, drafts, yesterday's plan), the tracker's
reminder, and 领料 / 盘点 scans. Every outcome is checked in the database.

Each test makes its own people and orders in the live server's database, so the demo data and
the other browser tests do not change what these see.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from app.cli import cli_session
from app.services.field import submit_daily_report
from app.services.people import issue_token, user_public
from models.bom import BomLine
from models.enums import Role, ScanAction
from models.materials import Material
from models.outbox import Outbox
from models.people import User
from models.reports import DailyReport, LabourEntry
from models.scans import Scan
from tests.browser.conftest import LIVE, no_sideways_scroll, shot
from tests.clocks import days, today
from tests.factories import (
    act,
    add_to_order,
    make_bom_line,
    make_chat_group,
    make_material,
    make_order,
    make_procuring_order,
    make_user,
    make_warehouse,
)


def _open(page, base: str, user_id: int, view: str) -> None:
    """The app opened on a screen by someone who signed in before (the token kept in the page)."""
    app = LIVE["app"]
    with app.app_context(), cli_session() as session:
        user = session.get(User, user_id)
        token, expires = issue_token(
            user=user, secret=app.config["SECRET_KEY"], ttl_hours=app.config["TOKEN_TTL_HOURS"]
        )
        public = user_public(session=session, user=user).model_dump(mode="json")
    page.goto(f"{base}/m/#{view}")
    saved = {"token": token, "expires_at": expires.isoformat(), "user": public}
    page.evaluate("t => localStorage.setItem('gendan.m.session', JSON.stringify(t))", saved)
    page.reload()


def _engineer_on_an_order(*, yesterday_plan: str | None = None, group: bool = False):
    """A site engineer on one new order of a new tracker; ids and names as plain values."""
    app = LIVE["app"]
    with app.app_context(), cli_session() as session:
        tracker = make_user(session, Role.tracker)
        order = make_order(session, liaison=tracker)
        engineer = make_user(session, Role.site_engineer)
        add_to_order(session, order, engineer, Role.site_engineer)
        group_name = make_chat_group(session, order_ids=[order.id]).name if group else None
        if yesterday_plan is not None:
            submit_daily_report(
                session=session,
                actor=act(session, engineer),
                order_id=order.id,
                day=days(-1),
                done_today="基础复测完成",
                plan_tomorrow=yesterday_plan,
            )
        session.commit()
        return {
            "order": order.id,
            "code": order.code,
            "engineer": engineer.id,
            "engineer_name": engineer.display_name,
            "tracker": tracker.id,
            "group": group_name,
        }


def _form(page, order_id: int):
    card = page.locator(f'.rp-order[data-order-id="{order_id}"]')
    card.wait_for()
    form = card.locator("form.rp-form")
    form.wait_for()  # the only order: its form opens by itself
    return card, form


def _report(order_id: int, user_id: int) -> tuple[DailyReport | None, list[tuple[str, float]]]:
    """The person's report of today on the order, and its labour lines."""
    with LIVE["app"].app_context(), cli_session() as session:
        report = session.exec(
            select(DailyReport).where(
                DailyReport.order_id == order_id,
                DailyReport.user_id == user_id,
                DailyReport.day == today(),
            )
        ).all()
        if not report:
            return None, []
        assert len(report) == 1
        lines = session.exec(
            select(LabourEntry)
            .where(LabourEntry.report_id == report[0].id)
            .order_by(LabourEntry.position)
        ).all()
        return report[0], [(e.worker, e.hours) for e in lines]


def _add_labour(form, worker: str, hours: str) -> None:
    form.get_by_role("button", name="添加点工").click()
    row = form.locator(".rp-labour-row").last
    row.locator("[name=worker]").fill(worker)
    row.locator("[name=labour_hours]").fill(hours)


@pytest.mark.clock
def test_an_engineer_files_a_report_with_two_labour_rows_and_updates_it(phone, live_server):
    setup = _engineer_on_an_order()
    _open(phone, live_server, setup["engineer"], "report")
    card, form = _form(phone, setup["order"])
    assert "今日未提交" in card.inner_text()
    form.get_by_role("button", name="提交日报").click()
    assert form.get_by_role("alert").inner_text() == "请填写今日完成"
    form.locator("[name=done_today]").fill("完成 1 号泵就位与找平")
    form.locator("[name=plan_tomorrow]").fill("2 号泵就位")
    form.locator("[name=problems]").fill("地脚螺栓孔偏差 5 mm")
    form.locator("[name=hours]").fill("9")
    _add_labour(form, "张师傅", "8")
    form.get_by_role("button", name="添加点工").click()
    form.locator(".rp-labour-row").last.locator("[name=worker]").fill("李小工")
    form.get_by_role("button", name="提交日报").click()
    assert form.get_by_role("alert").inner_text() == "第 2 行点工请填写姓名和工时"
    form.locator(".rp-labour-row").last.locator("[name=labour_hours]").fill("30")
    form.get_by_role("button", name="提交日报").click()
    alert = form.get_by_role("alert")
    alert.filter(has_text="第 2 行点工工时").wait_for()
    assert _report(setup["order"], setup["engineer"]) == (None, [])
    form.locator(".rp-labour-row").last.locator("[name=labour_hours]").fill("4.5")
    assert no_sideways_scroll(phone)
    shot(phone, "m-report-form-phone")
    form.get_by_role("button", name="提交日报").click()
    card.locator(".rp-done", has_text="日报已提交").wait_for()
    assert "今日已提交" in card.locator(".rp-head").inner_text()
    report, labour = _report(setup["order"], setup["engineer"])
    assert report.day == today()
    assert (report.done_today, report.plan_tomorrow, report.problems, report.hours) == (
        "完成 1 号泵就位与找平",
        "2 号泵就位",
        "地脚螺栓孔偏差 5 mm",
        9,
    )
    assert labour == [("张师傅", 8), ("李小工", 4.5)]
    assert phone.evaluate("Object.keys(localStorage).filter(k => k.includes('.report.'))") == []
    # The same day again updates the one report (as the API does): one row fewer, new hours.
    form = card.locator("form.rp-form")
    form.locator(".rp-labour-row").last.get_by_role("button", name="删除这一行点工").click()
    form.locator("[name=hours]").fill("10")
    form.get_by_role("button", name="更新日报").click()
    card.locator(".rp-done", has_text="日报已更新").wait_for()
    report, labour = _report(setup["order"], setup["engineer"])
    assert report.hours == 10 and labour == [("张师傅", 8)]


@pytest.mark.clock
def test_a_draft_survives_a_reload(phone, live_server):
    setup = _engineer_on_an_order()
    _open(phone, live_server, setup["engineer"], "report")
    _, form = _form(phone, setup["order"])
    form.locator("[name=done_today]").fill("配管 60%")
    form.locator("[name=problems]").fill("阀门未到")
    _add_labour(form, "王师傅", "6")
    phone.reload()
    _, form = _form(phone, setup["order"])
    assert form.locator("[name=done_today]").input_value() == "配管 60%"
    assert form.locator("[name=problems]").input_value() == "阀门未到"
    row = form.locator(".rp-labour-row")
    assert row.count() == 1
    assert row.locator("[name=worker]").input_value() == "王师傅"
    assert row.locator("[name=labour_hours]").input_value() == "6"
    assert "已恢复未提交的草稿" in form.locator(".rp-note").inner_text()
    assert _report(setup["order"], setup["engineer"]) == (None, [])
    # Without a network the report waits as the draft, said in words.
    phone.context.set_offline(True)
    form.get_by_role("button", name="提交日报").click()
    alert = form.get_by_role("alert")
    alert.filter(has_text="网络不可用").wait_for()
    assert "草稿已保存在手机上" in alert.inner_text()
    phone.context.set_offline(False)
    form.get_by_role("button", name="提交日报").click()
    form.page.locator(".rp-done", has_text="日报已提交").wait_for()
    assert _report(setup["order"], setup["engineer"])[1] == [("王师傅", 6)]
    phone.reload()
    _, form = _form(phone, setup["order"])
    assert "今日日报已提交" in form.locator(".rp-note").inner_text()


@pytest.mark.clock
def test_todays_work_is_prefilled_from_yesterdays_plan(phone, live_server):
    setup = _engineer_on_an_order(yesterday_plan="2 号机组就位，开始配管")
    _open(phone, live_server, setup["engineer"], "report")
    _, form = _form(phone, setup["order"])
    assert form.locator("[name=done_today]").input_value() == "2 号机组就位，开始配管"
    assert "昨日日报的明日计划预填" in form.locator(".rp-note").inner_text()
    form.locator("[name=plan_tomorrow]").fill("试压")
    form.get_by_role("button", name="提交日报").click()
    form.page.locator(".rp-done:not([hidden])").wait_for()
    report, _ = _report(setup["order"], setup["engineer"])
    assert (report.day, report.done_today, report.plan_tomorrow) == (
        today(),
        "2 号机组就位，开始配管",
        "试压",
    )


def test_a_tracker_sees_who_has_not_reported_and_reminds_them(phone, live_server):
    setup = _engineer_on_an_order(group=True)
    _open(phone, live_server, setup["tracker"], "report")
    card = phone.locator(f'.rp-order[data-order-id="{setup["order"]}"]')
    missing = card.locator(".rp-missing")
    missing.wait_for()
    assert setup["engineer_name"] in missing.inner_text()
    # The tracker is expected to report too, but is not offered to remind themself.
    me = missing.locator(f'li[data-user-id="{setup["tracker"]}"]')
    assert "，我" in me.inner_text() and me.get_by_role("button").count() == 0
    assert no_sideways_scroll(phone)
    shot(phone, "m-report-tracker-phone")
    remind = missing.get_by_role("button", name=f"提醒{setup['engineer_name']}")
    remind.click()
    row = missing.locator(f'li[data-user-id="{setup["engineer"]}"]')
    row.locator(".rp-remind-status", has_text=setup["group"]).wait_for()
    assert remind.inner_text() == "已提醒" and remind.is_disabled()
    with LIVE["app"].app_context(), cli_session() as session:
        rows = session.exec(
            select(Outbox).where(
                Outbox.kind == "report_reminder", Outbox.order_id == setup["order"]
            )
        ).all()
    assert len(rows) == 1 and setup["engineer_name"] in rows[0].message["text"]


def _keeper_with_stock(stock: int, needed: int = 10):
    """A keeper on a procuring order that needs a material the warehouse holds `stock` of."""
    with LIVE["app"].app_context(), cli_session() as session:
        order = make_procuring_order(session)
        keeper = make_warehouse(session, order)
        material = make_material(session)
        line = make_bom_line(session, order, material, needed=needed, days=10)
        material.stock = Decimal(stock)
        session.add(material)
        session.commit()
        return keeper.id, material.code, material.id, line.id


def _stock_and_issued(material_id: int, line_id: int) -> tuple[Decimal, Decimal, list]:
    with LIVE["app"].app_context(), cli_session() as session:
        scans = session.exec(select(Scan.action).where(Scan.material_id == material_id)).all()
        return (
            session.get(Material, material_id).stock,
            session.get(BomLine, line_id).issued,
            [ScanAction(a) for a in scans],
        )


def _scan(page, code: str, quantity: str, confirm: str) -> None:
    page.fill("#code", code)
    page.get_by_role("button", name="确定").click()
    for key in quantity:
        page.click(f'#keypad [data-key="{key}"]')
    page.get_by_role("button", name=confirm).click()


def test_a_keeper_issues_material_by_scanning(phone, live_server):
    keeper, code, material_id, line_id = _keeper_with_stock(20)
    _open(phone, live_server, keeper, "scan")
    phone.get_by_role("heading", name="扫码入库").wait_for()
    phone.get_by_role("radio", name="领料").click()
    phone.get_by_role("heading", name="扫码领料").wait_for()
    assert phone.get_by_role("radio", name="领料").get_attribute("aria-checked") == "true"
    _scan(phone, code, "3", "确认领料")
    card = phone.locator("#card.result")
    card.wait_for()
    text = card.inner_text()
    assert "已发料 3件" in text and "已发/需要" in text and "3/10件" in text
    assert "库存" in text and "17件" in text
    assert "已领料" in phone.locator("#scans li.done").first.inner_text()
    assert no_sideways_scroll(phone)
    shot(phone, "m-issue-phone")
    assert _stock_and_issued(material_id, line_id) == (17, 3, [ScanAction.issue])


def test_a_keeper_counts_stock_by_scanning(phone, live_server):
    keeper, code, material_id, line_id = _keeper_with_stock(20)
    _open(phone, live_server, keeper, "scan")
    phone.get_by_role("radio", name="盘点").click()
    phone.get_by_role("heading", name="扫码盘点").wait_for()
    assert "实盘数量" in phone.locator("#qty-hint").inner_text()
    _scan(phone, code, "15", "确认盘点")
    card = phone.locator("#card.result")
    card.wait_for()
    text = card.inner_text()
    assert "实盘 15件" in text and "账面 20" in text and "盘亏 5件" in text
    assert "已盘点" in phone.locator("#scans li.done").first.inner_text()
    assert _stock_and_issued(material_id, line_id) == (15, 0, [ScanAction.stock_check])
    # The choice is kept for the next scans: a count of 0 empties the book stock.
    _scan(phone, code, "0", "确认盘点")
    phone.locator("#scans li.done").nth(1).wait_for()
    assert _stock_and_issued(material_id, line_id)[0] == 0


def test_an_issue_past_the_need_is_explained_and_can_be_confirmed(phone, live_server):
    keeper, code, material_id, line_id = _keeper_with_stock(20)
    _open(phone, live_server, keeper, "scan")
    phone.get_by_role("radio", name="领料").click()
    _scan(phone, code, "12", "确认领料")
    refused = phone.locator("#card.refused")
    refused.wait_for()
    assert "超发" in refused.inner_text()
    assert "未领料" in phone.locator("#scans li.failed").first.inner_text()
    assert _stock_and_issued(material_id, line_id) == (20, 0, [])
    refused.get_by_role("button", name="确认超发").click()
    phone.locator("#card.result").wait_for()
    assert "已确认超发" in phone.locator("#card").inner_text()
    assert _stock_and_issued(material_id, line_id) == (8, 12, [ScanAction.issue])


def test_an_offline_scan_keeps_its_action_through_a_reload(phone, live_server):
    keeper, code, material_id, line_id = _keeper_with_stock(20)
    _open(phone, live_server, keeper, "scan")
    phone.locator("body[data-offline-ready]").wait_for(state="attached")
    phone.context.set_offline(True)
    phone.get_by_role("radio", name="领料").click()
    _scan(phone, code, "2", "确认领料")
    phone.get_by_role("radio", name="盘点").click()
    _scan(phone, code, "9", "确认盘点")
    phone.locator('#pending[data-count="2"]').wait_for()
    texts = phone.locator("#scans li.pending").all_inner_texts()
    assert [t.split()[0] for t in texts] == ["盘点", "领料"]
    # A reload starts at 入库 again; the queued scans are still 领料 and 盘点.
    phone.reload()
    phone.get_by_role("heading", name="扫码入库").wait_for()
    phone.locator('#pending[data-count="2"]').wait_for()
    assert _stock_and_issued(material_id, line_id) == (20, 0, [])
    phone.context.set_offline(False)
    phone.locator('#pending[data-count="0"]').wait_for()
    stock, issued, actions = _stock_and_issued(material_id, line_id)
    assert (stock, issued, sorted(actions)) == (9, 2, [ScanAction.issue, ScanAction.stock_check])
