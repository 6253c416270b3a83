"""The acknowledgement link in a warning (/ack/<token>): no login, one button, one time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.alerts import alert_token
from app.services.orders import update_stage
from models.base import utcnow
from models.enums import StageKind
from models.people import User
from models.stages import StageUpdate
from tests.alerting import alerts, run
from tests.factories import SECRET, act, make_procuring_order, tampered
from tests.web.test_pages import _csrf

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _alert(session):
    order = make_procuring_order(session)
    update_stage(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=utcnow().date() - timedelta(days=2)),
    )
    # Only the stage rule: after the evening report cut-off 日报未交 would fire too.
    run(session, utcnow(), only={"stage_overdue"})
    [alert] = alerts(session)
    return alert


def test_the_link_shows_the_warning_and_the_button_acknowledges_it_once(client, session):
    alert = _alert(session)
    token = alert_token(alert_id=alert.id, secret=SECRET, now=utcnow())
    page = client.get(f"/ack/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"预警 #A{alert.id}" in html and "确认收到" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert alerts(session)[0].acknowledged_at is None  # opening is not acknowledging
    done = client.post(f"/ack/{token}", data={"csrf_token": _csrf(html)})
    assert done.status_code == 200 and "已确认收到预警" in done.get_data(as_text=True)
    [acked] = alerts(session)
    assert acked.ack_via == "link" and acked.acknowledged_by_id == alert.owner_id
    assert acked.response_seconds is not None
    again = client.get(f"/ack/{token}")
    assert again.status_code == 409 and "已确认过" in again.get_data(as_text=True)
    reused = client.post(f"/ack/{token}", data={"csrf_token": _csrf(html)})
    assert reused.status_code == 409 and "已确认过" in reused.get_data(as_text=True)


def test_a_tampered_link_is_refused_in_chinese(client, session):
    alert = _alert(session)
    token = alert_token(alert_id=alert.id, secret=SECRET, now=utcnow())
    page = client.get(f"/ack/{tampered(token)}")
    assert page.status_code == 404 and "确认链接无效" in page.get_data(as_text=True)
    forged = alert_token(alert_id=alert.id, secret="another-secret-" * 4, now=utcnow())
    assert client.get(f"/ack/{forged}").status_code == 404
    assert alerts(session)[0].acknowledged_at is None


def test_an_expired_link_is_refused_and_points_to_the_chat(client, session):
    alert = _alert(session)
    token = alert_token(alert_id=alert.id, secret=SECRET, now=utcnow() - timedelta(hours=73))
    page = client.get(f"/ack/{token}")
    assert page.status_code == 410 and "已过期" in page.get_data(as_text=True)
    assert "收到 #A" in page.get_data(as_text=True)
    fresh = client.get(f"/ack/{alert_token(alert_id=alert.id, secret=SECRET, now=utcnow())}")
    posted = client.post(f"/ack/{token}", data={"csrf_token": _csrf(fresh.get_data(as_text=True))})
    assert posted.status_code == 410
    assert alerts(session)[0].acknowledged_at is None


def test_a_link_to_a_deleted_alert_is_invalid(client, session):
    token = alert_token(alert_id=424242, secret=SECRET, now=utcnow())
    assert client.get(f"/ack/{token}").status_code == 404
