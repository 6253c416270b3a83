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
from schemathesis.core.parameters import ParameterLocation

from app.demo import load_demo
from models.enums import Role
from tests.factories import bearer, make_user

BOUNDED = int(os.environ.get("FUZZ_EXAMPLES", "3"))
LONG = 50


def _run(app, session, max_examples: int) -> list[str]:
    load_demo(session=session)
    admin = make_user(session, Role.admin, Role.tracker, username="fuzz-admin")
    session.commit()
    headers = bearer(admin)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
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
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)

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
