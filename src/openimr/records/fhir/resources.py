"""Each resource type read, written by the renderer: Condition, Observation,
Medication*, Procedure, ServiceRequest, AllergyIntolerance, Encounter, DiagnosticReport and
DocumentReference."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from openimr.records.fhir.renderer import Renderer, ResourceWriter, Skip
from openimr.records.fhir.values import (
    choice_text,
    concept_text,
    find_choice,
    number_text,
    period_text,
    quantity_text,
    range_text,
    reference_text,
    status_code,
)

_HISTORICAL_CONDITION = {"resolved", "inactive", "remission"}
"""Condition.clinicalStatus codes of a condition that is over (rendered as ``History:``)."""
_SKIPPED_CONDITION = {"refuted", "entered-in-error"}
"""Condition.verificationStatus codes of a condition the patient does not have."""
_HISTORICAL_MEDICATION = {"stopped", "completed"}
"""MedicationRequest/MedicationStatement.status of a drug no longer taken."""
_SKIPPED_MEDICATION = {"entered-in-error", "cancelled", "not-taken"}
"""... of a drug never taken (or recorded in error): skipped with a note."""
_SKIPPED_STATUS = {"entered-in-error", "not-done"}
"""Other resources' status for something that did not happen: skipped with a note."""
_SCALE_0_10 = re.compile(r"\b0\s*(?:-|to)\s*10\b")

_IMAGING_CATEGORIES = {"RAD", "CT", "MR", "US", "XRAY", "RX", "NMR", "CUS", "RUS", "VUS"}
_LAB_CATEGORIES = {"LAB", "CH", "HM", "MB", "SP", "CP", "SR", "TX", "BLB", "URN"}


