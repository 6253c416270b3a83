"""Outbox delivery: claim due rows across processes, send them through the platform senders
(targets.py picks sender and target), merge a group's excess into digests (digest.py), record
the outcome (deliverer.py). The scheduler's delivery job drives it; web workers use it for
immediate replies."""
