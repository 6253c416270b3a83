"""All tables. Importing this package registers every table in SQLModel.metadata."""

from models.changes import ChangeLog
from models.chat import BindingCode, ChatGroup, ChatGroupOrder, ChatIdentity, ChatInbound
from models.orders import Order, OrderMember, Review, Signoff
from models.outbox import BotTask, KeyValue, Outbox, RobotSend
from models.people import Department, User, UserRole
from models.photos import Photo, PhotoAttachment
from models.stages import ChecklistItem, ChecklistTemplate, Stage

__all__ = [
    "BindingCode",
    "BotTask",
    "ChangeLog",
    "ChatGroup",
    "ChatGroupOrder",
    "ChatIdentity",
    "ChatInbound",
    "ChecklistItem",
    "ChecklistTemplate",
    "Department",
    "KeyValue",
    "Order",
    "OrderMember",
    "Outbox",
    "Photo",
    "PhotoAttachment",
    "Review",
    "RobotSend",
    "Signoff",
    "Stage",
    "User",
    "UserRole",
]
