"""Every status and kind in Gendan, as StrEnums (stored as their string values)."""

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
    draft = "draft"
    in_review = "in_review"
    confirmed = "confirmed"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


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


class TaskStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"
