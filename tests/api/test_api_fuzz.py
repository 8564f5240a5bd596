"""Schema-driven fuzzing: schemathesis generates requests from the OpenAPI document for every
operation; none may get a server error, and every answer must be as the document says (status
code, content type, body schema, headers, authentication not ignored). Bounded: a fixed
number of examples per run and a time budget, derandomized so a failure reproduces. The
longer pass sets the environment variables below (5 minutes per role and database).

One schemathesis check is left out: ``positive_data_acceptance`` ("a schema-valid request must
succeed"). The service refuses some schema-valid requests on their meaning, with a documented
422 naming the field: a US state it does not know, a body id differing from the path's, a
reviewer named on a non-reviewer key, a case.yaml that is not a case (docs/security.md)."""

from __future__ import annotations

import os
import time

import hypothesis
import pytest
import schemathesis
from apisupport import ATTACHED, Api
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_EXAMPLES = int(os.environ.get("OPENIMR_API_FUZZ_EXAMPLES", "300"))
TIME_BUDGET_S = float(os.environ.get("OPENIMR_API_FUZZ_SECONDS", "90"))
"""The long pass sets both: ``OPENIMR_API_FUZZ_EXAMPLES=100000 OPENIMR_API_FUZZ_SECONDS=300``."""


@pytest.mark.parametrize("who", ["admin", "rev-a"])
def test_no_server_error_for_generated_requests(api: Api, who: str) -> None:
    # a case in review, so that some generated requests reach real data
    r = api.submit_seed()
    case_id = r.json()["case"]["id"]
    api.call("intake", "POST", f"/api/cases/{case_id}/screen", json=ATTACHED)
    api.call("admin", "POST", f"/api/cases/{case_id}/assign", json={"reviewer_id": "rev-a"})
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    strategy = schema.as_strategy(headers=api.h(who))
    started = time.monotonic()
    failures: list[str] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        if time.monotonic() - started > TIME_BUDGET_S:
            return
        response = case.call()
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}"
            )
            return
        try:
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
        except BaseException as exc:  # schemathesis raises a FailureGroup
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            first = str(exc).strip().splitlines()
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{' | '.join(first[:4])}"
            )

    run()
    assert not failures, "\n".join(failures[:10])
