"""All tables. Importing this package registers every table in SQLModel.metadata."""

from models.changes import ChangeLog
from models.orders import Order, OrderMember, Review, Signoff
from models.people import Department, User, UserRole
from models.photos import Photo, PhotoAttachment
from models.stages import ChecklistItem, ChecklistTemplate, Stage

__all__ = [
    "ChangeLog",
    "ChecklistItem",
    "ChecklistTemplate",
    "Department",
    "Order",
    "OrderMember",
    "Photo",
    "PhotoAttachment",
    "Review",
    "Signoff",
    "Stage",
    "User",
    "UserRole",
]
