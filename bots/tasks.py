"""Running the slow work chat commands queued (bot_task rows), outside the webhook request.

A task is claimed with a lease like an outbox row (bots/queue.py). Its network part
(downloading an image) runs outside any transaction; its database part and the message telling
the user the result are written in one transaction with the task's `done` mark, so a task's
effect happens once. A refusal by a service ends the task and tells the user why; other errors
are retried with backoff and, after MAX_ATTEMPTS, reported to the user as a failure.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.services.chat import Target, enqueue, session_target, user_target
from app.services.core import actor_for
from app.services.field import ISSUE_ENTITY, add_issue_photos, get_issue
from app.services.insight import order_standup_messages
from app.services.orders import upload_photo
from bots import texts
from bots.media import download_image
from bots.queue import Queue, backoff
from bots.replies import markdown, plain, render_for
from bots.runtime import ChatRuntime
from models.base import utcnow
from models.enums import Channel, ChatPlatform, TaskStatus
from models.errors import DomainError
from models.outbox import BotTask
from models.people import User

log = logging.getLogger("gendan.tasks")
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
TASKS_QUEUE = Queue(
    BotTask,
    pending=TaskStatus.pending,
    running=TaskStatus.running,
    dead=TaskStatus.failed,
    lease=LEASE,
    max_attempts=MAX_ATTEMPTS,
)
TASK_NAMES = {"standup": "站会摘要", "attach_image": "附加图片"}


@dataclass
class Task:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


def reply_to(reply: dict) -> Target:
    """The outbox target stored by bots.handlers.reply_target."""
    if reply["channel"] == "dingtalk_session":
        return session_target(reply["url"], datetime.fromisoformat(reply["expires_at"]))
    return user_target(ChatPlatform(reply["platform"]), reply["external_id"])


def _actor(session: Session, payload: dict):
    user = session.get(User, payload["user_id"])
    if user is None or not user.is_active:
        raise DomainError("账号已停用")
    return actor_for(session, user, Channel.bot)


def standup(session: Session, runtime: ChatRuntime, payload: dict, now: datetime) -> None:
    """Build the order's standup and send it where it was asked for (in parts when long); in
    a DingTalk group the non-reporters are @mentioned."""
    platform, reply = payload["platform"], payload["reply"]
    parts = order_standup_messages(
        session=session,
        actor=_actor(session, payload),
        order_id=payload["order_id"],
        platform=platform,
        now=now,
    )
    for part in parts:
        message = render_for(platform, markdown(part.title, part.text), passive=False)
        if reply["channel"] == "dingtalk_session":
            message = replace(
                message,
                mention_user_ids=part.mention_user_ids,
                mention_mobiles=part.mention_mobiles,
            )
        enqueue(
            session=session,
            target=reply_to(reply),
            message=message,
            kind="standup",
            order_id=payload["order_id"],
            now=now,
        )


def attach_image(session: Session, runtime: ChatRuntime, payload: dict, now: datetime) -> None:
    """Download the image (before touching the database), store it, attach it, say so."""
    data = download_image(
        runtime, payload["platform"], payload["media_id"], payload.get("robot_code", "")
    )
    actor = _actor(session, payload)
    if payload["entity"] != ISSUE_ENTITY:
        raise DomainError("不支持给这类记录附加图片")
    issue = get_issue(session=session, actor=actor, issue_id=payload["entity_id"])
    photo = upload_photo(session=session, actor=actor, order_id=issue.order_id, data=data, now=now)
    add_issue_photos(session=session, actor=actor, issue_id=issue.id, photo_ids=[photo.id])
    message = render_for(
        payload["platform"], plain(texts.IMAGE_ATTACHED.format(what=payload["what"]))
    )
    enqueue(
        session=session,
        target=reply_to(payload["reply"]),
        message=message,
        kind="image_attached",
        order_id=issue.order_id,
        now=now,
    )


TASKS: dict[str, Callable[[Session, ChatRuntime, dict, datetime], None]] = {
    "standup": standup,
    "attach_image": attach_image,
}


class TaskRunner:
    def __init__(self, db, runtime: ChatRuntime, *, now: Callable[[], datetime] = utcnow):
        self.db, self.runtime, self.now = db, runtime, now
        self.owner = uuid.uuid4().hex

    def run_due(self, limit: int = 10) -> int:
        """Run the tasks that are due; how many ran."""
        tasks = self._claim(self.now(), limit)
        for task in tasks:
            self._run(task)
        return len(tasks)

    def _claim(self, now: datetime, limit: int) -> list[Task]:
        with self.db.session() as session:
            rows = TASKS_QUEUE.claim(session, self.owner, now, limit=limit)
            tasks = [Task(r.id, r.kind, dict(r.payload), r.attempts) for r in rows]
            session.commit()
        return tasks

    def _run(self, task: Task) -> None:
        handler = TASKS.get(task.kind)
        try:
            if handler is None:
                raise DomainError("未知的任务类型")
            with self.db.session() as session:
                handler(session, self.runtime, task.payload, self.now())
                self._finish(session, task, TaskStatus.done)
                session.commit()
        except DomainError as exc:
            self._give_up(task, exc.message)
        except Exception as exc:
            log.exception("bot task %s (%s) failed", task.id, task.kind)
            if TASKS_QUEUE.exhausted(task.attempts):
                self._give_up(task, texts.INTERNAL_ERROR)
            else:
                self._retry(task, f"{type(exc).__name__}: {exc}"[:500])

    def _finish(self, session: Session, task: Task, status: TaskStatus, error: str = "") -> bool:
        row = TASKS_QUEUE.held(session, self.owner, task.id)
        if row is None:
            return False
        TASKS_QUEUE.finish(session, row, status)
        row.last_error = error or None
        row.finished_at = self.now()
        return True

    def _give_up(self, task: Task, reason: str) -> None:
        with self.db.session() as session:
            if (
                self._finish(session, task, TaskStatus.failed, reason[:500])
                and "reply" in task.payload
            ):
                what = TASK_NAMES.get(task.kind, "任务")
                message = render_for(
                    task.payload.get("platform", "wechat"),
                    plain(texts.TASK_FAILED.format(what=what, reason=reason)),
                )
                target = reply_to(task.payload["reply"])
                enqueue(
                    session=session,
                    target=target,
                    message=message,
                    kind="task_failed",
                    now=self.now(),
                )
            session.commit()

    def _retry(self, task: Task, error: str) -> None:
        with self.db.session() as session:
            row = TASKS_QUEUE.held(session, self.owner, task.id)
            if row is not None:
                row.last_error = error
                TASKS_QUEUE.retry(session, row, self.now(), backoff(task.attempts, jitter=False))
            session.commit()
