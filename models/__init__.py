"""All tables. Importing this package registers every table in SQLModel.metadata."""

from models.acceptance import Acceptance, AcceptanceLink, OrderDocument
from models.changes import ChangeLog
from models.contingency import ContingencyPlan, ContingencyStep
from models.issues import IssueEvent, SiteIssue
from models.orders import Order, OrderMember, Review, Signoff
from models.people import Department, User, UserRole
from models.photos import Photo, PhotoAttachment
from models.production import Operation, OperationLink, OperationOutput, OperationTemplate
from models.quality import Inspection, InspectionDefect, Rework
from models.reminders import (
    GroupSchedule,
    RiskMatrixSetting,
    SchedulerLease,
    SchedulerRun,
    apscheduler_jobs,
)
from models.reports import DailyReport, LabourEntry
from models.shipments import Shipment, ShipmentCheck
from models.stages import ChecklistItem, ChecklistTemplate, Stage

__all__ = [
    "Acceptance",
    "AcceptanceLink",
    "ChangeLog",
    "ChecklistItem",
    "ChecklistTemplate",
    "ContingencyPlan",
    "ContingencyStep",
    "DailyReport",
    "Department",
    "GroupSchedule",
    "Inspection",
    "InspectionDefect",
    "IssueEvent",
    "LabourEntry",
    "Operation",
    "OperationLink",
    "OperationOutput",
    "OperationTemplate",
    "Order",
    "OrderDocument",
    "OrderMember",
    "Photo",
    "PhotoAttachment",
    "Review",
    "Rework",
    "RiskMatrixSetting",
    "SchedulerLease",
    "SchedulerRun",
    "Shipment",
    "ShipmentCheck",
    "Signoff",
    "SiteIssue",
    "Stage",
    "User",
    "UserRole",
    "apscheduler_jobs",
]
