"""FHIR data types as text: codes, quantities, periods, choice values, dates, dosages."""

from __future__ import annotations

import datetime as dt
from typing import Any

RENDERED_TYPES = (
    "DocumentReference",
    "DiagnosticReport",
    "Condition",
    "Observation",
    "MedicationStatement",
    "MedicationRequest",
    "Procedure",
    "ServiceRequest",
    "AllergyIntolerance",
    "Encounter",
)
CONTEXT_TYPES = (
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "Medication",
    "Provenance",
    "Coverage",
    "RelatedPerson",
    "Device",
    "Claim",
)
TEXT_TYPES = ("text/plain", "text/markdown")
PDF_TYPES = ("application/pdf",)

_SYSTEMS = {
    "http://loinc.org": "LOINC",
    "http://snomed.info/sct": "SNOMED CT",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://hl7.org/fhir/sid/icd-9-cm": "ICD-9-CM",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://www.ama-assn.org/go/cpt": "CPT",
    "http://hl7.org/fhir/sid/ndc": "NDC",
    "http://unitsofmeasure.org": "UCUM",
}

_DATE_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "DocumentReference": (("context", "period", "start"), ("date",)),
    "DiagnosticReport": (("effectiveDateTime",), ("effectivePeriod", "start"), ("issued",)),
    "Observation": (
        ("effectiveDateTime",),
        ("effectivePeriod", "start"),
        ("effectiveInstant",),
        ("issued",),
    ),
    "Condition": (("recordedDate",), ("onsetDateTime",), ("onsetPeriod", "start")),
    "MedicationStatement": (
        ("dateAsserted",),
        ("effectiveDateTime",),
        ("effectivePeriod", "start"),
    ),
    "MedicationRequest": (("authoredOn",),),
    "Procedure": (("performedDateTime",), ("performedPeriod", "start")),
    "ServiceRequest": (("authoredOn",), ("occurrenceDateTime",), ("occurrencePeriod", "start")),
    "AllergyIntolerance": (("recordedDate",), ("onsetDateTime",), ("onsetPeriod", "start")),
    "Encounter": (("period", "start"),),
}


def number_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


_DIAGNOSIS_SYSTEMS = ("ICD-10-CM", "ICD-10", "ICD-9-CM")


def concept_text(cc: Any, codes: bool = True) -> str:
    """A CodeableConcept in words; ``codes=False`` keeps only diagnosis codes (ICD) in the
    brackets (the other codes go to a line of their own: :func:`other_codes`)."""
    if not isinstance(cc, dict):
        return ""
    codings = [c for c in cc.get("coding") or [] if isinstance(c, dict)]
    main = str(cc.get("text") or "").strip()
    extra: list[str] = []
    shown: list[str] = []
    bare: list[str] = []  # codes of a code system openimr does not name (status codes...)
    for c in codings:
        display = str(c.get("display") or "").strip()
        if display:
            if not main:
                main = display
            elif display.lower() != main.lower() and display not in extra:
                extra.append(display)
        if c.get("code"):
            system = _SYSTEMS.get(str(c.get("system") or ""))
            if system is not None:
                if codes or system in _DIAGNOSIS_SYSTEMS:
                    shown.append(f"{system} {c['code']}")
            elif not display:
                bare.append(str(c["code"]))
    if not main and bare:
        main = bare.pop(0)
    if not main and shown:
        main = shown.pop(0)
    out = main
    if extra:
        out += " (" + "; ".join(extra) + ")"
    if shown:
        out += " [" + "; ".join(shown) + "]"
    return out


def other_codes(cc: Any) -> str:
    """The codes :func:`concept_text` with ``codes=False`` leaves out (SNOMED CT, RxNorm...)."""
    if not isinstance(cc, dict):
        return ""
    out = []
    for c in cc.get("coding") or []:
        if isinstance(c, dict) and c.get("code"):
            system = _SYSTEMS.get(str(c.get("system") or ""))
            if system is not None and system not in _DIAGNOSIS_SYSTEMS:
                out.append(f"{system} {c['code']}")
    return "; ".join(out)


