"""Single receipts that arrive together share one transaction (scans/combine.py), and each
keeps its own answer: counted once, refused alone, or answered as a duplicate.

Made deterministic with PostgreSQL's row locks: the test holds the material's row lock, so the
first request (the leader) waits on it inside its run, and the requests sent meanwhile queue
behind it in the worker's combiner. When the lock is let go, the leader's run commits and the
next waiting request leads the run of every receipt queued beside it.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from app.api.scans import COMBINER
from models.bom import BomLine
from models.materials import Material
from models.scans import Scan
from tests.factories import (
    bearer,
    count,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_warehouse,
)

NEEDED = 10
# The backends that wait for a lock this test's connection holds.
WAITING_ON_ME = text(
    "SELECT array_agg(pid ORDER BY pid) FROM pg_stat_activity"
    " WHERE :me = ANY(pg_blocking_pids(pid))"
)


def test_receipts_from_many_threads_at_once_all_count_once(app, session):
    """Either engine: on SQLite a waiting thread lets go of the writer lock before it waits,
    so the leader can write; nothing deadlocks and every receipt counts once."""
    order = make_procuring_order(session)
    material = make_material(session, "PIPE-DN50", name="无缝钢管")
    line = make_bom_line(session, order, material, needed=1000)
    phones = [bearer(make_warehouse(session, order)) for _ in range(3)]
    session.commit()
    combiner = app.extensions[COMBINER]
    receipts = combiner.receipts

    def phone(headers):
        client = app.test_client()
        body = {"result": "PIPE-DN50", "action": "receive", "quantity": 1}
        return [
            client.post(
                "/api/scans", json={**body, "client_id": str(uuid.uuid4())}, headers=headers
            ).status_code
            for _ in range(8)
        ]

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(phone, phones[i % 3]) for i in range(6)]
        statuses = [s for f in futures for s in f.result(timeout=60)]
    assert statuses == [201] * 48
    assert combiner.receipts - receipts == 48 and combiner.waiting == 0
    session.expire_all()
    assert session.get(BomLine, line.id).received == 48
    assert session.get(Material, material.id).stock == 48
    assert count(session, Scan) == 48


@pytest.fixture()
def scene(pg_only, app, session):
    order = make_procuring_order(session)
    material = make_material(session, "PIPE-DN50", name="无缝钢管")
    line = make_bom_line(session, order, material, needed=NEEDED)
    first, second = make_warehouse(session, order), make_warehouse(session, order)
    session.commit()
    scene = Scene(app, session, line, material, bearer(first), bearer(second))
    yield scene
    scene.pool.shutdown(wait=False, cancel_futures=True)


class Scene:
    def __init__(self, app, session, line, material, first, second):
        self.app, self.session, self.line, self.material = app, session, line, material
        self.first, self.second = first, second
        self.combiner = app.extensions[COMBINER]
        self.pool = ThreadPoolExecutor(8)
        self.me = None

    def hold(self) -> None:
        """Take the material's row lock, as a receipt of another worker would."""
        self.session.exec(select(Material).where(Material.id == self.material.id).with_for_update())
        self.me = self.session.execute(text("SELECT pg_backend_pid()")).scalar_one()

    def let_go(self) -> None:
        self.session.commit()

    def waiting_on_me(self) -> list[int]:
        # pg_stat_activity is read once per transaction unless told to read it again.
        self.session.execute(text("SELECT pg_stat_clear_snapshot()"))
        return self.session.execute(WAITING_ON_ME, {"me": self.me}).scalar_one() or []

    def send(self, headers, quantity=1, client_id=None, **more):
        body = {
            "client_id": client_id or str(uuid.uuid4()),
            "result": "PIPE-DN50",
            "action": "receive",
            "quantity": quantity,
            **more,
        }
        return body, self.pool.submit(
            lambda: self.app.test_client().post("/api/scans", json=body, headers=headers)
        )

    def leader(self, headers, **more):
        """A request that leads a run and waits for the held lock inside it."""
        before = set(self.waiting_on_me())
        sent = self.send(headers, **more)
        until(lambda: set(self.waiting_on_me()) - before, "the leader never waited for the lock")
        return sent

    def follower(self, headers, **more):
        """A request that queues in the combiner behind the running leader."""
        queued = self.combiner.waiting
        sent = self.send(headers, **more)
        until(lambda: self.combiner.waiting == queued + 1, "the request never queued")
        return sent