def _condition(w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    verification = status_code(r.get("verificationStatus"))
    if verification in _SKIPPED_CONDITION:
        raise Skip(f"verificationStatus is {verification}")
    clinical = status_code(r.get("clinicalStatus"))
    over = clinical in _HISTORICAL_CONDITION or find_choice(r, "abatement") is not None
    w.labelled(r, ref, d, "code", "History" if over else "Diagnosis")
    w.codeable(r, ref, d, "clinicalStatus", "verificationStatus", "category", "severity")
    w.codeable(r, ref, d, "bodySite")
    w.choice(r, ref, d, "onset", "abatement")
    w.plain(r, ref, d, "recordedDate")
    w.notes_of(r, ref, d)


def _observation_value(r: dict[str, Any]) -> tuple[str, str] | None:
    """(element, shown) of an Observation's value; a score on a stated 0-10 scale (a pain
    rating, LOINC 72514-3 and the like) is shown out of 10: ``4 /10``."""
    found = find_choice(r, "value")
    if found is None:
        return None
    element, suffix = found
    value = r[element]
    if (
        suffix == "Quantity"
        and isinstance(value, dict)
        and isinstance(value.get("value"), int | float)
        and not isinstance(value.get("value"), bool)
        and 0 <= value["value"] <= 10
        and str(value.get("unit") or value.get("code") or "").lower() in ("", "{score}", "score")
        and _SCALE_0_10.search(concept_text(r.get("code")))
    ):
        score = value["value"]
        return element, f"{number_text(score if isinstance(score, int) else round(score, 1))} /10"
    return element, choice_text(suffix, value)


def _observation(w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    if status_code(r.get("status")) in _SKIPPED_STATUS:
        raise Skip(f"status is {r.get('status')}")
    w.result(ref, "Result", ("code", concept_text(r.get("code"))), _observation_value(r), d)
    for i, comp in enumerate(r.get("component") or []):
        if not isinstance(comp, dict):
            continue
        shown = _observation_value(comp)
        w.result(
            ref,
            f"component[{i}]",
            (f"component[{i}].code", concept_text(comp.get("code"))),
            (f"component[{i}].{shown[0]}", shown[1]) if shown else None,
            d,
        )
    w.plain(r, ref, d, "status")
    w.codeable(r, ref, d, "category", "bodySite")
    w.choice(r, ref, d, "effective")
    w.plain(r, ref, d, "issued")
    w.codeable(r, ref, d, "dataAbsentReason", "interpretation")
    for i, rr in enumerate(r.get("referenceRange") or []):
        if isinstance(rr, dict):
            shown_range = str(rr.get("text") or "") or range_text(rr)
            w.value(ref, f"referenceRange[{i}]", shown_range, d)
    w.notes_of(r, ref, d)


def _medication_label(r: dict[str, Any]) -> str:
    status = status_code(r.get("status"))
    if status in _SKIPPED_MEDICATION:
        raise Skip(f"status is {status}")
    return "History" if status in _HISTORICAL_MEDICATION else "Medication"


def _medication_statement(
    w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str
) -> None:
    label = _medication_label(r)
    w.medication(r, ref, d, label)
    w.choice(r, ref, d, "effective")
    w.plain(r, ref, d, "dateAsserted")
    w.codeable(r, ref, d, "reasonCode")
    w.dosage(r, ref, d, "dosage")
    w.notes_of(r, ref, d)


def _medication_request(
    w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str
) -> None:
    label = _medication_label(r)
    w.medication(r, ref, d, label)
    w.plain(r, ref, d, "intent", "authoredOn")
    w.codeable(r, ref, d, "reasonCode")
    w.dosage(r, ref, d, "dosageInstruction")
    dispense = r.get("dispenseRequest")
    if isinstance(dispense, dict):
        if isinstance(dispense.get("quantity"), dict):
            w.value(ref, "dispenseRequest.quantity", quantity_text(dispense["quantity"]), d)
        if dispense.get("numberOfRepeatsAllowed") is not None:
            w.value(
                ref,
                "dispenseRequest.numberOfRepeatsAllowed",
                number_text(dispense["numberOfRepeatsAllowed"]),
                d,
            )
    w.notes_of(r, ref, d)


def _procedure(w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    status = status_code(r.get("status"))
    if status in _SKIPPED_STATUS:
        raise Skip(f"status is {status}")
    w.labelled(r, ref, d, "code", "Procedure")
    w.plain(r, ref, d, "status")
    w.choice(r, ref, d, "performed")
    w.codeable(r, ref, d, "bodySite", "reasonCode", "outcome", "complication", "followUp")
    w.notes_of(r, ref, d)


def _service_request(w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    status = status_code(r.get("status"))
    if status in _SKIPPED_STATUS:
        raise Skip(f"status is {status}")
    w.plain(r, ref, d, "status", "intent")
    w.codeable(r, ref, d, "code")
    w.choice(r, ref, d, "quantity", "occurrence")
    w.plain(r, ref, d, "authoredOn")
    w.codeable(r, ref, d, "reasonCode", "bodySite")
    w.notes_of(r, ref, d)
    w.plain(r, ref, d, "patientInstruction")


def _allergy(w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    verification = status_code(r.get("verificationStatus"))
    if verification in _SKIPPED_CONDITION:
        raise Skip(f"verificationStatus is {verification}")
    w.labelled(r, ref, d, "code", "Allergy")
    w.codeable(r, ref, d, "clinicalStatus", "verificationStatus")
    w.plain(r, ref, d, "type", "criticality")
    for i, reaction in enumerate(r.get("reaction") or []):
        if isinstance(reaction, dict):
            shown = "; ".join(
                x for x in map(concept_text, reaction.get("manifestation") or []) if x
            )
            w.value(ref, f"reaction[{i}].manifestation", shown, d)
    w.choice(r, ref, d, "onset")
    w.plain(r, ref, d, "recordedDate")
    w.notes_of(r, ref, d)


def _encounter(w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    status = status_code(r.get("status"))
    if status in ("entered-in-error", "cancelled"):
        raise Skip(f"status is {status}")
    w.codeable(r, ref, d, "type")
    klass = r.get("class")
    if isinstance(klass, dict):
        w.value(ref, "class", str(klass.get("display") or klass.get("code") or ""), d)
    if isinstance(r.get("period"), dict):
        w.value(ref, "period", period_text(r["period"]), d)
    w.codeable(r, ref, d, "reasonCode")
    for i, dx in enumerate(r.get("diagnosis") or []):
        if isinstance(dx, dict) and isinstance(dx.get("condition"), dict):
            w.value(ref, f"diagnosis[{i}].condition", reference_text(dx["condition"]), d)


def _diagnostic_report(w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, e: str) -> None:
    if status_code(r.get("status")) in _SKIPPED_STATUS:
        raise Skip(f"status is {r.get('status')}")
    w.plain(r, ref, d, "status")
    w.codeable(r, ref, d, "category", "code")
    w.choice(r, ref, d, "effective")
    w.plain(r, ref, d, "issued", "conclusion")
    w.codeable(r, ref, d, "conclusionCode")
    texts = [
        t
        for i, att in enumerate(r.get("presentedForm") or [])
        if (t := w.attachment(att, ref, f"presentedForm[{i}]", d, e)) is not None
    ]
    words = [concept_text(r.get("code")), str(r.get("conclusion") or "")]
    categories = {
        str(c.get("code") or "").upper()
        for cc in r.get("category") or []
        if isinstance(cc, dict)
        for c in cc.get("coding") or []
        if isinstance(c, dict)
    }
    if categories & _IMAGING_CATEGORIES:
        words.append("imaging report")
    elif categories & _LAB_CATEGORIES:
        words.append("laboratory report")
    w.documents.append(("\n".join(x for x in words if x), texts))


def _document_reference(
    w: Renderer, r: dict[str, Any], ref: str, d: dt.date | None, e: str
) -> None:
    if status_code(r.get("status")) == "entered-in-error":
        raise Skip("status is entered-in-error")
    w.plain(r, ref, d, "status", "docStatus")
    w.codeable(r, ref, d, "type", "category")
    w.plain(r, ref, d, "date")
    context = r.get("context")
    if isinstance(context, dict) and isinstance(context.get("period"), dict):
        w.value(ref, "context.period", period_text(context["period"]), d)
    authors = [a for a in (reference_text(x) for x in r.get("author") or []) if a]
    if authors:
        w.value(ref, "author", "; ".join(authors), d)
    w.plain(r, ref, d, "description")
    texts = [
        t
        for i, content in enumerate(r.get("content") or [])
        if isinstance(content, dict)
        and (t := w.attachment(content.get("attachment"), ref, f"content[{i}].attachment", d, e))
        is not None
    ]
    words = [concept_text(r.get("type")), str(r.get("description") or "")]
    w.documents.append(("\n".join(x for x in words if x), texts))


RESOURCE_WRITERS: dict[str, ResourceWriter] = {
    "Condition": _condition,
    "Observation": _observation,
    "MedicationStatement": _medication_statement,
    "MedicationRequest": _medication_request,
    "Procedure": _procedure,
    "ServiceRequest": _service_request,
    "DiagnosticReport": _diagnostic_report,
    "DocumentReference": _document_reference,
    "AllergyIntolerance": _allergy,
    "Encounter": _encounter,
}
