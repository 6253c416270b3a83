"""Chinese names for tables, fields and values, so change logs and messages read naturally.

Kept in one place so the wording can be reviewed and translated together. Anything missing
falls back to its technical name, so a new table is readable (if plainly) from day one.
"""

from __future__ import annotations

from models.enums import (
    ORDER_STATUS_NAMES,
    PRIORITY_NAMES,
    PURCHASE_STATUS_NAMES,
    RISK_TYPE_NAMES,
    ROLE_NAMES,
    STAGE_NAMES,
    STAGE_STATUS_NAMES,
)

ENTITY_NAMES = {
    "orders": "订单",
    "stage": "阶段",
    "checklist_item": "检查项",
    "checklist_template": "检查清单模板",
    "review": "评审",
    "signoff": "会签",
    "order_member": "成员",
    "photo": "照片",
    "photo_attachment": "照片附件",
    "users": "用户",
    "user_role": "角色",
    "risk_matrix_setting": "风险矩阵",
    "contingency_plan": "应急预案",
    "contingency_step": "预案步骤",
    "group_schedule": "群提醒时间",
    "material": "物料",
    "material_alias": "物料条码",
    "supplier": "供应商",
    "supplier_contact": "供应商联系人",
    "bom_line": "BOM 行",
    "purchase_line": "采购行",
    "site_issue": "问题点",
    "shipment": "发货计划",
}

FIELD_NAMES = {
    "customer": "客户",
    "contract_no": "合同号",
    "delivery_date": "交期",
    "payment_terms": "付款条件",
    "tech_params": "技术参数",
    "special_requirements": "特殊要求",
    "priority": "优先级",
    "liaison_id": "跟单联络人",
    "status": "状态",
    "progress": "进度",
    "planned_start": "计划开始",
    "planned_end": "计划结束",
    "actual_start": "实际开始",
    "actual_end": "实际结束",
    "actual_delivery_date": "实际交付日期",
    "cancel_reason": "取消原因",
    "review_departments": "会签部门",
    "done": "完成",
    "note": "备注",
    "reason": "意见",
    "role": "角色",
    "title": "标题",
    "required": "必做",
    "display_name": "姓名",
    "mobile": "手机号",
    "is_active": "启用",
    "caption": "说明",
    "high_minutes": "高风险处理时限（分钟）",
    "medium_minutes": "中风险处理时限（分钟）",
    "low_minutes": "低风险处理时限（分钟）",
    "quiet_start": "免打扰开始",
    "quiet_end": "免打扰结束",
    "risk_type": "风险类型",
    "summary": "摘要",
    "action": "措施",
    "position": "顺序",
    "standup_time": "站会时间",
    "standup_days": "站会日",
    "report_cutoff": "日报截止时间",
    "standup_enabled": "推送站会摘要",
    "code": "编码",
    "name": "名称",
    "spec": "规格型号",
    "unit": "单位",
    "is_key": "关键物料",
    "stock": "库存",
    "preferred_supplier_id": "首选供应商",
    "backup_supplier_id": "备用供应商",
    "needed": "需求数量",
    "need_date": "需求日期",
    "warning_days": "预警天数",
    "received": "已收数量",
    "issued": "已发数量",
    "quantity": "数量",
    "unit_price": "单价",
    "promised_date": "承诺日期",
    "status_note": "状态说明",
    "arrived_on": "到货日期",
    "po_no": "采购单号",
}

# Columns that only repeat what the status already says (who/when), hidden in summaries.
QUIET_FIELDS = {
    "signed_at",
    "done_at",
    "done_by_id",
    "user_id",
    "decided_at",
    "last_received_at",
    "updated_by_id",
}

VALUE_NAMES = {
    **{k.value: v for k, v in ORDER_STATUS_NAMES.items()},
    **{k.value: v for k, v in STAGE_STATUS_NAMES.items()},
    **{k.value: v for k, v in STAGE_NAMES.items()},
    **{k.value: v for k, v in PRIORITY_NAMES.items()},
    **{k.value: v for k, v in ROLE_NAMES.items()},
    **{k.value: v for k, v in RISK_TYPE_NAMES.items()},
    **{k.value: v for k, v in PURCHASE_STATUS_NAMES.items()},
    "pending": "待处理",
    "signed": "已会签",
    "rejected": "已驳回",
    "approved": "已通过",
    "withdrawn": "已撤回",
    "true": "是",
    "false": "否",
}

CHANNEL_NAMES = {
    "api": "接口",
    "web": "网页",
    "bot": "群聊",
    "scheduler": "系统",
    "import": "导入",
    "cli": "命令行",
}

ACTION_NAMES = {"create": "新建", "update": "修改", "delete": "删除"}


def entity_name(entity: str) -> str:
    return ENTITY_NAMES.get(entity, entity)


def field_name(field: str) -> str:
    return FIELD_NAMES.get(field, field)


def value_name(value: str | None) -> str:
    if value is None or value == "":
        return "空"
    return VALUE_NAMES.get(value, value)
