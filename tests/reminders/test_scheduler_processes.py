"""Real scheduler processes (`python -m reminders`) against one database: exactly one
runs jobs, a standby takes over when the leader is killed, jobs survive restarts.

Every wait polls the database or the log with a bounded timeout; nothing asserts on time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from models.base import utcnow
from models.reminders import SchedulerLease, SchedulerRun, apscheduler_jobs
from tests.factories import SECRET
from tests.reminders.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


class Scheduler:
    def __init__(self, proc: subprocess.Popen, log: Path):
        self.proc, self.log = proc, log

    @property
    def tag(self) -> str:
        return f":{self.proc.pid}:"

    def logged(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")


@pytest.fixture()
def schedulers(db, tmp_path):
    started: list[Scheduler] = []
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "GENDAN_ENV": "testing",
        "SECRET_KEY": SECRET,
        "GENDAN_INSTANCE_DIR": str(tmp_path / "instance"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "PASSWORD_HASH_PROFILE": "testing",
        "SCHEDULER_LEASE_SECONDS": "3",
        "SCHEDULER_POLL_SECONDS": "1",
        "SCHEDULER_HEARTBEAT_SECONDS": "1",
        "SCHEDULER_SYNC_SECONDS": "2",
    }

    def start(name: str, **more_env: str) -> Scheduler:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "reminders"],
                cwd=ROOT,
                env={**env, **more_env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(Scheduler(proc, log))
        return started[-1]

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
        s.proc.wait(timeout=30)


def runs(db) -> list[SchedulerRun]:
    with db.session(readonly=True) as s:
        return list(s.exec(select(SchedulerRun).order_by(SchedulerRun.started_at)))


def runs_by(db, scheduler: Scheduler) -> list[SchedulerRun]:
    return [r for r in runs(db) if scheduler.tag in r.holder]


def lease(db) -> SchedulerLease | None:
    with db.session(readonly=True) as s:
        return s.exec(select(SchedulerLease)).first()


def stored_jobs(db) -> set[str]:
    with db.engine.connect() as conn:
        return set(conn.execute(select(apscheduler_jobs.c.id)).scalars())


def test_one_leader_runs_the_jobs_and_a_standby_takes_over_when_it_is_killed(db, schedulers):
    a = schedulers("a")
    assert wait_for(lambda: len(runs_by(db, a)) >= 2), a.log.read_text()
    b = schedulers("b")
    assert wait_for(lambda: b.logged("standing by: another process leads")), b.log.read_text()
    seen = len(runs_by(db, a))
    assert wait_for(lambda: len(runs_by(db, a)) >= seen + 3)
    assert runs_by(db, b) == []
    assert a.tag in lease(db).holder

    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(timeout=30)
    assert wait_for(lambda: len(runs_by(db, b)) >= 2), b.log.read_text()
    assert b.tag in lease(db).holder
    last_of_a = runs_by(db, a)[-1]
    first_of_b = runs_by(db, b)[0]
    assert last_of_a.started_at <= first_of_b.started_at
    assert {r.holder for r in runs(db)} == {last_of_a.holder, first_of_b.holder}

    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(timeout=30) == 0
    assert b.logged("scheduler stopped")


def test_jobs_live_in_the_database_across_restarts_and_a_clean_stop_hands_over_at_once(
    db, schedulers
):
    first = schedulers("first")
    assert wait_for(lambda: len(runs_by(db, first)) >= 2), first.log.read_text()
    jobs = stored_jobs(db)
    assert jobs == {
        "scheduler.heartbeat",
        "scheduler.sync",
        "task.deliver",
        "task.sweep",
        "task.prune",
    }
    first.proc.send_signal(signal.SIGTERM)
    assert first.proc.wait(timeout=30) == 0
    assert stored_jobs(db) == jobs
    assert lease(db).expires_at <= utcnow()  # released, not left to expire

    second = schedulers("second")
    assert wait_for(lambda: len(runs_by(db, second)) >= 2), second.log.read_text()
    assert stored_jobs(db) == jobs
    assert {r.job_id for r in runs_by(db, second)} <= jobs


def test_two_schedulers_deliver_each_outbox_message_once(db, session, schedulers, sim):
    from app.services.chat import enqueue, group_target
    from bots.simulator.seed import gendan_env
    from models.enums import OutboxStatus
    from models.messages import OutboundMessage
    from models.outbox import Outbox
    from tests.bots.live import content, pushed
    from tests.factories import make_chat_group

    group = make_chat_group(session, webhook="wecom-robot-key-1")
    for text in ("缺料提醒 1", "缺料提醒 2", "缺料提醒 3"):
        enqueue(
            session=session,
            target=group_target(group),
            message=OutboundMessage.markdown("提醒", text),
            kind="test",
        )
    session.commit()
    apis = gendan_env(sim.url)
    a, b = schedulers("a", **apis), schedulers("b", **apis)

    def all_sent() -> bool:
        with db.session(readonly=True) as s:
            rows = s.exec(select(Outbox)).all()
            return all(r.status == OutboxStatus.sent for r in rows)

    assert wait_for(all_sent), a.log.read_text() + b.log.read_text()
    texts = [content(m) for m in pushed(sim, "wecom-robot:wecom-robot-key-1")]
    for i in (1, 2, 3):
        assert sum(f"缺料提醒 {i}" in t for t in texts) == 1, texts

    def delivered() -> set[str]:
        return {r.holder for r in runs(db) if r.job_id == "task.deliver"}

    # A job's run is recorded when it has finished, after its messages were marked sent.
    assert wait_for(delivered), a.log.read_text() + b.log.read_text()
    assert len(delivered()) == 1


def test_two_schedulers_send_each_warning_once(db, session, pg_only, schedulers, sim):
    """The sweep job runs in the leader only; a sweep racing it (a hand-over, a manual run)
    adds nothing: one alert and one chat message per warning."""
    from app.services.alerts import sweep
    from bots.simulator.seed import gendan_env
    from models.alerts import Alert
    from models.enums import OutboxStatus
    from models.outbox import Outbox
    from tests.bots.live import content, pushed
    from tests.bots.test_alert_delivery import _late_key_purchases

    _late_key_purchases(session, 3)
    apis = gendan_env(sim.url)
    a = schedulers("a", RULE_SWEEP_MINUTES="1", **apis)
    b = schedulers("b", RULE_SWEEP_MINUTES="1", **apis)

    def swept() -> bool:
        return any(r.job_id == "task.sweep" for r in runs(db))

    assert wait_for(swept, timeout=150), a.log.read_text() + b.log.read_text()
    with db.session() as racing:  # a second sweep as the leader's commits
        sweep(session=racing, now=utcnow())
        racing.commit()

    with db.session(readonly=True) as s:
        ids = list(s.exec(select(Alert.id).where(Alert.rule == "purchase_overdue")))
    assert len(ids) == 3

    def all_sent() -> bool:
        # Only these warnings' rows: in the Shanghai evening 日报未交 is raised too, and its
        # message waits for the end of quiet hours.
        with db.session(readonly=True) as s:
            rows = s.exec(select(Outbox).where(Outbox.kind == "alert")).all()
            mine = [r for r in rows if r.alert_id in ids]
            return len(mine) == 3 and all(r.status == OutboxStatus.sent for r in mine)

    assert wait_for(all_sent), a.log.read_text() + b.log.read_text()
    texts = [content(m) for m in pushed(sim, "wecom-robot:wecom-robot-key-1")]
    for alert_id in ids:
        assert sum(f"#A{alert_id} " in t for t in texts) == 1, texts
    assert len({r.holder for r in runs(db) if r.job_id == "task.sweep"}) == 1


def test_a_hung_leader_is_replaced_and_steps_down_when_it_wakes_without_sending_twice(
    db, session, pg_only, schedulers, sim
):
    """SIGSTOP the leader: once its lease (3 s here) runs out, the standby ends its database
    session and leads. Stop that one too, queue messages, wake the first: it finds its lead
    gone, replaces the hung one the same way, and delivers; the second wakes up fenced."""
    from app.services.chat import enqueue, group_target
    from bots.simulator.seed import gendan_env
    from models.enums import OutboxStatus
    from models.messages import OutboundMessage
    from models.outbox import Outbox
    from tests.bots.live import content, pushed
    from tests.factories import make_chat_group

    group = make_chat_group(session, webhook="wecom-robot-key-1")
    session.commit()
    apis = gendan_env(sim.url)
    a = schedulers("a", **apis)
    assert wait_for(lambda: len(runs_by(db, a)) >= 2), a.log.read_text()
    b = schedulers("b", **apis)
    assert wait_for(lambda: b.logged("standing by: another process leads")), b.log.read_text()
    first_epoch = lease(db).epoch
    a.proc.send_signal(signal.SIGSTOP)
    try:
        assert wait_for(lambda: b.tag in lease(db).holder), b.log.read_text()
        assert b.logged("lease expired; ending its database session")
        assert lease(db).epoch == first_epoch + 1
        b.proc.send_signal(signal.SIGSTOP)
        for text in ("停机提醒 1", "停机提醒 2", "停机提醒 3"):
            enqueue(
                session=session,
                target=group_target(group),
                message=OutboundMessage.markdown("提醒", text),
                kind="test",
            )
        session.commit()
    finally:
        a.proc.send_signal(signal.SIGCONT)
    try:
        assert wait_for(lambda: a.logged("scheduler lost the lead")), a.log.read_text()
        assert wait_for(lambda: a.tag in lease(db).holder), a.log.read_text()
        assert lease(db).epoch == first_epoch + 2
    finally:
        b.proc.send_signal(signal.SIGCONT)

    def all_sent() -> bool:
        with db.session(readonly=True) as s:
            rows = s.exec(select(Outbox)).all()
            return len(rows) == 3 and all(r.status == OutboxStatus.sent for r in rows)

    assert wait_for(all_sent), a.log.read_text() + b.log.read_text()
    # The second steps down: at its next renewal, or at once when it was stopped inside a
    # transaction that the server ended meanwhile (its jobs' store, a delivery).
    assert wait_for(
        lambda: b.logged("scheduler lost the lead") or b.logged("scheduler error; standing by")
    ), b.log.read_text()
    texts = [content(m) for m in pushed(sim, "wecom-robot:wecom-robot-key-1")]
    for i in (1, 2, 3):
        assert sum(f"停机提醒 {i}" in t for t in texts) == 1, texts
    assert a.tag in lease(db).holder
