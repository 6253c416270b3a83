r"""Schemathesis over /api/openapi.json, in process, as an admin with the demo data loaded, on
SQLite and PostgreSQL: no request may cause a 5xx, and every response must pass every built-in
check (status, content type, headers and schema as documented, invalid data refused, valid
data accepted, authentication enforced, ...). The document states every rule the door applies
to a request's shape (no unknown fields, no NUL, number ranges and places, id ranges; blanks
and digits as explicit classes, since `\s` and `\d` differ between a JSON Schema reader and
pydantic; no null where a change cannot clear the field), so schema-valid data is never
refused with 400/422; what it cannot state (a row that does not exist, a state that forbids
the change, a login code the platform does not know) answers 401/403/404/409.

Single requests (positive and negative data) and call sequences along the links schemathesis
infers from the document (stateful). Every call sequence starts from the same data (the demo
snapshot is put back, the simulator and the rate-limit counts reset): hypothesis replays a
sequence to shrink a failure, and on changed data it drew other steps (FlakyStrategyDefinition).

`make test` runs the bounded variant: 3 examples per operation (1 for a GET without
parameters) and 3 sequences of 5 steps, derandomized (FUZZ_RANDOM=1: new examples each run).
The deep variant (50 examples, every operation that may write starting from the demo data; 50
sequences of 20 steps) is marked `fuzz_long`; each test prints its figures:

    FUZZ_LONG=1 .venv/bin/pytest -p no:cacheprovider -m fuzz_long tests/security
"""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from app.demo import load_demo
from models.enums import Role
from tests.chat import reset_simulator
from tests.dbsetup import Snapshot, restore, snapshot
from tests.factories import bearer, make_user
from tests.limits import reset_rate_limits

BOUNDED = int(os.environ.get("FUZZ_EXAMPLES", "3"))
LONG = 50
# Each run draws the same examples (derandomized) unless FUZZ_RANDOM is set: then every run
# draws new ones, which is how the long run's findings of 2026-12-07 came up (five runs).
RANDOM = bool(os.environ.get("FUZZ_RANDOM"))

# Valid data may be refused only with these: 404 a row that does not exist, 409 a state that
# forbids the change, 415 a file whose bytes are not of the accepted type (a PDF upload that is
# no PDF: its content cannot be stated in the schema), 401/403/429 as usual. 5xx is the
# not_a_server_error check's business.
ACCEPTED = ["2XX", "3XX", "401", "403", "404", "409", "415", "429", "5XX"]

