"""Schemathesis over /api/openapi.json, in process, as an admin with the demo data loaded, on
SQLite and PostgreSQL: no request may cause a 5xx, and every response must pass every built-in
check (status, content type, headers and schema as documented, invalid data refused, valid
data accepted, authentication enforced, ...). The document states every rule the door applies
to a request's shape (no unknown fields, no NUL, number ranges and places, id ranges), so
schema-valid data is never refused with 400/422; what it cannot state (a row that does not
exist, a state that forbids the change, a login code the platform does not know) answers
401/403/404/409.

Single requests (positive and negative data) and call sequences along the links schemathesis
infers from the document (stateful). `make test` runs the bounded variant: 3 examples per
operation and 5-step sequences, derandomized. The long variant (50 examples, 20 steps) is
marked `fuzz_long` and runs with `FUZZ_LONG=1 .venv/bin/pytest -m fuzz_long tests/security`.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from app.demo import load_demo
from models.enums import Role
from tests.factories import bearer, make_user

BOUNDED = int(os.environ.get("FUZZ_EXAMPLES", "3"))
LONG = 50

# Valid data may be refused only with these: 404 a row that does not exist, 409 a state that
# forbids the change, 415 a file whose bytes are not of the accepted type (a PDF upload that is
# no PDF: its content cannot be stated in the schema), 401/403/429 as usual. 5xx is the
# not_a_server_error check's business.
ACCEPTED = ["2XX", "3XX", "401", "403", "404", "409", "415", "429", "5XX"]

# Cross-field rules the schema cannot state: truly invalid input that schema-valid data can
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


def _run(app, session, max_examples: int) -> list[str]:
    load_demo(session=session)
    admin = make_user(session, Role.admin, Role.tracker, username="fuzz-admin")
    session.commit()
    headers = bearer(admin)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=_config())
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @given(case=strategy)
        @settings(
            max_examples=max_examples,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            sent = _auth_for(case, headers)
            response = case.call(headers=sent)
            case.validate_response(response, headers=sent)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # report every operation's failures
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return failures


def _auth_for(case, headers: dict) -> dict:
    """The admin's token, except for a case generated with invalid headers: adding the token
    back would make a request that lacks it (the negative case) look accepted."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return {} if header is not None and header.mode == GenerationMode.NEGATIVE else headers


def _run_stateful(app, session, max_examples: int, steps: int) -> None:
    """Sequences of calls along the links schemathesis infers (an id a POST answers feeds the
    GET/PATCH/DELETE that take it), every built-in check after each step."""
    load_demo(session=session)
    admin = make_user(session, Role.admin, Role.tracker, username="fuzz-admin")
    session.commit()
    headers = bearer(admin)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=_config())

    class Workflow(schema.as_state_machine()):
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
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_api_survives_generated_requests(chat_app, session):
    # chat_app: the platform APIs (chat login, notices) are the local chat simulator.
    failures = _run(chat_app, session, BOUNDED)
    assert failures == [], "\n\n".join(failures)


def test_api_survives_generated_call_sequences(chat_app, session):
    _run_stateful(chat_app, session, max_examples=BOUNDED, steps=5)


@pytest.mark.fuzz_long
@pytest.mark.skipif(not os.environ.get("FUZZ_LONG"), reason="long fuzzing: set FUZZ_LONG=1")
def test_api_survives_many_generated_call_sequences(chat_app, session):
    _run_stateful(chat_app, session, max_examples=LONG, steps=20)


@pytest.mark.fuzz_long
@pytest.mark.skipif(not os.environ.get("FUZZ_LONG"), reason="long fuzzing: set FUZZ_LONG=1")
def test_api_survives_many_generated_requests(chat_app, session):
    failures = _run(chat_app, session, LONG)
    assert failures == [], "\n\n".join(failures)


def test_the_422_allow_list_names_real_operations_and_only_they_allow_422(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=_config())
    labels = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        labels[operation.label] = schema.config.checks_config_for(operation=operation)
    assert set(CROSS_FIELD_422) <= set(labels), set(CROSS_FIELD_422) - set(labels)
    for label, checks in labels.items():
        statuses = checks.positive_data_acceptance.expected_statuses
        assert ("422" in statuses) == (label in CROSS_FIELD_422), label
        assert "415" in statuses and "404" in statuses
