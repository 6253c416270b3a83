"""/api/schedules: standup times and daily-report cut-offs, deployment-wide and per chat group."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services import alerts as svc
from models.reminders import GroupScheduleIn, ScheduleOverview, SchedulePublic

bp = APIBlueprint(
    "api_schedules",
    __name__,
    url_prefix="/api/schedules",
    abp_tags=[Tag(name="提醒时间")],
    abp_security=SECURITY,
)


class GroupPath(BaseModel):
    group_id: int


@bp.get("", responses={200: ScheduleOverview})
def index():
    """The deployment defaults and every group's own schedule."""
    current_actor()
    return ok(svc.schedule_overview(session=db_session()))


@bp.get("/groups/<int:group_id>", responses={200: SchedulePublic})
def show(path: GroupPath):
    """A group's effective schedule."""
    actor = current_actor()
    return ok(svc.view_group_schedule(session=db_session(), actor=actor, group_id=path.group_id))


@bp.put("/groups/<int:group_id>", responses={200: SchedulePublic})
def update(path: GroupPath, body: GroupScheduleIn):
    """Set a group's own schedule (admins); null puts a field back to the default."""
    actor, session = current_actor(), db_session()
    svc.set_group_schedule(session=session, actor=actor, group_id=path.group_id, data=body)
    commit()
    return ok(svc.group_schedule(session=session, group_id=path.group_id))


@bp.delete("/groups/<int:group_id>", responses={200: SchedulePublic})
def reset(path: GroupPath):
    """Let a group follow the defaults again (admins)."""
    actor, session = current_actor(), db_session()
    svc.reset_group_schedule(session=session, actor=actor, group_id=path.group_id)
    commit()
    return ok(svc.group_schedule(session=session, group_id=path.group_id))
