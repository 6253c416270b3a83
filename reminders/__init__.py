"""The scheduler door: its process (process.py), leader election (leader.py), the jobs it keeps
(schedule.py, jobs.py) and their targets, which open a session, call a service and commit
(alert_jobs.py, outbox_job.py). The rules it runs are business rules and live in
app/services/alerts; see docs/ARCHITECTURE.md."""
