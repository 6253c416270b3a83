from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.insight import (
    add_feedback,
    add_improvement,
    adopt_improvement,
    get_retro,
    save_draft,
)
from app.services.procurement import set_purchase_status
from models.enums import PurchaseStatus, Role, StageKind
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.purchasing import PurchaseStatusIn
from models.retro import RetroFeedback, RetroImprovement, Retrospective
from models.stages import ChecklistTemplate
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import (
    act,
    add_to_order,
    count,
    make_bom_line,
    make_purchase,
    make_supplier,
    make_user,
)
from tests.services.field.test_acceptance import Site

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
_pinned_clock = pin_clock(TODAY)


def _bought(site, supplier, promised_in: int, arrived_ago: int):
    line = make_bom_line(site.session, site.order)
    purchase = make_purchase(
        site.session,
        site.order,
        line,
        supplier,
        promised_date=TODAY - timedelta(days=promised_in),
    )
    set_purchase_status(
        session=site.session,
        actor=site.tracker,
        purchase_id=purchase.id,
        data=PurchaseStatusIn(
            status=PurchaseStatus.received,
            arrived_on=TODAY - timedelta(days=arrived_ago),
            received_quantity=purchase.quantity,
        ),
    )
    return purchase


@pytest.fixture()
def accepted(session):
    site = Site(session).ready()
    site.late = make_supplier(session, "迟到钢材")
    site.punctual = make_supplier(session, "准时电气")
    _bought(site, site.late, promised_in=10, arrived_ago=4)  # 6 days late
    _bought(site, site.punctual, promised_in=5, arrived_ago=6)  # a day early
    site.accept(satisfaction=4, comment="安装及时")
    return site


def test_retro_before_acceptance_is_refused_in_chinese(session):
    site = Site(session).ready()
    with pytest.raises(Conflict) as err:
        get_retro(session=session, actor=site.tracker, order_id=site.order.id)
    assert err.value.message == "订单尚未验收，验收后才能复盘"
    with pytest.raises(Conflict):
        add_feedback(
            session=session,
            actor=site.tracker,
            order_id=site.order.id,
            data={"source": "tracker", "content": "x"},
        )
    assert count(session, RetroFeedback) == 0


def test_the_draft_measures_suppliers_delivery_and_customer(accepted):
    retro = get_retro(session=accepted.session, actor=accepted.tracker, order_id=accepted.order.id)
    draft = retro.draft
    assert not retro.saved and draft["customer"] == {"satisfaction": 4, "comment": "安装及时"}
    suppliers = {s["name"]: s for s in draft["suppliers"]}
    assert (
        suppliers["迟到钢材"]["on_time_rate"] == 0 and suppliers["迟到钢材"]["avg_delay_days"] == 6
    )
    assert suppliers["准时电气"]["on_time_rate"] == 100
    assert draft["suppliers"][0]["name"] == "迟到钢材"
    assert draft["stages"][0]["kind"] == "review" and len(draft["stages"]) == 5
    assert draft["issues"]["total"] == 0 and draft["rework"]["count"] == 0


def test_saving_the_draft_freezes_it_with_the_conclusion(accepted):
    s, tracker, order_id = accepted.session, accepted.tracker, accepted.order.id
    save_draft(session=s, actor=tracker, order_id=order_id, conclusion="图纸版本需同步")
    retro = get_retro(session=s, actor=tracker, order_id=order_id)
    assert retro.saved and retro.conclusion == "图纸版本需同步"
    save_draft(session=s, actor=tracker, order_id=order_id)
    assert count(s, Retrospective) == 1


def test_feedback_from_tracker_customer_and_supplier(accepted):
    s, order_id = accepted.session, accepted.order.id
    buyer = make_user(s, Role.buyer)
    add_to_order(s, accepted.order, buyer, Role.buyer)
    buyer = act(s, buyer)
    add_feedback(
        session=s,
        actor=accepted.tracker,
        order_id=order_id,
        data={"source": "customer", "content": "希望提前通知到货", "speaker": "王工", "rating": 4},
    )
    add_feedback(
        session=s,
        actor=buyer,
        order_id=order_id,
        data={"source": "supplier", "content": "图纸晚到两天", "supplier_id": accepted.late.id},
    )
    with pytest.raises(InvalidInput):
        add_feedback(
            session=s, actor=buyer, order_id=order_id, data={"source": "supplier", "content": "x"}
        )
    stranger = make_supplier(s, "无关供应商")
    with pytest.raises(InvalidInput):
        add_feedback(
            session=s,
            actor=buyer,
            order_id=order_id,
            data={"source": "supplier", "content": "x", "supplier_id": stranger.id},
        )
    with pytest.raises(Forbidden):
        add_feedback(
            session=s, actor=buyer, order_id=order_id, data={"source": "tracker", "content": "x"}
        )
    feedback = get_retro(session=s, actor=accepted.tracker, order_id=order_id).feedback
    assert [(f.source_name, f.supplier_name) for f in feedback] == [
        ("客户", None),
        ("供应商", "迟到钢材"),
    ]


def test_an_improvement_is_adopted_into_the_sop_template_once(accepted):
    s, order_id = accepted.session, accepted.order.id
    item = add_improvement(
        session=s,
        actor=accepted.tracker,
        order_id=order_id,
        data={"title": "开工前核对图纸版本", "stage_kind": "production"},
    )
    with pytest.raises(Forbidden):
        adopt_improvement(
            session=s, actor=accepted.tracker, order_id=order_id, improvement_id=item.id
        )
    admin = act(s, make_user(s, Role.admin))
    adopt_improvement(session=s, actor=admin, order_id=order_id, improvement_id=item.id)
    template = s.exec(
        select(ChecklistTemplate).where(ChecklistTemplate.title == "开工前核对图纸版本")
    ).one()
    assert template.stage_kind == StageKind.production and template.active
    with pytest.raises(Conflict):
        adopt_improvement(session=s, actor=admin, order_id=order_id, improvement_id=item.id)


def test_an_improvement_of_another_order_is_not_found(accepted, session):
    other = Site(session).ready()
    other.accept()
    item = add_improvement(
        session=session,
        actor=other.tracker,
        order_id=other.order.id,
        data={"title": "x", "stage_kind": "review"},
    )
    admin = act(session, make_user(session, Role.admin))
    with pytest.raises(NotFound):
        adopt_improvement(
            session=session, actor=admin, order_id=accepted.order.id, improvement_id=item.id
        )
    assert count(session, RetroImprovement) == 1