def until(condition, message: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.01)


def answer(sent):
    reply = sent[1].result(timeout=30)
    return reply.status_code, reply.get_json()


def test_receipts_that_arrive_together_share_a_run_and_each_keeps_its_answer(scene):
    runs = scene.combiner.runs
    scene.hold()
    try:
        lead = scene.leader(scene.first, quantity=2)
        one = scene.follower(scene.first)
        again = scene.follower(scene.first, client_id=one[0]["client_id"])
        too_many = scene.follower(scene.first, quantity=NEEDED)
        last = scene.follower(scene.first)
    finally:
        scene.let_go()
    assert answer(lead)[0] == 201 and answer(lead)[1]["received"] == 2
    status, body = answer(one)
    assert (status, body["received"]) == (201, 3)
    status, body = answer(again)
    assert (status, body["duplicate"], body["received"]) == (200, True, 3)
    status, body = answer(too_many)
    assert (status, body["error"]["code"]) == (409, "over_receipt")
    assert "超" in body["error"]["message"]
    status, body = answer(last)
    assert (status, body["received"]) == (201, 4)
    # The leader's run, then one run of the four queued beside it.
    assert scene.combiner.runs - runs == 2
    assert scene.combiner.largest >= 4
    scene.session.expire_all()
    assert scene.session.get(BomLine, scene.line.id).received == 4
    assert scene.session.get(Material, scene.material.id).stock == 4
    assert count(scene.session, Scan) == 3


def test_two_workers_receipts_never_share_a_run(scene):
    runs = scene.combiner.runs
    scene.hold()
    try:
        lead = scene.leader(scene.first)
        theirs = [scene.follower(scene.second), scene.follower(scene.second)]
        mine = scene.follower(scene.first)
    finally:
        scene.let_go()
    statuses = [answer(sent)[0] for sent in (lead, *theirs, mine)]
    assert statuses == [201] * 4
    # The leader's run; the second worker's two receipts; the first's other receipt.
    assert scene.combiner.runs - runs == 3
    users = scene.session.exec(select(Scan.user_id, func.count()).group_by(Scan.user_id)).all()
    assert sorted(n for _, n in users) == [2, 2]


def test_a_run_that_fails_writes_nothing_and_its_receipts_may_be_sent_again(scene):
    scene.hold()
    try:
        lead = scene.leader(scene.first, quantity=2)
        queued = [scene.follower(scene.first), scene.follower(scene.first)]
        # The leader's connection dies: its request fails, and the next waiting one leads.
        (leader_pid,) = scene.waiting_on_me()
        scene.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": leader_pid})
        assert answer(lead)[0] == 503
        until(lambda: scene.waiting_on_me() not in ([], [leader_pid]), "no second run waited")
        # Its connection dies too: both receipts of its run fail.
        (second_pid,) = scene.waiting_on_me()
        scene.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": second_pid})
        failed = [answer(sent) for sent in queued]
    finally:
        scene.let_go()
    assert [status for status, _ in failed] == [503, 503]
    assert all(body["error"]["code"] == "database_unavailable" for _, body in failed)
    assert count(scene.session, Scan) == 0
    scene.session.expire_all()
    assert scene.session.get(BomLine, scene.line.id).received == 0
    # The phones send them again: each counts once.
    again = [scene.send(scene.first, client_id=body["client_id"]) for body, _ in queued]
    assert sorted(answer(sent)[0] for sent in again) == [201, 201]
    scene.session.expire_all()
    assert scene.session.get(BomLine, scene.line.id).received == 2
    assert scene.combiner.waiting == 0
