"""Reference data every deployment starts with: departments, the default SOP checklists,
operation templates and contingency plans.

The one service module above every domain: seeding a fresh database touches people, orders,
production and risk, so it lives here rather than in any one of them."""

from __future__ import annotations

from sqlmodel import Session, select

from app.services.people import DEPARTMENTS
from app.services.production import ensure_operation_templates
from app.services.risk import ensure_default_plans
from models.enums import StageKind
from models.people import Department
from models.stages import ChecklistTemplate

# (stage, title, required): the SOP each new order's stages start with; admins edit the
# templates, and each order may add its own items.
CHECKLISTS = [
    (StageKind.review, "交货期已与生产、采购确认", True),
    (StageKind.review, "付款条件已确认", True),
    (StageKind.review, "技术参数与图纸版本已确认", True),
    (StageKind.review, "特殊要求已书面记录", False),
    (StageKind.procurement, "BOM 已导入并核对", True),
    (StageKind.procurement, "关键物料供应商已确认交期", True),
    (StageKind.procurement, "关键物料已全部入库", True),
    (StageKind.production, "生产排程已下达", True),
    (StageKind.production, "首件检验合格", True),
    (StageKind.production, "全部工序完工", True),
    (StageKind.delivery, "成品检验合格", True),
    (StageKind.delivery, "包装与运输方案已确认", True),
    (StageKind.delivery, "运输保险已办理", False),
    (StageKind.delivery, "已签收回单", True),
    (StageKind.acceptance, "安装调试完成", True),
    (StageKind.acceptance, "问题点全部关闭", True),
    (StageKind.acceptance, "竣工报告与用户操作手册已提交", True),
    (StageKind.acceptance, "客户验收单已签署", True),
]


def ensure_reference_data(*, session: Session) -> None:
    """Insert the departments and default templates that are missing (idempotent)."""
    have = set(session.exec(select(Department.code)).all())
    for code, name in DEPARTMENTS:
        if code not in have:
            session.add(Department(code=code, name=name))
    if session.exec(select(ChecklistTemplate.id).limit(1)).first() is None:
        for position, (kind, title, required) in enumerate(CHECKLISTS):
            session.add(
                ChecklistTemplate(
                    stage_kind=kind, title=title, required=required, position=position
                )
            )
    ensure_operation_templates(session=session)
    session.flush()
    ensure_default_plans(session=session)
