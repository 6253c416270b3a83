"""Every status and kind in Gendan, as StrEnums (stored as their string values)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    tracker = "tracker"
    sales = "sales"
    engineering = "engineering"
    buyer = "buyer"
    warehouse = "warehouse"
    production = "production"
    quality = "quality"
    logistics = "logistics"
    site_engineer = "site_engineer"
    customer = "customer"


ROLE_NAMES = {
    Role.admin: "管理员",
    Role.manager: "管理层",
    Role.tracker: "跟单员",
    Role.sales: "销售",
    Role.engineering: "技术",
    Role.buyer: "采购",
    Role.warehouse: "仓库",
    Role.production: "生产主管",
    Role.quality: "质检",
    Role.logistics: "物流",
    Role.site_engineer: "现场工程师",
    Role.customer: "客户代表",
}


class Channel(StrEnum):
    """Through which door a change came in (written to the change log)."""

    api = "api"
    web = "web"
    bot = "bot"
    scheduler = "scheduler"
    import_ = "import"
    cli = "cli"


class OrderStatus(StrEnum):
    """An order's life. The named groups are the one definition of each kind of order."""

    draft = "draft"
    in_review = "in_review"
    confirmed = "confirmed"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"

    @classmethod
    def closed(cls) -> tuple[OrderStatus, ...]:
        """Accepted or cancelled: nothing on the order changes any more."""
        return (cls.completed, cls.cancelled)

    @classmethod
    def open(cls) -> tuple[OrderStatus, ...]:
        """Not closed: from draft to in progress."""
        return (cls.draft, cls.in_review, cls.confirmed, cls.in_progress)

    @classmethod
    def live(cls) -> tuple[OrderStatus, ...]:
        """Past the draft and not closed: what warnings and standups follow."""
        return (cls.in_review, cls.confirmed, cls.in_progress)

    @classmethod
    def executing(cls) -> tuple[OrderStatus, ...]:
        """Confirmed and being worked on: stages, shortages and acceptance run."""
        return (cls.confirmed, cls.in_progress)


ORDER_STATUS_NAMES = {
    OrderStatus.draft: "草稿",
    OrderStatus.in_review: "评审中",
    OrderStatus.confirmed: "已确认",
    OrderStatus.in_progress: "执行中",
    OrderStatus.completed: "已验收",
    OrderStatus.cancelled: "已取消",
}


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


PRIORITY_NAMES = {
    Priority.low: "低",
    Priority.normal: "普通",
    Priority.high: "高",
    Priority.urgent: "紧急",
}


class ReviewStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


class SignoffStatus(StrEnum):
    pending = "pending"
    signed = "signed"
    rejected = "rejected"


