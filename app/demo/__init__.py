"""Demo data for `make run`: users of every role, orders in different stages, chat bindings.

Everything goes through the services with real actors, so the demo orders carry an honest
change log and obey every rule a real order does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from app.demo.costs import load_costs_demo
from app.demo.field import load_field_demo
from app.demo.procurement import load_procurement_demo
from app.demo.production import (
    production_finished,
    production_in_progress,
    shipment_in_transit,
)
from app.services.chat import bind_identity, create_group
from app.services.core import Actor, actor_for, local_date, settings
from app.services.orders import (
    add_member,
    close_stage,
    create_order,
    decide_signoff,
    list_stages,
    set_checklist_item,
    source_of,
    start_stage,
    submit_for_review,
    update_stage,
)
from app.services.people import create_user
from app.services.reference import ensure_reference_data
from bots.simulator.seed import DEMO_CONFIG
from models.base import utcnow
from models.chat import ChatGroupCreate
from models.enums import Channel, ChatPlatform, Role, StageKind
from models.orders import MemberAdd, Order, OrderCreate
from models.people import UserCreate
from models.stages import StageUpdate

DEMO_PASSWORD = "gendan2026"

# username, display name, role, department, mobile
USERS = [
    ("admin", "系统管理员", Role.admin, "management", "13800000000"),
    ("wang.zong", "王总", Role.manager, "management", "13800000001"),
    ("li.gendan", "李跟单", Role.tracker, "sales", "13800000002"),
    ("zhao.xiaoshou", "赵销售", Role.sales, "sales", "13800000003"),
    ("qian.jishu", "钱技术", Role.engineering, "engineering", "13800000004"),
    ("sun.caigou", "孙采购", Role.buyer, "procurement", "13800000005"),
    ("zhou.cangku", "周仓库", Role.warehouse, "warehouse", "13800000006"),
    ("wu.shengchan", "吴生产", Role.production, "production", "13800000007"),
    ("zheng.zhijian", "郑质检", Role.quality, "quality", "13800000008"),
    ("feng.wuliu", "冯物流", Role.logistics, "logistics", "13800000009"),
    ("chen.xianchang", "陈现场", Role.site_engineer, "site", "13800000010"),
    ("liu.kehu", "刘客户", Role.customer, None, "13800000011"),
]

SIGNERS = {
    "sales": "zhao.xiaoshou",
    "engineering": "qian.jishu",
    "production": "wu.shengchan",
    "procurement": "sun.caigou",
    "quality": "zheng.zhijian",
}

ORDERS = [
    # code, customer, contract, days to delivery, how far it has come
    ("GD-DEMO-01", "华东化工设备有限公司", "HT-2026-101", 90, "draft"),
    ("GD-DEMO-02", "北方重工集团", "HT-2026-088", 75, "in_review"),
    ("GD-DEMO-03", "南方电力工程公司", "HT-2026-061", 45, "procurement"),
    ("GD-DEMO-04", "西部矿业机械厂", "HT-2026-032", 20, "delivery"),
]


def load_demo(*, session: Session, now: datetime | None = None) -> None:
    """Create the demo users and orders (on a database without them)."""
    now = now or utcnow()
    ensure_reference_data(session=session)
    system = Actor.system(Channel.cli)
    users = {}
    for username, name, role, dept, mobile in USERS:
        users[username] = create_user(
            session=session,
            actor=system,
            data=UserCreate(
                username=username,
                display_name=name,
                password=DEMO_PASSWORD,
                roles=[role],
                department=dept,
                mobile=mobile,
            ),
        )
    actors = {u: actor_for(session, user, Channel.cli) for u, user in users.items()}
    orders = {
        code: _demo_order(session, actors, now, code, customer, contract, days, reach)
        for code, customer, contract, days, reach in ORDERS
    }
    # The BOMs and receipts come first: the procurement gate reads them.
    load_procurement_demo(session=session, actors=actors, now=now)
    for code, _customer, _contract, _days, reach in ORDERS:
        if reach in ("procurement", "delivery"):
            _execute(session, actors, orders[code].id, reach, now)
    load_field_demo(session=session, actors=actors, orders=orders, now=now)
    load_costs_demo(session=session, actors=actors, now=now)
    _bind_chat_users(session, system, users)
    _bind_chat_groups(session, actors["li.gendan"], orders, now)
    # Leave the session acting as the system again for whatever the caller does next.
    from app.services.core import bind_actor

    bind_actor(session, system)


def _bind_chat_users(session, system: Actor, users: dict) -> None:
    """Bind the chat simulator's demo people to the Gendan demo users with the same mobile."""
    by_mobile = {user.mobile: user for user in users.values()}
    for person in DEMO_CONFIG["users"]:
        user = by_mobile.get(person["mobile"])
        if user is None:
            continue
        for platform, external_id in (
            (ChatPlatform.wechat, person.get("openid")),
            (ChatPlatform.wecom, person["userid"]),
            (ChatPlatform.dingtalk, person["userid"]),
        ):
            if external_id:
                bind_identity(
                    session=session,
                    actor=system,
                    user_id=user.id,
                    platform=platform,
                    external_id=external_id,
                    display_name=person["name"],
                    via="demo",
                )


