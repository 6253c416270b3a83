"""Job specs from the configuration, synced into APScheduler's database job store, and the
jobs themselves (run log, leadership check, heartbeat)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.services.alerts import GroupTimes
from models import clock
from models.reminders import SchedulerLease, SchedulerRun
from reminders import jobs
from reminders.leader import LeaseLock
from reminders.process import build_scheduler
from reminders.schedule import Task, Timing, desired_jobs, sync_jobs
from tests.reminders import targets

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

SH = ZoneInfo("Asia/Shanghai")
TIMING = Timing(heartbeat_seconds=15, sync_seconds=60, deliver_seconds=10)
GROUP = GroupTimes(7, time(8, 45), (0, 1, 2, 3, 4, 5), time(20, 0))
ALL_TARGETS = {task: "tests.reminders.targets:record" for task in Task}


def specs(*, groups=(), targets=None, sweep=5, timing=TIMING):
    return desired_jobs(
        timing=timing,
        sweep_minutes=sweep,
        timezone="Asia/Shanghai",
        groups=list(groups),
        targets={} if targets is None else targets,
    )


@pytest.fixture()
def scheduler(db):
    made = []

    def start():
        s = build_scheduler(db, "Asia/Shanghai")
        s.start(paused=True)
        made.append(s)
        return s

    yield start
    for s in made:
        if s.running:
            s.shutdown(wait=False)


def test_without_targets_only_the_housekeeping_jobs_are_scheduled():
    assert [s.id for s in specs(groups=[GROUP])] == ["scheduler.heartbeat", "scheduler.sync"]


def test_each_target_gets_a_job_and_each_group_its_standup_and_cut_off():
    ids = [s.id for s in specs(groups=[GROUP], targets=ALL_TARGETS)]
    assert ids == [
        "scheduler.heartbeat",
        "scheduler.sync",
        "task.sweep",
        "task.deliver",
        "task.prune",
        "task.standup.7",
        "task.report_cutoff.7",
    ]


def test_a_group_with_standups_switched_off_keeps_its_cut_off():
    quiet = GroupTimes(7, time(8, 45), (0, 1, 2, 3, 4, 5), time(20, 0), standup_enabled=False)
    ids = [s.id for s in specs(groups=[quiet], targets=ALL_TARGETS)]
    assert "task.standup.7" not in ids and "task.report_cutoff.7" in ids


def fires(spec, after: datetime) -> datetime:
    return spec.trigger.get_next_fire_time(None, after)


def test_standups_fire_at_08_45_local_monday_to_saturday():
    standup = {s.id: s for s in specs(groups=[GROUP], targets=ALL_TARGETS)}["task.standup.7"]
    saturday_9am = datetime(2026, 3, 7, 9, 0, tzinfo=SH)
    # Sunday has no standup: the next one is Monday morning, local time.
    assert fires(standup, saturday_9am) == datetime(2026, 3, 9, 8, 45, tzinfo=SH)
    friday_8am = datetime(2026, 3, 6, 8, 0, tzinfo=SH)
    assert fires(standup, friday_8am) == datetime(2026, 3, 6, 8, 45, tzinfo=SH)


def test_the_cut_off_fires_at_20_00_local_which_is_noon_utc():
    cutoff = {s.id: s for s in specs(groups=[GROUP], targets=ALL_TARGETS)}["task.report_cutoff.7"]
    monday = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    assert fires(cutoff, monday) == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_the_sweep_runs_every_configured_minutes():
    sweep = {s.id: s for s in specs(targets=ALL_TARGETS, sweep=7)}["task.sweep"]
    assert sweep.trigger.interval == timedelta(minutes=7)


def test_the_prune_of_closed_warnings_runs_every_night_at_03_30_local():
    prune = {s.id: s for s in specs(targets=ALL_TARGETS)}["task.prune"]
    sunday_noon = datetime(2026, 3, 8, 12, 0, tzinfo=SH)
    assert fires(prune, sunday_noon) == datetime(2026, 3, 9, 3, 30, tzinfo=SH)
    saturday_night = datetime(2026, 3, 7, 1, 0, tzinfo=SH)
    assert fires(prune, saturday_night) == datetime(2026, 3, 7, 3, 30, tzinfo=SH)


def stored(db) -> dict:
    from models.reminders import apscheduler_jobs

    with db.engine.connect() as conn:
        rows = conn.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time))
        return dict(rows.all())


def test_jobs_persist_in_the_database_across_scheduler_restarts(db, scheduler):
    first = scheduler()
    result = sync_jobs(first, specs(groups=[GROUP], targets=ALL_TARGETS))
    assert len(result.added) == 7 and not result.replaced and not result.removed
    before = stored(db)
    first.shutdown(wait=False)
    assert stored(db) == before

    second = scheduler()
    assert {job.id for job in second.get_jobs()} == set(before)
    again = sync_jobs(second, specs(groups=[GROUP], targets=ALL_TARGETS))
    assert not (again.added or again.replaced or again.removed)
    assert stored(db) == before  # unchanged jobs keep their next run time


def test_changed_schedules_replace_their_jobs_and_dropped_ones_go(db, scheduler):
    s = scheduler()
    sync_jobs(s, specs(groups=[GROUP], targets=ALL_TARGETS))
    later = GroupTimes(7, time(9, 30), (0, 1, 2, 3, 4), time(20, 0))
    targets = {t: ref for t, ref in ALL_TARGETS.items() if t is not Task.deliver}
    result = sync_jobs(s, specs(groups=[later], targets=targets, sweep=10))
    # The cut-off follows the group's working days too.
    assert sorted(result.replaced) == ["task.report_cutoff.7", "task.standup.7", "task.sweep"]
    assert result.removed == ["task.deliver"] and not result.added
    standup = s.get_job("task.standup.7")
    assert "hour='9', minute='30'" in str(standup.trigger)
    assert "day_of_week='mon,tue,wed,thu,fri'" in str(standup.trigger)
    assert set(stored(db)) == {j.id for j in s.get_jobs()}


def test_a_group_that_goes_away_loses_its_jobs(scheduler):
    s = scheduler()
    sync_jobs(s, specs(groups=[GROUP], targets=ALL_TARGETS))
    result = sync_jobs(s, specs(groups=[], targets=ALL_TARGETS))
    assert sorted(result.removed) == ["task.report_cutoff.7", "task.standup.7"]


@pytest.fixture()
def leading(db):
    runtime = jobs.Runtime(
        db, "leader-1", TIMING, groups=lambda session: [GROUP], targets=dict(ALL_TARGETS)
    )
    jobs.activate(runtime)
    targets.CALLS.clear()
    yield runtime
    jobs.deactivate()


def runs(db) -> list[SchedulerRun]:
    with db.session(readonly=True) as s:
        return list(s.exec(select(SchedulerRun).order_by(SchedulerRun.id)))


def test_a_task_job_calls_its_target_with_the_database_and_the_time(db, leading):
    jobs.run_task(job_id="task.standup.7", task="standup", group_id=7)
    (call,) = targets.CALLS
    assert call["db"] is db and call["group_id"] == 7 and call["now"].tzinfo is not None
    (run,) = runs(db)
    assert (run.job_id, run.holder, run.ok) == ("task.standup.7", "leader-1", True)
    assert run.started_at == call["now"]


def test_a_failing_target_is_logged_as_a_failed_run(db, leading):
    leading.targets[Task.sweep] = "tests.reminders.targets:fail"
    jobs.run_task(job_id="task.sweep", task="sweep")
    (run,) = runs(db)
    assert not run.ok and run.error == "RuntimeError: 目标失败"


def test_a_process_that_does_not_lead_runs_nothing(db):
    targets.CALLS.clear()
    jobs.run_task(job_id="task.sweep", task="sweep")
    assert targets.CALLS == [] and runs(db) == []


def test_the_heartbeat_stamps_the_lease_and_forgets_old_runs(db, leading):
    assert LeaseLock(db, "leader-1", 30).acquire()
    old = clock.now() - timedelta(days=jobs.RUN_LOG_DAYS, hours=1)
    with db.session() as s:
        s.add(SchedulerRun(job_id="x", holder="gone", started_at=old, finished_at=old))
        s.commit()
    jobs.heartbeat(job_id="scheduler.heartbeat")
    with db.session(readonly=True) as s:
        lease = s.exec(select(SchedulerLease)).one()
    (run,) = runs(db)
    assert run.job_id == "scheduler.heartbeat" and lease.heartbeat_at == run.started_at


def test_the_sync_job_applies_the_current_group_schedules(db, leading, scheduler):
    leading.scheduler = scheduler()
    jobs.sync(job_id="scheduler.sync")
    assert {j.id for j in leading.scheduler.get_jobs()} >= {"task.standup.7", "task.sweep"}


def test_once_the_process_steps_down_a_sync_changes_nothing(db, scheduler):
    runtime = jobs.Runtime(db, "leader-1", TIMING, groups=lambda session: [GROUP], targets={})
    runtime.scheduler = scheduler()
    jobs.activate(runtime)
    jobs.deactivate()
    # A sync job that was already running when the leader stepped down must not touch the
    # store: APScheduler's shutdown holds the store lock while it waits for running jobs.
    jobs.sync_now(runtime)
    assert runtime.scheduler.get_jobs() == []


def test_the_heartbeat_keeps_only_the_newest_runs_of_a_busy_job(db, leading):
    from sqlalchemy import insert

    start = clock.now() - timedelta(hours=1)
    rows = [
        {
            "job_id": "task.deliver",
            "holder": "leader-1",
            "started_at": start + timedelta(seconds=i),
            "finished_at": start + timedelta(seconds=i),
            "ok": True,
        }
        for i in range(jobs.RUN_LOG_PER_JOB + 20)
    ]
    with db.engine.begin() as conn:
        conn.execute(insert(SchedulerRun.__table__), rows)
    jobs.heartbeat(job_id="scheduler.heartbeat")
    kept = [r for r in runs(db) if r.job_id == "task.deliver"]
    assert len(kept) == jobs.RUN_LOG_PER_JOB
    assert kept[0].started_at == start + timedelta(seconds=20)
