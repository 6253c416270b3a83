"""Reminders: the scheduler process and its leader election, the risk matrix, quiet hours,
schedules and delay prediction (see the Reminders section of README.md)."""
