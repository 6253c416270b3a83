from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.core import Actor
from app.services.field import (
    LinkClosed,
    LinkExpired,
    LinkInvalid,
    LinkReplaced,
    LinkUsed,
    accept_by_link,
    create_acceptance_link,
    create_issue,
    open_link,
    record_acceptance,
    resolve_issue,
    upload_document,
    verify_issue,
)
from app.services.orders import (
    cancel_order,
    checklist,
    list_stages,
    set_checklist_item,
    upload_photo,
)
from models import clock
from models.acceptance import Acceptance, AcceptanceLink, OrderDocument
from models.enums import Channel, DocumentKind, OrderStatus, Role, StageKind, StageStatus
from models.errors import Conflict, Forbidden, InvalidInput
from models.people import User
from tests.clocks import days
from tests.factories import (
    act,
    add_to_order,
    count,
    make_delivered_order,
    make_order,
    make_user,
    tampered,
)
from tests.images import jpeg
from tests.pdfs import pdf

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

SECRET = "link-secret-that-is-long-enough-0123456789"
INSTALLED = "安装调试完成"


class Site:
    """A delivered order with its tracker and a site engineer, ready for acceptance."""

    def __init__(self, session, **overrides):
        self.session = session
        self.order = make_delivered_order(session, **overrides)
        self.tracker = act(session, session.get(User, self.order.liaison_id))
        engineer = make_user(session, Role.site_engineer)
        add_to_order(session, self.order, engineer, Role.site_engineer)
        self.engineer = act(session, engineer)

    def stage(self):
        stages = list_stages(session=self.session, order_id=self.order.id)
        return next(s for s in stages if s.kind == StageKind.acceptance)

    def items(self):
        return {i.title: i for i in checklist(session=self.session, stage_id=self.stage().id)}

    def tick(self, title):
        set_checklist_item(
            session=self.session,
            actor=self.engineer,
            order_id=self.order.id,
            item_id=self.items()[title].id,
            done=True,
        )

    def upload(self, kind, text="doc"):
        return upload_document(
            session=self.session,
            actor=self.engineer,
            order_id=self.order.id,
            kind=kind,
            data=pdf(text),
            filename=f"{kind.value}.pdf",
        )

    def ready(self):
        self.tick(INSTALLED)
        self.upload(DocumentKind.completion_report, "report")
        self.upload(DocumentKind.user_manual, "manual")
        return self

    def photo(self):
        return upload_photo(
            session=self.session, actor=self.engineer, order_id=self.order.id, data=jpeg(seed=9)
        )

    def accept(self, actor=None, **values):
        if not values.get("form_document_id"):
            values.setdefault("form_photo_ids", [self.photo().id])
        return record_acceptance(
            session=self.session, actor=actor or self.tracker, order_id=self.order.id, **values
        )

    def issue(self, risk):
        return create_issue(
            session=self.session,
            actor=self.engineer,
            order_id=self.order.id,
            description="电机接线端子松动",
            risk=risk,
            owner_id=self.engineer.id,
        )


@pytest.fixture()
def site(session):
    return Site(session)


def test_acceptance_ticks_the_sop_closes_the_stage_and_completes_the_order(site):
    site.ready()
    acceptance = site.accept(satisfaction=5, comment="很好", signer_name="刘经理")
    order = site.order
    assert order.status == OrderStatus.completed
    assert order.actual_delivery_date == acceptance.accepted_on == clock.today()
    assert acceptance.on_time and acceptance.days_late == 0
    stage = site.stage()
    assert stage.status == StageStatus.done and stage.actual_end == acceptance.accepted_on
    assert all(i.done for i in site.items().values())
    signed = site.items()["客户验收单已签署"]
    assert signed.done_by_id is None and "验收记录" in signed.note


def test_a_late_acceptance_records_how_late(session):
    site = Site(session, delivery_date=clock.today() - timedelta(days=3)).ready()
    acceptance = site.accept()
    assert not acceptance.on_time and acceptance.days_late == 3


def test_acceptance_is_refused_while_a_high_risk_issue_is_open_and_names_it(site):
    site.ready()
    issue = site.issue("high")
    with pytest.raises(Conflict) as err:
        site.accept()
    assert err.value.code == "open_high_risk_issues"
    assert f"#{issue.id}" in err.value.message and err.value.details["issues"] == [issue.id]
    assert count(site.session, Acceptance) == 0
    assert site.order.status == OrderStatus.in_progress


def test_a_resolved_but_unverified_high_risk_issue_still_blocks(site):
    site.ready()
    issue = site.issue("high")
    resolve_issue(session=site.session, actor=site.engineer, issue_id=issue.id, resolution="紧固")
    with pytest.raises(Conflict, match=f"#{issue.id}"):
        site.accept()
    verify_issue(session=site.session, actor=site.tracker, issue_id=issue.id)
    assert site.accept().on_time


def test_an_open_medium_issue_leaves_the_issues_sop_item_open_and_the_gate_says_so(site):
    site.ready()
    site.issue("medium")
    with pytest.raises(Conflict) as err:
        site.accept()
    assert err.value.code == "stage_gate" and "问题点全部关闭" in err.value.message
    assert count(site.session, Acceptance) == 0


def test_without_the_report_and_manual_the_gate_names_the_missing_item(site):
    site.tick(INSTALLED)
    site.upload(DocumentKind.completion_report)
    with pytest.raises(Conflict) as err:
        site.accept()
    assert err.value.code == "stage_gate" and "竣工报告与用户操作手册已提交" in err.value.message
    assert not site.items()["客户验收单已签署"].done


