"""All tables. Importing this package registers every table in SQLModel.metadata."""

# ruff: noqa: E402 (the setting below comes before the model modules on purpose)
from sqlmodel import SQLModel

# Pydantic builds a model's validator on first use instead of at import. Table models are
# never validated (SQLModel constructs them), so most are never built: every process that
# imports the models (test workers, gunicorn workers, the scheduler) starts about 0.1 s
# sooner and 3 MiB smaller. This runs before any model module: they are submodules.
SQLModel.model_config["defer_build"] = True

from models.acceptance import Acceptance, AcceptanceLink, OrderDocument
from models.alerts import Alert
from models.bom import BomLine
from models.change_orders import ChangeOrder
from models.changes import ChangeLog
from models.chat import BindingCode, ChatGroup, ChatGroupOrder, ChatIdentity, ChatInbound
from models.contingency import ContingencyPlan, ContingencyStep
from models.costs import CostEntry, OrderBudget, PaymentMilestone
from models.issues import IssueEvent, SiteIssue
from models.materials import Material, MaterialAlias
from models.orders import Order, OrderMember, Review, Signoff
from models.outbox import BotTask, KeyValue, Outbox, RobotSend
from models.people import Department, User, UserRole
from models.photos import Photo, PhotoAttachment
from models.production import Operation, OperationLink, OperationOutput, OperationTemplate
from models.purchasing import PromisedDateChange, PurchaseLine
from models.quality import Inspection, InspectionDefect, Rework
from models.reminders import (
    GroupSchedule,
    RiskMatrixSetting,
    SchedulerLease,
    SchedulerRun,
    apscheduler_jobs,
)
from models.reports import DailyReport, LabourEntry
from models.retro import RetroFeedback, RetroImprovement, Retrospective
from models.scans import Scan
from models.shipments import Shipment, ShipmentCheck
from models.stages import ChecklistItem, ChecklistTemplate, Stage
from models.suppliers import Supplier, SupplierContact

__all__ = [
    "Acceptance",
    "AcceptanceLink",
    "Alert",
    "BindingCode",
    "BomLine",
    "BotTask",
    "ChangeLog",
    "ChangeOrder",
    "ChatGroup",
    "ChatGroupOrder",
    "ChatIdentity",
    "ChatInbound",
    "ChecklistItem",
    "ChecklistTemplate",
    "ContingencyPlan",
    "ContingencyStep",
    "CostEntry",
    "DailyReport",
    "Department",
    "GroupSchedule",
    "Inspection",
    "InspectionDefect",
    "IssueEvent",
    "KeyValue",
    "LabourEntry",
    "Material",
    "MaterialAlias",
    "Operation",
    "OperationLink",
    "OperationOutput",
    "OperationTemplate",
    "Order",
    "OrderBudget",
    "OrderDocument",
    "OrderMember",
    "Outbox",
    "PaymentMilestone",
    "Photo",
    "PhotoAttachment",
    "PromisedDateChange",
    "PurchaseLine",
    "RetroFeedback",
    "RetroImprovement",
    "Retrospective",
    "Review",
    "Rework",
    "RiskMatrixSetting",
    "RobotSend",
    "Scan",
    "SchedulerLease",
    "SchedulerRun",
    "Shipment",
    "ShipmentCheck",
    "Signoff",
    "SiteIssue",
    "Stage",
    "Supplier",
    "SupplierContact",
    "User",
    "UserRole",
    "apscheduler_jobs",
]
