"""All tables. Importing this package registers every table in SQLModel.metadata."""

from models.bom import BomLine
from models.changes import ChangeLog
from models.materials import Material, MaterialAlias
from models.orders import Order, OrderMember, Review, Signoff
from models.people import Department, User, UserRole
from models.photos import Photo, PhotoAttachment
from models.purchasing import PromisedDateChange, PurchaseLine
from models.scans import Scan
from models.stages import ChecklistItem, ChecklistTemplate, Stage
from models.suppliers import Supplier, SupplierContact

__all__ = [
    "BomLine",
    "ChangeLog",
    "ChecklistItem",
    "ChecklistTemplate",
    "Department",
    "Material",
    "MaterialAlias",
    "Order",
    "OrderMember",
    "Photo",
    "PhotoAttachment",
    "PromisedDateChange",
    "PurchaseLine",
    "Review",
    "Scan",
    "Signoff",
    "Stage",
    "Supplier",
    "SupplierContact",
    "User",
    "UserRole",
]