def test_acceptance_waits_for_the_earlier_stages_and_a_confirmed_order(session):
    tracker = make_user(session, Role.tracker)
    draft = make_order(session, liaison=tracker)
    with pytest.raises(Conflict) as err:
        record_acceptance(
            session=session, actor=act(session, tracker), order_id=draft.id, form_photo_ids=[1]
        )
    assert err.value.code == "order_not_confirmed"


def test_a_second_acceptance_is_refused(site):
    site.ready()
    site.accept()
    with pytest.raises(Conflict):
        site.accept()
    assert count(site.session, Acceptance) == 1


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"form_photo_ids": []}, "二选一"),
        ({"satisfaction": 0}, "satisfaction"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"accepted_on": 1}, "不能晚于今天"),  # days from today, read when the test runs
        ({"accepted_on": -400}, "不能早于订单创建日期"),
    ],
)
def test_bad_acceptance_input_is_refused_and_nothing_changes(site, values, match):
    if "accepted_on" in values:
        values = {**values, "accepted_on": days(values["accepted_on"])}
    site.ready()
    with pytest.raises(InvalidInput, match=match):
        site.accept(**values)
    assert count(site.session, Acceptance) == 0
    assert site.order.status == OrderStatus.in_progress


def test_the_form_pdf_must_be_an_acceptance_form_of_this_order(site):
    site.ready()
    manual = site.session.exec(
        select(OrderDocument).where(OrderDocument.kind == DocumentKind.user_manual)
    ).one()
    with pytest.raises(InvalidInput, match="客户验收单"):
        site.accept(form_document_id=manual.id)
    form = site.upload(DocumentKind.acceptance_form, "signed")
    with pytest.raises(InvalidInput, match="二选一"):
        site.accept(form_document_id=form.id, form_photo_ids=[site.photo().id])
    assert site.accept(form_document_id=form.id).method == "pdf"


def test_only_site_engineers_and_trackers_record_acceptance(site):
    site.ready()
    production = make_user(site.session, Role.production)
    add_to_order(site.session, site.order, production, Role.production)
    with pytest.raises(Forbidden):
        site.accept(actor=act(site.session, production))
    assert site.accept(actor=site.engineer).recorded_by_id == site.engineer.id


def test_a_customer_accepts_once_through_the_link(site):
    site.ready()
    link, token = create_acceptance_link(
        session=site.session, actor=site.tracker, order_id=site.order.id, secret=SECRET
    )

    def confirm():
        return accept_by_link(
            session=site.session,
            actor=Actor.system(Channel.web),
            token=token,
            secret=SECRET,
            signer_name="刘经理",
            satisfaction=4,
            comment="按期交付",
        )

    acceptance = confirm()
    assert acceptance.method == "link" and acceptance.link_id == link.id
    assert acceptance.satisfaction == 4 and acceptance.comment == "按期交付"
    assert site.order.status == OrderStatus.completed and link.used_at is not None
    with pytest.raises(LinkUsed):
        confirm()


def test_an_expired_replaced_or_forged_link_is_refused(site):
    site.ready()
    s = site.session
    now = clock.now()
    old, old_token = create_acceptance_link(
        session=s, actor=site.tracker, order_id=site.order.id, secret=SECRET, now=now
    )
    _, token = create_acceptance_link(
        session=s, actor=site.tracker, order_id=site.order.id, secret=SECRET, now=now
    )
    assert old.revoked_at is not None
    with pytest.raises(LinkReplaced):
        open_link(session=s, token=old_token, secret=SECRET)
    with pytest.raises(LinkExpired):
        open_link(session=s, token=token, secret=SECRET, now=now + timedelta(days=8))
    with pytest.raises(LinkInvalid):
        open_link(session=s, token=token, secret="another-secret-entirely-0123456789")
    with pytest.raises(LinkInvalid):
        open_link(session=s, token=tampered(token), secret=SECRET)
    assert open_link(session=s, token=token, secret=SECRET)[1].id == site.order.id


def test_only_trackers_send_links_and_not_before_the_order_is_ready(site):
    with pytest.raises(Conflict) as err:
        create_acceptance_link(
            session=site.session, actor=site.tracker, order_id=site.order.id, secret=SECRET
        )
    assert err.value.code == "stage_gate"
    site.ready()
    with pytest.raises(Forbidden):
        create_acceptance_link(
            session=site.session, actor=site.engineer, order_id=site.order.id, secret=SECRET
        )
    site.issue("high")
    with pytest.raises(Conflict) as err:
        create_acceptance_link(
            session=site.session, actor=site.tracker, order_id=site.order.id, secret=SECRET
        )
    assert err.value.code == "open_high_risk_issues"
    assert count(site.session, AcceptanceLink) == 0


def test_the_same_pdf_uploaded_twice_is_one_document_and_closed_orders_take_none(site):
    first = site.upload(DocumentKind.completion_report, "same")
    again = site.upload(DocumentKind.completion_report, "same")
    assert first.id == again.id and count(site.session, OrderDocument) == 1
    site.ready()
    site.accept()
    with pytest.raises(Conflict):
        site.upload(DocumentKind.user_manual, "late")


def test_a_live_link_stops_working_once_the_order_is_accepted_otherwise_or_cancelled(session):
    accepted, cancelled = Site(session).ready(), Site(session).ready()
    tokens = [
        create_acceptance_link(
            session=session, actor=site.tracker, order_id=site.order.id, secret=SECRET
        )[1]
        for site in (accepted, cancelled)
    ]
    accepted.accept()
    cancel_order(
        session=session, actor=cancelled.tracker, order_id=cancelled.order.id, reason="客户取消"
    )
    with pytest.raises(LinkUsed):
        open_link(session=session, token=tokens[0], secret=SECRET)
    with pytest.raises(LinkClosed):
        open_link(session=session, token=tokens[1], secret=SECRET)