def _bind_chat_groups(session, tracker: Actor, orders: dict, now: datetime) -> None:
    """The simulator's two group robots follow GD-DEMO-03 (greeted through the outbox)."""
    order_ids = [orders["GD-DEMO-03"].id]
    wecom = DEMO_CONFIG["wecom_robots"][0]
    ding = DEMO_CONFIG["dingtalk_robots"][0]
    for data in (
        ChatGroupCreate(
            platform=ChatPlatform.wecom,
            name=wecom["title"],
            webhook=wecom["key"],
            order_ids=order_ids,
        ),
        ChatGroupCreate(
            platform=ChatPlatform.dingtalk,
            name=ding["title"],
            webhook=ding["access_token"],
            secret=ding["secret"],
            conversation_id=ding["conversation_id"],
            order_ids=order_ids,
        ),
    ):
        create_group(session=session, actor=tracker, data=data, now=now)


def _demo_order(session, actors, now, code, customer, contract, days, reach) -> Order:
    today = local_date(now)
    tracker = actors["li.gendan"]
    order = create_order(
        session=session,
        actor=tracker,
        now=now,
        default_departments=list(settings().review_departments),
        data=OrderCreate(
            code=code,
            customer=customer,
            contract_no=contract,
            delivery_date=today + timedelta(days=days),
            payment_terms="合同签订后预付 30%，发货前 60%，验收合格后 10%",
            tech_params={"设计压力": "2.5 MPa", "材质": "Q345R", "图纸版本": "V2.1"},
            special_requirements="现场需 25 吨吊车；进场需安全培训",
        ),
    )
    for username, role in (
        ("sun.caigou", Role.buyer),
        ("zhou.cangku", Role.warehouse),
        ("wu.shengchan", Role.production),
        ("zheng.zhijian", Role.quality),
        ("feng.wuliu", Role.logistics),
        ("chen.xianchang", Role.site_engineer),
    ):
        add_member(
            session=session,
            actor=tracker,
            order_id=order.id,
            data=MemberAdd(user_id=actors[username].id, role=role),
        )
    _plan(session, tracker, order.id, today, days)
    if reach == "draft":
        return order
    submit_for_review(session=session, actor=tracker, order_id=order.id, now=now)
    signers = list(SIGNERS.items())
    if reach == "in_review":
        signers = signers[:3]
    for dept, username in signers:
        decide_signoff(
            session=session,
            actor=actors[username],
            order_id=order.id,
            department=dept,
            approve=True,
            reason="同意",
            now=now,
        )
    return order


def _execute(session, actors, order_id: int, reach: str, now) -> None:
    """Take a confirmed order through its stages up to `reach`."""
    _finish(session, actors["li.gendan"], order_id, StageKind.review, now)
    # Procurement progress follows the BOM receipts (app/demo/procurement.py).
    _start(session, actors["sun.caigou"], order_id, StageKind.procurement, now)
    if reach == "procurement":
        # Production overlaps procurement here (started early by the manager, with the reason
        # on the order page); welding lags and shows as the bottleneck.
        start_stage(
            session=session,
            actor=actors["wang.zong"],
            order_id=order_id,
            kind=StageKind.production,
            reason="下料和焊接所用钢板已备货，先行开工以保交期；阀门和电机到货前不装配",
            now=now,
        )
        production_in_progress(session, actors, order_id, now)
        return
    _finish(session, actors["sun.caigou"], order_id, StageKind.procurement, now)
    _start(session, actors["wu.shengchan"], order_id, StageKind.production, now)
    production_finished(session, actors, order_id, now)
    _finish(session, actors["wu.shengchan"], order_id, StageKind.production, now)
    _start(session, actors["zheng.zhijian"], order_id, StageKind.delivery, now, progress=30)
    shipment_in_transit(session, actors, order_id, now)


def _plan(session, actor, order_id: int, today: date, days: int) -> None:
    spans = {
        StageKind.review: (0, 7),
        StageKind.procurement: (5, 40),
        StageKind.production: (25, 70),
        StageKind.delivery: (70, 85),
        StageKind.acceptance: (85, 100),
    }
    for kind, (start, end) in spans.items():
        update_stage(
            session=session,
            actor=actor,
            order_id=order_id,
            kind=kind,
            data=StageUpdate(
                planned_start=today + timedelta(days=days * start // 100),
                planned_end=today + timedelta(days=days * end // 100),
            ),
        )


def _start(session, actor, order_id, kind, now, progress=None) -> None:
    start_stage(session=session, actor=actor, order_id=order_id, kind=kind, now=now)
    if progress is not None:
        update_stage(
            session=session,
            actor=actor,
            order_id=order_id,
            kind=kind,
            data=StageUpdate(progress=progress),
        )


def _finish(session, actor, order_id, kind, now) -> None:
    stage = next(s for s in list_stages(session=session, order_id=order_id) if s.kind == kind)
    from app.services.orders import checklist

    for item in checklist(session=session, stage_id=stage.id):
        if source_of(kind, item.title) is not None:
            continue  # derived from the records, not ticked
        set_checklist_item(
            session=session, actor=actor, order_id=order_id, item_id=item.id, done=True, now=now
        )
    if stage.status != "done":
        close_stage(session=session, actor=actor, order_id=order_id, kind=kind, now=now)
