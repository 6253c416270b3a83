"""/api/scheduler: who runs the scheduled jobs and how they last went (admins, managers)."""

from __future__ import annotations

from flask_openapi3 import Tag

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, current_actor, db_session, ok
from app.services.core import scheduler_status
from models.reminders import SchedulerStatus

bp = APIBlueprint(
    "api_scheduler",
    __name__,
    url_prefix="/api/scheduler",
    abp_tags=[Tag(name="调度")],
    abp_security=SECURITY,
)


@bp.get("", responses={200: SchedulerStatus})
def status():
    """The leading scheduler process, its heartbeat, each job's next and last run."""
    actor = current_actor()
    return ok(scheduler_status(session=db_session(), actor=actor))
