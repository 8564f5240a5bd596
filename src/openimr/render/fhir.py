"""A final determination as a FHIR R4 ``ClaimResponse`` (the Da Vinci Prior Authorization
Support shape: ``use: preauthorization``, one ``item`` per disputed request, each with the
PAS ``reviewAction`` extension carrying the X12 306 action code and the decision's reason).

An IMR decides whether the utilization review's denial stands: ``overturned`` means the
treatment is medically necessary (certified, X12 306 ``A1``); ``upheld`` means it is not
(not certified, ``A3``). Each item's rationale is a ``processNote`` the item points to.

The resource is built as plain JSON and checked by ``fhir.resources`` (its R4B models, the
R4 line) before it is returned, so what leaves openimr parses as FHIR. The injured worker's
identity is not in openimr's case file: the patient is a display-only reference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openimr.errors import OpenIMRError
from openimr.model import CaseReview
from openimr.render.wording import request_heading

PAS_REVIEW_ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
PAS_REVIEW_ACTION_CODE = (
    "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewActionCode"
)
X12_306 = "https://codesystem.x12.org/005010/306"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
CASE_NUMBER_SYSTEM = "urn:openimr:imr-case-number"

_ACTION = {
    "overturned": ("A1", "Certified in total", "Overturned: medically necessary"),
    "upheld": ("A3", "Not certified", "Upheld: not medically necessary"),
}


def claim_response(
    review: CaseReview,
    *,
    case_id: str,
    case_number: str | None,
    organization: str,
    finalized_at: dt.datetime,
) -> dict[str, Any]:
    """The finalized ``review`` as a ClaimResponse (JSON), validated with fhir.resources."""
    items: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    counts = {"overturned": 0, "upheld": 0}
    for n, item in enumerate(review.items, start=1):
        if item.decision not in _ACTION or item.needs_review:
            raise OpenIMRError(
                f"item {n} has no final decision; only a finalized determination is sent as FHIR"
            )
        counts[item.decision] += 1
        code, display, reason = _ACTION[item.decision]
        text = f"{request_heading(item.request)}: {reason}."
        if item.rationale:
            text += " " + " ".join(item.rationale.split())
        notes.append({"number": n, "type": "display", "text": text})
        items.append(
            {
                "extension": [
                    {
                        "url": PAS_REVIEW_ACTION,
                        "extension": [
                            {"url": "number", "valueString": f"{case_number or case_id}-{n}"},
                            {
                                "url": "reasonCode",
                                "valueCodeableConcept": {"text": reason},
                            },
                        ],
                        "valueCodeableConcept": {
                            "coding": [{"system": X12_306, "code": code, "display": display}],
                            "text": item.request,
                        },
                    }
                ],
                "itemSequence": n,
                "noteNumber": [n],
                "adjudication": [
                    {
                        "category": {"coding": [{"system": ADJUDICATION, "code": "submitted"}]},
                        "reason": {"text": reason},
                    }
                ],
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": case_id,
        "identifier": [{"system": CASE_NUMBER_SYSTEM, "value": case_number or case_id}],
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": "professional"}]},
        "use": "preauthorization",
        "patient": {"display": "The injured worker (identified in the IMR case file)"},
        "created": finalized_at.astimezone(dt.UTC).isoformat(),
        "insurer": {"display": organization},
        "outcome": "complete",
        "disposition": (
            "Independent Medical Review Final Determination: "
            f"{counts['overturned']} overturned, {counts['upheld']} upheld"
        ),
        "preAuthRef": case_number or case_id,
        "item": items,
        "processNote": notes,
    }
    validate_claim_response(resource)
    return resource


def validate_claim_response(resource: dict[str, Any]) -> None:
    """Parse ``resource`` with fhir.resources' R4B ClaimResponse; an invalid one raises."""
    from fhir.resources.R4B.claimresponse import ClaimResponse

    try:
        ClaimResponse.model_validate(resource)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise OpenIMRError(f"the FHIR ClaimResponse is not valid: {exc}") from None