class ChangeOrderStatus(StrEnum):
    """A change to reviewed fields of an order past review (变更单): managers decide."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"


CHANGE_ORDER_STATUS_NAMES = {
    ChangeOrderStatus.pending: "待审批",
    ChangeOrderStatus.approved: "已批准",
    ChangeOrderStatus.rejected: "已驳回",
}


class StageKind(StrEnum):
    review = "review"
    procurement = "procurement"
    production = "production"
    delivery = "delivery"
    acceptance = "acceptance"


STAGE_ORDER = [
    StageKind.review,
    StageKind.procurement,
    StageKind.production,
    StageKind.delivery,
    StageKind.acceptance,
]

STAGE_NAMES = {
    StageKind.review: "订单评审",
    StageKind.procurement: "物料采购",
    StageKind.production: "生产制造",
    StageKind.delivery: "检验发货",
    StageKind.acceptance: "安装验收",
}


class StageStatus(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    done = "done"


STAGE_STATUS_NAMES = {
    StageStatus.not_started: "未开始",
    StageStatus.in_progress: "进行中",
    StageStatus.done: "已完成",
}


class ChangeAction(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


class PurchaseStatus(StrEnum):
    ordered = "ordered"
    confirmed = "confirmed"
    shipped = "shipped"
    in_transit = "in_transit"
    delayed = "delayed"
    received = "received"
    cancelled = "cancelled"

    @classmethod
    def done(cls) -> tuple[PurchaseStatus, ...]:
        """Received or cancelled: the line no longer waits for anything."""
        return (cls.received, cls.cancelled)

    @classmethod
    def open(cls) -> tuple[PurchaseStatus, ...]:
        """Still on its way: ordered up to delayed."""
        return (cls.ordered, cls.confirmed, cls.shipped, cls.in_transit, cls.delayed)


PURCHASE_STATUS_NAMES = {
    PurchaseStatus.ordered: "已下单",
    PurchaseStatus.confirmed: "已确认",
    PurchaseStatus.shipped: "已发货",
    PurchaseStatus.in_transit: "运输中",
    PurchaseStatus.delayed: "延期",
    PurchaseStatus.received: "已到货",
    PurchaseStatus.cancelled: "已取消",
}


class ScanAction(StrEnum):
    receive = "receive"
    issue = "issue"
    stock_check = "stock_check"


SCAN_ACTION_NAMES = {
    ScanAction.receive: "入库",
    ScanAction.issue: "发料",
    ScanAction.stock_check: "盘点",
}


class RiskLevel(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


RISK_NAMES = {RiskLevel.high: "高", RiskLevel.medium: "中", RiskLevel.low: "低"}


class IssueState(StrEnum):
    """The closed loop of a site issue (问题点)."""

    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    verified = "verified"
    reopened = "reopened"

    @classmethod
    def waiting(cls) -> tuple[IssueState, ...]:
        """Open issues: waiting for someone to handle them."""
        return (cls.open, cls.in_progress, cls.reopened)

    @classmethod
    def unclosed(cls) -> tuple[IssueState, ...]:
        """Not verified yet: waiting, or resolved and waiting for verification."""
        return (*cls.waiting(), cls.resolved)


ISSUE_STATE_NAMES = {
    IssueState.open: "待处理",
    IssueState.in_progress: "处理中",
    IssueState.resolved: "已解决待验证",
    IssueState.verified: "已验证关闭",
    IssueState.reopened: "已退回重开",
}


class IssueCategory(StrEnum):
    quality = "quality"
    safety = "safety"
    material = "material"
    design = "design"
    other = "other"


ISSUE_CATEGORY_NAMES = {
    IssueCategory.quality: "质量",
    IssueCategory.safety: "安全",
    IssueCategory.material: "物料",
    IssueCategory.design: "设计",
    IssueCategory.other: "其他",
}


class IssueAction(StrEnum):
    created = "created"
    acknowledged = "acknowledged"
    resolved = "resolved"
    verified = "verified"
    reopened = "reopened"
    reassigned = "reassigned"
    # A change of description, risk or due time; `extended` when a manager moved it later.
    updated = "updated"
    extended = "extended"


class DocumentKind(StrEnum):
    completion_report = "completion_report"
    user_manual = "user_manual"
    acceptance_form = "acceptance_form"


DOCUMENT_KIND_NAMES = {
    DocumentKind.completion_report: "竣工报告",
    DocumentKind.user_manual: "用户操作手册",
    DocumentKind.acceptance_form: "客户验收单",
}


class AcceptanceMethod(StrEnum):
    """How the customer's acceptance was evidenced."""

    photo = "photo"
    pdf = "pdf"
    link = "link"


class OperationColumn(StrEnum):
    """Kanban column of a production operation (derived, never stored)."""

    not_started = "not_started"
    in_progress = "in_progress"
    blocked = "blocked"
    done = "done"


OPERATION_COLUMN_NAMES = {
    OperationColumn.not_started: "未开始",
    OperationColumn.in_progress: "进行中",
    OperationColumn.blocked: "受阻",
    OperationColumn.done: "已完成",
}


class InspectionKind(StrEnum):
    full = "full"
    sampling = "sampling"


class InspectionResult(StrEnum):
    passed = "pass"
    failed = "fail"


class DefectSeverity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


DEFECT_SEVERITY_NAMES = {
    DefectSeverity.critical: "致命",
    DefectSeverity.major: "严重",
    DefectSeverity.minor: "轻微",
}


class ReworkStatus(StrEnum):
    open = "open"
    done = "done"