# Rules the schema cannot state: across fields, on the content of an uploaded file, against
# today's date or the deployment's own address. Truly invalid input that schema-valid data can
# break, so these operations (and only these) may answer 422 to positive data.
CROSS_FIELD_422 = {
    # daily_plan's quantities must add up to planned_qty; planned_end not before planned_start
    "POST /api/orders/{order_id}/operations": "daily plan sum, end date before start date",
    "PATCH /api/orders/{order_id}/operations/{operation_id}": "daily plan sum, dates",
    "POST /api/orders/{order_id}/operations/from-templates": "end date before start date",
    # passed + failed == inspected, sample <= lot, a failed inspection needs defects and rework
    "POST /api/orders/{order_id}/inspections": "passed + failed = inspected; failure details",
    # receive/issue need a positive quantity; count and adjust accept 0
    "POST /api/scans": "quantity 0 for receive/issue",
    "POST /api/scans/batch": "quantity 0 for receive/issue",
    # the milestones' percentages must add up to 100
    "PUT /api/orders/{order_id}/payments": "percentages add up to 100",
    # a DingTalk robot's secret starts with SEC, a webhook is the platform's own URL form
    "POST /api/chat/groups": "secret and webhook depend on the platform",
    "PATCH /api/chat/groups/{group_id}": "secret and webhook depend on the group's platform",
    # an external id unless the id is to be found by the user's mobile
    "POST /api/chat/identities": "external_id required unless by_mobile",
    # a person named must be a member of the order (a reference the schema cannot check:
    # an unknown id is 404, a known one outside the order 422)
    "POST /api/orders/{order_id}/issues": "owner_id a member of the order",
    "PATCH /api/issues/{issue_id}": "owner_id a member of the order",
    # a promised date that changes needs a reason (against the stored date)
    "PATCH /api/purchases/{purchase_id}": "reason with a changed promised_date",
    # a received quantity only when the line is marked arrived
    "POST /api/purchases/{purchase_id}/status": "received_quantity only with status arrived",
    # only the last 31 days may be reported late
    "POST /api/orders/{order_id}/daily-reports": "day within the last 31 days (today)",
    # a planned end not before the planned start; an arrival not before the dispatch
    "PATCH /api/orders/{order_id}/stages/{kind}": "planned_end not before planned_start",
    "POST /api/orders/{order_id}/shipments": "planned_arrival not before planned_dispatch",
    "PATCH /api/orders/{order_id}/shipments/{shipment_id}": "arrival not before dispatch",
    "GET /api/orders/{order_id}/labour": "end not before start",
    # against today: nothing received or accepted in the future (nor before the order began)
    "POST /api/orders/{order_id}/payments/{milestone_id}/receipts": "received_on not after today",
    "POST /api/orders/{order_id}/acceptance": "accepted_on between the order's start and today",
    # only this deployment's own /m/ pages are signed (PUBLIC_BASE_URL)
    "POST /api/jsapi/signature": "url of this site's /m/ pages (configuration)",
    # the levels' time limits in order: high <= medium <= low
    "PUT /api/risk-matrix": "limits ordered by level",
    # the file's content: a sheet with the required columns, a picture that is not empty
    "POST /api/orders/import": "the sheet's columns and rows",
    "POST /api/orders/{order_id}/bom/import": "a workbook that opens, its columns and rows",
    "POST /api/orders/{order_id}/photos": "an empty picture file",
    "POST /api/scans/photo": "an empty picture file",
}


def _config() -> SchemathesisConfig:
    allow_422 = [
        {
            "include-name": name,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
        }
        for name in CROSS_FIELD_422
    ]
    return SchemathesisConfig.from_dict(
        {
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            "operations": allow_422,
        }
    )


# What loading the document and the demo data costs once per engine (1-4 s and 3-5 s), kept
# for the other tests of the run: the schema per app, the demo as a snapshot to put back.
_SCHEMAS: dict = {}
_DEMOS: dict[str, tuple[Snapshot, dict]] = {}


def _schema(app):
    if app not in _SCHEMAS:
        _SCHEMAS[app] = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=_config())
    return _SCHEMAS[app]


def _demo(db, session) -> tuple[Snapshot, dict]:
    """The demo data and an admin (also a tracker) on this database, and the admin's headers:
    loaded the first time, put back from the snapshot after that."""
    if db.url in _DEMOS:
        start, headers = _DEMOS[db.url]
        restore(db, start)
        return start, headers
    load_demo(session=session)
    admin = make_user(session, Role.admin, Role.tracker, username="fuzz-admin")
    session.commit()
    _DEMOS[db.url] = (snapshot(db), bearer(admin))
    return _DEMOS[db.url]


def _examples(operation, max_examples: int) -> int:
    """One example for a GET that takes no parameter: every positive case is the same request
    and there is nothing to make negative (the token is no documented header)."""
    if operation.method.upper() == "GET" and not list(operation.iter_parameters()):
        return 1
    return max_examples


