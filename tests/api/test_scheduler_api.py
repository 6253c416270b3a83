from models.enums import Role
from reminders import jobs
from reminders.leader import LeaseLock
from reminders.process import build_scheduler
from reminders.schedule import Timing, desired_jobs, sync_jobs
from tests.factories import bearer, make_user


def test_admins_see_the_leader_its_heartbeat_and_each_jobs_runs(client, session, db):
    admin, tracker = make_user(session, Role.admin), make_user(session, Role.tracker)
    session.commit()
    empty = client.get("/api/scheduler", headers=bearer(admin)).get_json()
    assert empty == {
        "leader": None,
        "leading_since": None,
        "lease_expires_at": None,
        "heartbeat_at": None,
        "jobs": [],
    }

    assert LeaseLock(db, "host:42:abc", 30).acquire()
    scheduler = build_scheduler(db, "Asia/Shanghai")
    scheduler.start(paused=True)
    try:
        specs = desired_jobs(timing=Timing(), sweep_minutes=5, timezone="Asia/Shanghai", groups=[])
        sync_jobs(scheduler, specs)
        jobs.activate(jobs.Runtime(db, "host:42:abc", Timing(), lambda s: []))
        jobs.heartbeat(job_id="scheduler.heartbeat")
    finally:
        jobs.deactivate()
        scheduler.shutdown(wait=False)

    body = client.get("/api/scheduler", headers=bearer(admin)).get_json()
    assert body["leader"] == "host:42:abc" and body["heartbeat_at"] is not None
    by_id = {j["job_id"]: j for j in body["jobs"]}
    assert set(by_id) == {
        "scheduler.heartbeat",
        "scheduler.sync",
        "task.deliver",
        "task.sweep",
        "task.prune",
    }
    assert by_id["scheduler.heartbeat"]["last_run"]["ok"] is True
    assert by_id["scheduler.sync"]["last_run"] is None
    assert by_id["scheduler.sync"]["next_run_at"] is not None

    r = client.get("/api/scheduler", headers=bearer(tracker))
    assert r.status_code == 403