class ShipmentStatus(StrEnum):
    planned = "planned"
    packed = "packed"
    dispatched = "dispatched"
    in_transit = "in_transit"
    delivered = "delivered"


# Shipments only move forward along this list.
SHIPMENT_FLOW = [
    ShipmentStatus.planned,
    ShipmentStatus.packed,
    ShipmentStatus.dispatched,
    ShipmentStatus.in_transit,
    ShipmentStatus.delivered,
]

SHIPMENT_STATUS_NAMES = {
    ShipmentStatus.planned: "已计划",
    ShipmentStatus.packed: "已包装",
    ShipmentStatus.dispatched: "已发车",
    ShipmentStatus.in_transit: "运输中",
    ShipmentStatus.delivered: "已签收",
}


class SiteCheckKind(StrEnum):
    """What a remote-site checklist item is about."""

    site = "site"
    lifting = "lifting"
    customs = "customs"


class ChatPlatform(StrEnum):
    wechat = "wechat"
    wecom = "wecom"
    dingtalk = "dingtalk"


CHAT_PLATFORM_NAMES = {
    ChatPlatform.wechat: "微信",
    ChatPlatform.wecom: "企业微信",
    ChatPlatform.dingtalk: "钉钉",
}


class OutboxChannel(StrEnum):
    """How an outbox message reaches its chat: a group robot, a reply session, or one person."""

    wecom_robot = "wecom_robot"
    dingtalk_robot = "dingtalk_robot"
    dingtalk_session = "dingtalk_session"
    dingtalk_notice = "dingtalk_notice"
    wecom_app = "wecom_app"
    wechat_custom = "wechat_custom"
    wechat_subscribe = "wechat_subscribe"


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    merged = "merged"  # delivered inside a digest (see digest_id)
    cancelled = "cancelled"  # not sent: its alert was closed first (see cancel_reason)


class TaskStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class EscalationStage(StrEnum):
    """Where an unacknowledged exception stands against its handling time limit."""

    none = "none"
    remind_owner = "remind_owner"
    tell_manager = "tell_manager"


class RiskType(StrEnum):
    """Kinds of risk the contingency plan library (应急预案库) has plans for."""

    shortage = "shortage"
    supplier_delay = "supplier_delay"
    equipment_failure = "equipment_failure"
    weather = "weather"
    labour = "labour"


RISK_TYPE_NAMES = {
    RiskType.shortage: "缺料",
    RiskType.supplier_delay: "供应商延期",
    RiskType.equipment_failure: "设备故障",
    RiskType.weather: "天气",
    RiskType.labour: "人员",
}


class CostCategory(StrEnum):
    """The cost centre's categories: budget and actual are kept per category."""

    material = "material"
    labour = "labour"
    logistics = "logistics"
    other = "other"


COST_CATEGORY_NAMES = {
    CostCategory.material: "材料",
    CostCategory.labour: "人工",
    CostCategory.logistics: "物流",
    CostCategory.other: "其他",
}


class PaymentTrigger(StrEnum):
    """What makes a payment milestone due (parsed from the payment terms)."""

    contract = "contract"
    delivery = "delivery"
    acceptance = "acceptance"
    retention = "retention"
    other = "other"


PAYMENT_TRIGGER_NAMES = {
    PaymentTrigger.contract: "预付款",
    PaymentTrigger.delivery: "发货/到货款",
    PaymentTrigger.acceptance: "验收款",
    PaymentTrigger.retention: "质保金",
    PaymentTrigger.other: "其他",
}


class PaymentStatus(StrEnum):
    pending = "pending"
    partial = "partial"
    received = "received"


PAYMENT_STATUS_NAMES = {
    PaymentStatus.pending: "未收款",
    PaymentStatus.partial: "部分收款",
    PaymentStatus.received: "已收款",
}


class FeedbackSource(StrEnum):
    """Whose voice a retrospective feedback entry carries."""

    tracker = "tracker"
    customer = "customer"
    supplier = "supplier"


FEEDBACK_SOURCE_NAMES = {
    FeedbackSource.tracker: "跟单员",
    FeedbackSource.customer: "客户",
    FeedbackSource.supplier: "供应商",
}
