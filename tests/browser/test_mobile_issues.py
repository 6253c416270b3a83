"""/m/ 报问题 and 我的待办 on a 375x812 phone: a photo issue with its progress bar, the
收到 / 完成 / 确认 loop between two people, a failed upload retried, and a warning acknowledged.

Photos are checked where they land: the server keeps the size of what the phone sent
(original_width/height), so a phone that did not shrink, or ignored the camera's orientation,
shows there.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlmodel import func, select

from app.cli import cli_session
from app.services.people import get_user_by_username
from models import clock
from models.alerts import Alert
from models.enums import RiskLevel
from models.issues import SiteIssue
from models.orders import Order, OrderMember
from models.photos import Photo, PhotoAttachment
from tests.browser.conftest import LIVE, no_sideways_scroll, shot
from tests.browser.test_mobile_app import _signed_in

ENGINEER = "chen.xianchang"  # 陈现场, site engineer: raises issues and checks fixes
PRODUCTION = "wu.shengchan"  # 吴生产: owns the issues he is given
KEEPER = "zhou.cangku"  # 周仓库, warehouse: may raise an issue, may not check a fix
ORDER = "GD-DEMO-04"
EXIF_ORIENTATION = 0x0112


def _camera_photo(path, width=4000, height=3000, orientation=6) -> None:
    """A phone camera's JPEG: stored landscape, with the EXIF tag saying 'turn it upright'
    (6: rotate 90° clockwise, so upright it is portrait)."""
    image = Image.new("RGB", (width, height), (90, 140, 200))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 250):
        draw.rectangle([i, 0, i + 120, height // 3], fill=(200, 80 + i % 150, 40))
    draw.ellipse([width // 3, height // 3, width // 2, height // 2], fill=(250, 240, 20))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    image.save(path, "JPEG", quality=80, exif=exif.tobytes())


@contextmanager
def _session():
    """A session on the live server's database."""
    with LIVE["app"].app_context(), cli_session() as session:
        yield session


def _order_id() -> int:
    with _session() as session:
        return session.exec(select(Order.id).where(Order.code == ORDER)).one()


def _photos_of(order_id: int) -> int:
    with _session() as session:
        return session.exec(select(func.count()).where(Photo.order_id == order_id)).one()