def _run(app, db, session, max_examples: int, *, fresh: bool = False) -> tuple[list[str], dict]:
    """Every operation, positive and negative data; with `fresh`, every operation that may
    change data starts from the demo data (a failure found late is then replayed, and shrunk,
    on the data it was found on; 0.1-0.4 s an operation, so only the deep run does it)."""
    start, headers = _demo(db, session)
    schema = _schema(app)
    failures: list[str] = []
    stats = {"operations": 0, "cases": 0}
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )
        if fresh and operation.method.upper() != "GET":
            restore(db, start)
        stats["operations"] += 1

        @given(case=strategy)
        @settings(
            max_examples=_examples(operation, max_examples),
            derandomize=not RANDOM,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            stats["cases"] += 1
            sent = _auth_for(case, headers)
            response = case.call(headers=sent)
            case.validate_response(response, headers=sent)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # report every operation's failures
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return failures, stats


def _auth_for(case, headers: dict) -> dict:
    """The admin's token, except for a case generated with invalid headers: adding the token
    back would make a request that lacks it (the negative case) look accepted."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return {} if header is not None and header.mode == GenerationMode.NEGATIVE else headers


def _run_stateful(app, db, session, sim, max_examples: int, steps: int) -> dict:
    """Sequences of calls along the links schemathesis infers (an id a POST answers feeds the
    GET/PATCH/DELETE that take it), every built-in check after each step.

    Every sequence starts from the same data (the demo, the simulator, no rate-limit counts):
    which step hypothesis draws next depends on what the earlier steps answered (a link needs
    its source's response), so a sequence replayed (to shrink a failure) on data an earlier
    sequence changed drew differently and hypothesis raised FlakyStrategyDefinition."""
    start, headers = _demo(db, session)
    schema = _schema(app)
    stats = {"sequences": 0, "steps": 0, "linked steps": 0, "operations": set()}

    class Workflow(schema.as_state_machine()):
        def setup(self):
            restore(db, start)
            reset_rate_limits(app)
            reset_simulator(sim)
            stats["sequences"] += 1

        def step(self, input):
            stats["steps"] += 1
            stats["linked steps"] += input.transition is not None
            stats["operations"].add(input.case.operation.label)
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"headers": _auth_for(case, headers)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                headers=_auth_for(case, headers),
                transport_kwargs=kwargs,
            )

    Workflow.run(
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            derandomize=not RANDOM,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    stats["operations"] = len(stats["operations"])
    links = Workflow._transitions.operations.values()
    return {"links": sum(len(t.outgoing) for t in links), **stats}


def _report(capsys, db, started: float, stats: dict) -> None:
    """One line on the terminal (the deep run's figures go to docs/SECURITY.md)."""
    engine = "sqlite" if db.is_sqlite else "postgresql"
    figures = ", ".join(f"{value} {name}" for name, value in stats.items())
    with capsys.disabled():
        print(f"\nschemathesis on {engine}: {figures} in {time.perf_counter() - started:.0f} s")


def test_api_survives_generated_requests(chat_app, db, session, capsys):
    # chat_app: the platform APIs (chat login, notices) are the local chat simulator.
    started = time.perf_counter()
    failures, stats = _run(chat_app, db, session, BOUNDED)
    _report(capsys, db, started, stats)
    assert failures == [], "\n\n".join(failures)


def test_api_survives_generated_call_sequences(chat_app, db, session, sim, capsys):
    started = time.perf_counter()
    stats = _run_stateful(chat_app, db, session, sim, max_examples=BOUNDED, steps=5)
    _report(capsys, db, started, stats)


@pytest.mark.fuzz_long
@pytest.mark.skipif(not os.environ.get("FUZZ_LONG"), reason="long fuzzing: set FUZZ_LONG=1")
def test_api_survives_many_generated_call_sequences(chat_app, db, session, sim, capsys):
    started = time.perf_counter()
    stats = _run_stateful(chat_app, db, session, sim, max_examples=LONG, steps=20)
    _report(capsys, db, started, stats)


@pytest.mark.fuzz_long
@pytest.mark.skipif(not os.environ.get("FUZZ_LONG"), reason="long fuzzing: set FUZZ_LONG=1")
def test_api_survives_many_generated_requests(chat_app, db, session, capsys):
    started = time.perf_counter()
    failures, stats = _run(chat_app, db, session, LONG, fresh=True)
    _report(capsys, db, started, {**stats, "failed operations": len(failures)})
    assert failures == [], "\n\n".join(failures)


def test_the_422_allow_list_names_real_operations_and_only_they_allow_422(app):
    schema = _schema(app)
    labels = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        labels[operation.label] = schema.config.checks_config_for(operation=operation)
    assert set(CROSS_FIELD_422) <= set(labels), set(CROSS_FIELD_422) - set(labels)
    for label, checks in labels.items():
        statuses = checks.positive_data_acceptance.expected_statuses
        assert ("422" in statuses) == (label in CROSS_FIELD_422), label
        assert "415" in statuses and "404" in statuses
