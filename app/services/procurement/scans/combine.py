"""Single receipts that arrive together share one transaction (group commit).

Receipts of a delivery go to the same few BOM lines and materials, whose rows a receipt locks
until it commits: concurrent phones, or concurrent scans of one phone, queue on those locks one
transaction at a time. Here the request threads of one process that want to receive at the
same moment take turns as the leader: the leader applies every waiting receipt of the same
actor with one set-based run (_receipts.receive_all: its reads, its locks in id order, its
writes) and commits once; each waiting thread then answers with its own outcome. A receipt that
arrives alone runs alone, on the same path as before.

Each receipt keeps its own answer: a refusal (over-receipt, a lot received before, no open
need) is decided for that scan only, and a resend or a client id sent twice at once is
answered as a duplicate, as in an offline queue. Should the transaction itself fail (the
database gone, a deadlock), every receipt of the run gets that error and nothing of the run
is written: the phones retry with the same client ids, and nothing counts twice.

A leader serves the receipts waiting when it starts and its own, then hands the turn to the
next waiting thread, so no request waits behind an endless stream of others.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from app.services.core import Actor, bind_actor
from app.services.procurement.scans._receipts import Outcome, receive_all
from app.services.procurement.scans.record import _replay as replay
from app.services.procurement.scans.record import fingerprint
from models.base import utcnow
from models.scans import ScanIn, ScanResult

# At most this many receipts in one run: it bounds how long a run holds its locks, and so how
# long the other workers' receipts wait for them.
MOST = 64


@dataclass(eq=False)
class _Turn:
    actor: Actor
    data: ScanIn
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    done: bool = False
    outcome: Outcome | None = None
    failure: BaseException | None = None

    @property
    def key(self) -> tuple:
        return (self.actor.id, self.actor.channel, self.actor.roles)


class ReceiptCombiner:
    """Group commit for single receipts, one per database (see the module docstring).

    `runs`, `receipts` and `largest` count what it did (one leader at a time writes them);
    the tests read them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Turn] = []
        self._busy = False
        self.runs = self.receipts = self.largest = 0

    @property
    def waiting(self) -> int:
        """Receipts waiting for their turn."""
        with self._lock:
            return len(self._waiting)

    def receive(
        self,
        *,
        session: Session,
        actor: Actor,
        data: ScanIn,
        commit: Callable[[], None],
    ) -> tuple[ScanResult, bool]:
        """Apply one receipt, with whichever receipts wait beside it; return its result and
        whether it was applied now (False: a resend).

        `session` is the caller's own, holding nothing of value; `commit` commits it. A thread
        that waits commits first (on SQLite that lets go of the write lock the leader needs);
        a leader runs in its own session and commits each run."""
        turn = _Turn(actor, data)
        with self._lock:
            self._waiting.append(turn)
            turn.lead = not self._busy
            self._busy = True
        if not turn.lead:
            self._let_go(session, turn, commit)
            turn.ready.wait()  # answered, or handed the turn
        if turn.lead:
            self._serve(session, turn, commit)
        if turn.failure is not None:
            raise turn.failure
        outcome = turn.outcome
        if outcome.error is not None:
            raise outcome.error
        return outcome.result, outcome.applied

    def _let_go(self, session: Session, turn: _Turn, commit: Callable[[], None]) -> None:
        """End a waiting thread's own transaction. Should that fail (the connection lost),
        the receipt leaves the queue and its request fails, unless a leader has taken it
        already or handed it the turn: then it is answered, or leads, as any other."""
        try:
            commit()
        except BaseException:
            with self._lock:
                mine = turn in self._waiting and not turn.lead
                if mine:
                    self._waiting.remove(turn)
            if mine:
                raise
            _roll_back(session)

    def _serve(self, session: Session, own: _Turn, commit: Callable[[], None]) -> None:
        """Run its own receipt with every waiting receipt of the same actor; then hand the
        turn to the next waiting thread, or end it."""
        try:
            with self._lock:
                run = [own, *(t for t in self._waiting if t.key == own.key and t is not own)]
                run = run[:MOST]
                for turn in run:
                    self._waiting.remove(turn)
            self._apply(session, run, commit)
        finally:
            with self._lock:
                if self._waiting:
                    nxt = self._waiting[0]
                    nxt.lead = True
                    nxt.ready.set()
                else:
                    self._busy = False

    def _apply(self, session: Session, run: list[_Turn], commit: Callable[[], None]) -> None:
        actor = run[0].actor
        self.runs += 1
        self.receipts += len(run)
        self.largest = max(self.largest, len(run))
        try:
            bind_actor(session, actor)
            scans = [turn.data for turn in run]
            outcomes = receive_all(session, actor, scans, utcnow(), fingerprint, replay, alone=True)
            commit()
        except BaseException as exc:
            _roll_back(session)
            for turn in run:
                turn.failure = exc
                _answered(turn)
            return
        for turn, outcome in zip(run, outcomes, strict=True):
            turn.outcome = outcome
            _answered(turn)


def _answered(turn: _Turn) -> None:
    turn.done, turn.lead = True, False
    turn.ready.set()


def _roll_back(session: Session) -> None:
    with contextlib.suppress(Exception):  # the run's own error is the one its requests get
        session.rollback()