def _issue_photos(issue_id: int) -> list[Photo]:
    with _session() as session:
        rows = session.exec(
            select(Photo)
            .join(PhotoAttachment, PhotoAttachment.photo_id == Photo.id)
            .where(PhotoAttachment.entity_id == issue_id, PhotoAttachment.entity == "site_issue")
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _open_issues(page, base: str, username: str, part: str = "") -> None:
    _signed_in(page, base, username)
    page.evaluate("h => { location.hash = h; }", f"#issues{part}")
    page.locator("#issues .issue-form, #issues .issue-list").first.wait_for(state="attached")


def _fill_issue(page, description: str, owner: str, risk: str = "高") -> None:
    page.select_option("#issues select[name=order]", label=_order_label(page))
    page.fill("#issues textarea[name=description]", description)
    page.locator("#issues .risks label", has_text=risk).click()
    page.locator("#issues select[name=owner] option", has_text=owner).wait_for(state="attached")
    page.select_option("#issues select[name=owner]", label=owner)


def _order_label(page) -> str:
    option = page.locator("#issues select[name=order] option", has_text=ORDER)
    option.wait_for(state="attached")
    return option.inner_text()


def _created_id(page) -> int:
    done = page.locator("#issues .card.result .message.ok")
    done.wait_for()
    return int(done.inner_text().split("#")[1])


def _card(page, issue_id: int):
    return page.locator(f'#issues article[data-issue="{issue_id}"]')


def test_a_photo_issue_goes_up_shrunk_upright_and_with_progress(phone, live_server, tmp_path):
    picture = tmp_path / "site.jpg"
    _camera_photo(picture)
    held = []
    phone.route("**/api/orders/*/photos", lambda route: held.append(route))
    _open_issues(phone, live_server, ENGINEER)
    _fill_issue(phone, "2 号基础螺栓孔位偏差 5mm", "吴生产")
    phone.set_input_files("#issues .tray input[type=file]", str(picture))
    state = phone.locator("#issues .photo .photo-state")
    state.filter(has_text="上传中").wait_for()
    assert phone.locator("#issues .photo progress").count() == 1
    assert phone.get_by_role("button", name="照片上传中…").is_disabled()
    shot(phone, "m-issue-uploading-phone")
    # What the phone sends: a JPEG, no longer the camera's file.
    for _ in range(100):
        if held:
            break
        phone.wait_for_timeout(50)
    assert len(held) == 1
    sent = held[0].request.post_data_buffer
    assert b"Content-Type: image/jpeg" in sent and b"\xff\xd8\xff" in sent
    assert len(sent) < picture.stat().st_size * 2
    held[0].continue_()
    state.filter(has_text="已上传").wait_for()
    assert phone.locator("#issues .photo progress").get_attribute("value") == "100"
    phone.get_by_role("button", name="提交问题").click()
    number = _created_id(phone)
    assert no_sideways_scroll(phone)
    shot(phone, "m-issue-created-phone")
    [photo] = _issue_photos(number)
    # Shrunk on the phone to a long side of 2560 px and turned upright (portrait).
    assert (photo.original_width, photo.original_height) == (1920, 2560)
    assert photo.mime == "image/jpeg"
    with _session() as session:
        issue = session.get(SiteIssue, number)
        assert issue.risk == RiskLevel.high and issue.description == "2 号基础螺栓孔位偏差 5mm"
        assert issue.owner_id == get_user_by_username(session=session, username=PRODUCTION).id


def test_a_failed_upload_is_retried_and_counts_one_photo(phone, live_server, tmp_path):
    picture = tmp_path / "leak.jpg"
    _camera_photo(picture, 3000, 2000, orientation=1)
    order_id = _order_id()
    before = _photos_of(order_id)
    failures = []

    def lose_the_answer(route):
        # The photo reaches the server, but its answer never reaches the phone.
        if not failures:
            failures.append(route.fetch().status)
            route.fulfill(
                status=503,
                content_type="application/json",
                body=json.dumps({"error": {"code": "unavailable", "message": "服务器繁忙"}}),
            )
        else:
            route.continue_()

    phone.route("**/api/orders/*/photos", lose_the_answer)
    _open_issues(phone, live_server, ENGINEER)
    _fill_issue(phone, "法兰密封面渗漏", "吴生产", risk="中")
    phone.set_input_files("#issues .tray input[type=file]", str(picture))
    failed = phone.locator("#issues .photo-state.failed")
    failed.wait_for()
    assert "上传失败：服务器繁忙" in failed.inner_text()
    assert failures == [201] and _photos_of(order_id) == before + 1
    phone.get_by_role("button", name="提交问题").click()
    refusal = phone.locator("#issues .issue-form .error")
    refusal.wait_for()
    assert "重试" in refusal.inner_text()
    shot(phone, "m-issue-retry-phone")
    phone.locator("#issues .photo").get_by_role("button", name="重试").click()
    phone.locator("#issues .photo-state.done").wait_for()
    phone.get_by_role("button", name="提交问题").click()
    number = _created_id(phone)
    assert len(_issue_photos(number)) == 1
    assert _photos_of(order_id) == before + 1


def test_the_owner_takes_fixes_and_the_engineer_confirms(phone, live_server, tmp_path):
    _open_issues(phone, live_server, ENGINEER)
    _fill_issue(phone, "支架焊缝有裂纹", "吴生产")
    phone.get_by_role("button", name="提交问题").click()
    number = _created_id(phone)

    # The owner: 收到, then 完成 with a photo of the fix.
    _open_issues(phone, live_server, PRODUCTION, "/mine")
    card = _card(phone, number)
    card.wait_for()
    assert "待处理" in card.inner_text() and "吴生产" in card.inner_text()
    assert card.get_by_role("button", name="确认").count() == 0
    card.get_by_role("button", name="收到").click()
    card.locator(".state-tag", has_text="处理中").wait_for()
    assert card.get_by_role("button", name="收到").count() == 0
    card.get_by_role("button", name="完成").click()
    card.get_by_label("处理结果").fill("已打磨补焊并做渗透检测")
    fix = tmp_path / "fix.jpg"
    _camera_photo(fix, 1600, 1200, orientation=1)
    card.locator("input[type=file]").set_input_files(str(fix))
    card.locator(".photo-state.done").wait_for()
    assert no_sideways_scroll(phone)
    shot(phone, "m-issue-resolve-phone")
    card.get_by_role("button", name="提交完成").click()
    card.locator(".state-tag", has_text="已解决待验证").wait_for()
    assert "处理结果：已打磨补焊并做渗透检测" in card.inner_text()
    # The one who fixed it may not check it: no 确认 for him.
    assert card.get_by_role("button", name="确认").count() == 0

    # The engineer who raised it confirms.
    _open_issues(phone, live_server, ENGINEER, "/mine")
    card = _card(phone, number)
    card.wait_for()
    assert card.locator(".strip .thumb").count() == 1  # the fix's photo
    card.get_by_role("button", name="确认").click()
    card.locator(".state-tag", has_text="已验证关闭").wait_for()
    assert card.get_by_role("button").count() == 0
    shot(phone, "m-issue-verified-phone")
    with _session() as session:
        issue = session.get(SiteIssue, number)
        assert issue.state == "verified" and issue.resolution == "已打磨补焊并做渗透检测"


def test_a_raiser_who_may_not_check_is_told_why_and_can_send_it_back(phone, live_server):
    _open_issues(phone, live_server, KEEPER)
    _fill_issue(phone, "到货木箱破损", "吴生产", risk="低")
    phone.get_by_role("button", name="提交问题").click()
    number = _created_id(phone)
    _open_issues(phone, live_server, PRODUCTION, "/mine")
    card = _card(phone, number)
    card.get_by_role("button", name="完成").click()
    card.get_by_label("处理结果").fill("已更换包装")
    card.get_by_role("button", name="提交完成").click()
    card.locator(".state-tag", has_text="已解决待验证").wait_for()

    _open_issues(phone, live_server, KEEPER, "/mine")
    card = _card(phone, number)
    card.get_by_role("button", name="确认").click()
    refusal = card.locator(".error:not([hidden])")
    refusal.wait_for()
    assert refusal.inner_text() == "只有本订单的跟单员、质检或现场工程师可以验证问题点"
    card.get_by_role("button", name="退回").click()
    card.get_by_role("button", name="确认退回").click()
    assert card.locator(".issue-extra .error").inner_text() == "请填写退回原因"
    card.get_by_label("退回原因").fill("包装内衬也要换")
    card.get_by_role("button", name="确认退回").click()
    card.locator(".state-tag", has_text="已退回重开").wait_for()


def test_my_todo_shows_a_warning_and_acknowledging_removes_it(phone, live_server):
    with _session() as session:
        order = session.exec(select(Order).where(Order.code == ORDER)).one()
        owner = get_user_by_username(session=session, username=ENGINEER)
        alert = Alert(
            rule="issue_overdue",
            entity_type="user",
            entity_id=owner.id,
            order_id=order.id,
            level=RiskLevel.high,
            day=clock.today(),
            owner_id=owner.id,
            message="现场吊装方案未确认，明天进场",
        )
        session.add(alert)
        session.commit()
        alert_id = alert.id
    _signed_in(phone, live_server, ENGINEER)
    phone.get_by_role("link", name="待办").click()
    item = phone.locator(f'#todo li[data-alert="{alert_id}"]')
    item.wait_for()
    assert "现场吊装方案未确认，明天进场" in item.inner_text() and ORDER in item.inner_text()
    assert no_sideways_scroll(phone)
    shot(phone, "m-todo-phone")
    item.get_by_role("button", name="确认收到").click()
    item.wait_for(state="detached")
    phone.reload()
    phone.locator("#todo .todo-part").first.wait_for()
    assert phone.locator(f'#todo li[data-alert="{alert_id}"]').count() == 0
    with _session() as session:
        acknowledged = session.get(Alert, alert_id)
        assert acknowledged.acknowledged_at is not None and acknowledged.ack_via == "api"


def test_a_photo_taken_offline_goes_up_when_the_network_returns(phone, live_server, tmp_path):
    picture = tmp_path / "offline.jpg"
    _camera_photo(picture, 2000, 1500, orientation=1)
    _open_issues(phone, live_server, ENGINEER)
    _fill_issue(phone, "吊装区域地面不平", "吴生产", risk="中")
    phone.context.set_offline(True)
    phone.set_input_files("#issues .tray input[type=file]", str(picture))
    failed = phone.locator("#issues .photo-state.failed")
    failed.wait_for()
    assert "网络不可用" in failed.inner_text()
    phone.context.set_offline(False)
    phone.locator("#issues .photo-state.done").wait_for()
    phone.get_by_role("button", name="提交问题").click()
    assert len(_issue_photos(_created_id(phone))) == 1


def test_an_overdue_issue_on_my_todo_leads_to_my_issues(phone, live_server):
    # An issue of its own, two hours past due: the demo's overdue issue may have been taken on
    # by another test of this live server already.
    with _session() as session:
        owner = get_user_by_username(session=session, username=PRODUCTION)
        order_id = session.exec(
            select(OrderMember.order_id).where(OrderMember.user_id == owner.id)
        ).first()
        due = clock.now() - timedelta(hours=2)
        issue = SiteIssue(
            order_id=order_id,
            description="法兰密封面划伤待处理",
            risk=RiskLevel.high,
            owner_id=owner.id,
            due_at=due,
            first_due_at=due,
            created_at=due - timedelta(hours=4),
        )
        session.add(issue)
        session.commit()
        late = issue.id
    _signed_in(phone, live_server, PRODUCTION)
    phone.get_by_role("link", name="待办").click()
    item = phone.locator("#todo .todo-item.issue", has_text=f"#{late} ")
    item.wait_for()
    assert "超期" in item.inner_text()
    item.get_by_role("link", name="去处理").click()
    card = _card(phone, late)
    card.wait_for()
    assert phone.locator("#issues .segment[aria-current]").inner_text() == "我的问题"
    assert card.get_by_role("button", name="收到").is_visible()
    phone.reload()
    _card(phone, late).wait_for()
