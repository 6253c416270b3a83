"""All tables. Importing this package registers every table in SQLModel.metadata."""

from models.changes import ChangeLog
from models.orders import Order, OrderMember, Review, Signoff
from models.people import Department, User, UserRole
from models.photos import Photo, PhotoAttachment
from models.production import Operation, OperationLink, OperationOutput, OperationTemplate
from models.quality import Inspection, InspectionDefect, Rework
from models.shipments import Shipment, ShipmentCheck
from models.stages import ChecklistItem, ChecklistTemplate, Stage

__all__ = [
    "ChangeLog",
    "ChecklistItem",
    "ChecklistTemplate",
    "Department",
    "Inspection",
    "InspectionDefect",
    "Operation",
    "OperationLink",
    "OperationOutput",
    "OperationTemplate",
    "Order",
    "OrderMember",
    "Photo",
    "PhotoAttachment",
    "Review",
    "Rework",
    "Shipment",
    "ShipmentCheck",
    "Signoff",
    "Stage",
    "User",
    "UserRole",
]
