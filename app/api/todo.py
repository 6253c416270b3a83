"""/api/me/todo: the signed-in person's 我的待办 (the phone app's to-do screen)."""

from __future__ import annotations

from flask_openapi3 import Tag

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, current_actor, db_session, ok
from app.services.insight import my_todo
from models.todo import TodoList

bp = APIBlueprint(
    "api_todo", __name__, url_prefix="/api", abp_tags=[Tag(name="我的待办")], abp_security=SECURITY
)


@bp.get("/me/todo", responses={200: TodoList})
def todo():
    """Warnings waiting for my 收到, my overdue issues, what my orders plan to finish today
    (stages and process steps), and my orders' shortages."""
    actor, session = current_actor(), db_session()
    return ok(my_todo(session=session, actor=actor))