def quantity_text(q: Any) -> str:
    if not isinstance(q, dict):
        return ""
    parts = [str(q.get("comparator") or "") + number_text(q.get("value", ""))]
    unit = q.get("unit") or q.get("code")
    if unit:
        parts.append(str(unit))
    return " ".join(p for p in parts if p)


def period_text(p: Any) -> str:
    if not isinstance(p, dict):
        return ""
    start, end = p.get("start"), p.get("end")
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"from {start}"
    return f"until {end}" if end else ""


def range_text(r: Any) -> str:
    if not isinstance(r, dict):
        return ""
    low, high = quantity_text(r.get("low")), quantity_text(r.get("high"))
    if low and high:
        return f"{low} to {high}"
    return f"at least {low}" if low else (f"at most {high}" if high else "")


def _ratio(r: Any) -> str:
    if not isinstance(r, dict):
        return ""
    return f"{quantity_text(r.get('numerator'))} / {quantity_text(r.get('denominator'))}".strip(
        " /"
    )


def reference_text(ref: Any) -> str:
    if not isinstance(ref, dict):
        return ""
    return str(ref.get("display") or ref.get("reference") or "")


_QUANTITY_TYPES = ("Quantity", "Age", "Duration", "Distance", "Count", "SimpleQuantity", "Money")


def choice_text(suffix: str, value: Any) -> str:
    if suffix in _QUANTITY_TYPES:
        return quantity_text(value)
    if suffix == "CodeableConcept":
        return concept_text(value)
    if suffix == "Period":
        return period_text(value)
    if suffix == "Range":
        return range_text(value)
    if suffix == "Ratio":
        return _ratio(value)
    if suffix == "Reference":
        return reference_text(value)
    if isinstance(value, dict | list):
        return ""
    return number_text(value)


def status_code(cc: Any) -> str:
    """The code of a status CodeableConcept (``clinicalStatus``), lower case."""
    if isinstance(cc, str):
        return cc.lower()
    if not isinstance(cc, dict):
        return ""
    for c in cc.get("coding") or []:
        if isinstance(c, dict) and c.get("code"):
            return str(c["code"]).lower()
    return str(cc.get("text") or "").lower()


def find_choice(resource: dict[str, Any], prefix: str) -> tuple[str, str] | None:
    """(element name, type suffix) of the ``prefix[x]`` element present, if any."""
    for key in resource:
        if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return key, key[len(prefix) :]
    return None


def _as_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def resource_date(resource: dict[str, Any]) -> dt.date | None:
    """The clinical date of a resource (see docs/records.md for which element, per type)."""
    for path in _DATE_PATHS.get(str(resource.get("resourceType")), ()):
        node: Any = resource
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        found = _as_date(node)
        if found is not None:
            return found
    return None


def dosage_text(d: dict[str, Any]) -> str:
    """A structured dosage (no ``text``) in words: dose, frequency, as needed."""
    parts: list[str] = []
    for dr in d.get("doseAndRate") or []:
        if isinstance(dr, dict) and isinstance(dr.get("doseQuantity"), dict):
            parts.append(quantity_text(dr["doseQuantity"]))
            break
    timing = d.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if isinstance(repeat, dict):
        freq, period, unit = repeat.get("frequency"), repeat.get("period"), repeat.get("periodUnit")
        units = {"h": "hour", "d": "day", "wk": "week", "mo": "month", "min": "minute"}
        if isinstance(freq, int) and isinstance(period, int | float) and unit in units:
            word = units[str(unit)]
            if period == 1:
                times = {1: "once", 2: "twice"}.get(freq, f"{freq} times")
                parts.append(f"{times} a {word}")
            elif freq == 1:
                parts.append(f"every {number_text(period)} {word}s")
            else:
                parts.append(f"{freq} times every {number_text(period)} {word}s")
    if d.get("asNeededBoolean") is True or isinstance(d.get("asNeededCodeableConcept"), dict):
        parts.append("as needed")
    return " ".join(p for p in parts if p)
