"""Adapters from a loaded :class:`~openimr.model.Case` to the workflow inputs.

A ``case.yaml`` carries only some of what eligibility, the clocks and the conflict screen
need (no service date or method, no claim number, no insurer); the rest comes from the
service's own records and is passed as keyword overrides. Overrides are validated like any
other input (an unknown field name is an error).
"""

from __future__ import annotations

from typing import Any

from openimr.model import Case
from openimr.process.deadlines import DeadlineInputs
from openimr.process.eligibility import ApplicationFacts
from openimr.process.reviewers import CaseParties


def facts_from_case(case: Case, **overrides: Any) -> ApplicationFacts:
    """Eligibility facts known from ``case.yaml``, updated with ``overrides``."""
    outcomes = {item.outcome for item in case.utilization_review.items}
    fields: dict[str, Any] = {
        "application_signed": case.application.signed,
        "application_received": case.application.received,
        "ur_decision_date": case.utilization_review.date,
        "ur_outcome": "modified" if "modified" in outcomes else "denied",
        "date_of_injury": case.patient.date_of_injury,
        "items": [item.request for item in case.utilization_review.items],
    }
    fields.update(overrides)
    return ApplicationFacts.model_validate(fields)


def deadline_inputs_from_case(case: Case, **overrides: Any) -> DeadlineInputs:
    """Clock inputs known from ``case.yaml`` (review type, application date) + ``overrides``."""
    fields: dict[str, Any] = {
        "review_type": case.review_type,
        "application_received": case.application.received,
    }
    fields.update(overrides)
    return DeadlineInputs.model_validate(fields)


def parties_from_case(case: Case, **overrides: Any) -> CaseParties:
    """The parties named in ``case.yaml`` (employer, claims administrator, providers)."""
    fields: dict[str, Any] = {
        "employer": case.parties.employer,
        "claims_administrator": case.parties.claims_administrator,
        "providers": list(case.parties.providers),
    }
    fields.update(overrides)
    return CaseParties.model_validate(fields)
