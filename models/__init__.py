"""All tables. Importing this package registers every table in SQLModel.metadata."""

from models.changes import ChangeLog
from models.contingency import ContingencyPlan, ContingencyStep
from models.orders import Order, OrderMember, Review, Signoff
from models.people import Department, User, UserRole
from models.photos import Photo, PhotoAttachment
from models.reminders import (
    GroupSchedule,
    RiskMatrixSetting,
    SchedulerLease,
    SchedulerRun,
    apscheduler_jobs,
)
from models.stages import ChecklistItem, ChecklistTemplate, Stage

__all__ = [
    "ChangeLog",
    "ChecklistItem",
    "ChecklistTemplate",
    "ContingencyPlan",
    "ContingencyStep",
    "Department",
    "GroupSchedule",
    "Order",
    "OrderMember",
    "Photo",
    "PhotoAttachment",
    "Review",
    "RiskMatrixSetting",
    "SchedulerLease",
    "SchedulerRun",
    "Signoff",
    "Stage",
    "User",
    "UserRole",
    "apscheduler_jobs",
]
