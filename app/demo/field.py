"""Field-work demo data: yesterday's daily reports and site issues in every state of the loop.

Called by app.demo.load_demo once the demo orders exist; goes through the services, like the
rest of the demo.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from app.services.core import Actor, local_date
from app.services.field import (
    acknowledge_issue,
    create_issue,
    resolve_issue,
    submit_daily_report,
    verify_issue,
)
from models.orders import Order

# username, what was done, plan, problems, own hours, day labour
REPORTS = {
    "GD-DEMO-03": [
        ("sun.caigou", "催交 Q345R 板材，供应商确认周四发货", "跟进法兰锻件质检报告", "", 8, []),
        ("wu.shengchan", "完成下料排版，准备焊工资质复核", "板材到厂后开始下料", "板材未到", 8, []),
    ],
    "GD-DEMO-04": [
        (
            "chen.xianchang",
            "完成 1 号机组设备就位与找平",
            "2 号机组就位，开始配管",
            "2 号机组地脚螺栓孔位偏差，已登记问题点",
            10,
            [("张师傅", 9, "设备就位找平"), ("王师傅", 9, "吊装配合"), ("李小工", 4, "清理现场")],
        ),
        ("wu.shengchan", "备齐 2 号机组垫铁与连接螺栓", "配合现场配管", "", 8, []),
    ],
}

# description, location, risk, category, owner, hours ago, how far along the loop
ISSUES = [
    (
        "2 号机组地脚螺栓孔位偏差 8mm，设备无法就位",
        "2 号机组基础",
        "high",
        "design",
        "wu.shengchan",
        3,
        "open",
    ),
    (
        "配电柜柜门运输变形，无法关严",
        "配电室",
        "medium",
        "quality",
        "wu.shengchan",
        20,
        "in_progress",
    ),
    (
        "现场临时围挡缺一段，夜间有坠落风险",
        "东侧坑边",
        "low",
        "safety",
        "chen.xianchang",
        30,
        "resolved",
    ),
    (
        "进口法兰垫片规格与图纸不符",
        "1 号机组出口",
        "medium",
        "material",
        "chen.xianchang",
        50,
        "verified",
    ),
]


def load_field_demo(
    *, session: Session, actors: dict[str, Actor], orders: dict[str, Order], now: datetime
) -> None:
    """Yesterday's reports on GD-DEMO-03/04 and four site issues on GD-DEMO-04."""
    yesterday = local_date(now) - timedelta(days=1)
    for code, rows in REPORTS.items():
        for username, done, plan, problems, hours, labour in rows:
            submit_daily_report(
                session=session,
                actor=actors[username],
                order_id=orders[code].id,
                day=yesterday,
                done_today=done,
                plan_tomorrow=plan,
                problems=problems,
                hours=hours,
                labour=[{"worker": w, "hours": h, "work": work} for w, h, work in labour],
                now=now,
            )
    for row in ISSUES:
        _issue(session, actors, orders["GD-DEMO-04"], now, *row)


def _issue(session, actors, order, now, description, location, risk, category, owner, ago, reach):
    start = now - timedelta(hours=ago)
    owner_actor = actors[owner]
    issue = create_issue(
        session=session,
        actor=actors["chen.xianchang"],
        order_id=order.id,
        description=description,
        location=location,
        risk=risk,
        category=category,
        owner_id=owner_actor.id,
        now=start,
    )
    if reach == "open":
        return
    acknowledge_issue(
        session=session, actor=owner_actor, issue_id=issue.id, now=start + timedelta(hours=1)
    )
    if reach == "in_progress":
        return
    resolve_issue(
        session=session,
        actor=owner_actor,
        issue_id=issue.id,
        resolution="已处理，请验证",
        now=start + timedelta(hours=6),
    )
    if reach == "verified":
        verify_issue(
            session=session,
            actor=actors["li.gendan"],
            issue_id=issue.id,
            note="现场复核合格",
            now=start + timedelta(hours=8),
        )
