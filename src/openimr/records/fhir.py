"""FHIR R4 JSON records: a Bundle (or one resource) rendered as text, with a map back.

Each resource is rendered, in the file's order, as a block::

    Observation/obs-pain
      Result: Pain severity 0-10 [LOINC 72514-3]: 7 /10
      status: final
      effectiveDateTime: 2013-08-19

that is, a first line ``Type/id`` then one line ``  label: value`` per element rendered (the
label is the element's name, or for the main element what it is), blocks separated by a blank
line; ``fhir.resources`` (its R4B models, which read R4 JSON) checks each resource rendered,
and only says in a note when it is not valid. A text attachment (``DocumentReference.content[i]
.attachment``, ``DiagnosticReport.presentedForm[i]``; ``text/plain`` or ``text/markdown``,
base64 ``data``) is included verbatim after a line naming it; a PDF attachment is read for its
text layer. ``Record.text`` is that rendering; ``Record.segments`` say which characters render
which resource (a segment with ``element=None`` per block) and which element (one per rendered
value: ``valueQuantity``, ``code``, ``content[0].attachment.data``...), so a span is cited as
``Observation/obs-pain valueQuantity``. The rendering is deterministic: the same file gives the
same text and offsets.

Resources read: DocumentReference, DiagnosticReport, Condition, Observation,
MedicationStatement, MedicationRequest, Procedure, ServiceRequest, AllergyIntolerance and
Encounter. The main element of a clinical resource is labelled for a reader (``Diagnosis:``,
``Medication:``, ``Procedure:``, ``Allergy:``; ``History:`` for a resolved Condition or a
stopped medication, which the extractor reads as history). Context resources (Patient,
Practitioner, Organization, Medication...) are not rendered (Medication names the drug a
statement or request references, contained or in the bundle). Any other resource type is
skipped with a note (``Record.notes``, where Immunization, ExplanationOfBenefit... are counted;
Claim is a context resource); a resource that fails strict validation is read as it is, with a
note; a resource that cannot be read at all is skipped with a note. A file is refused only when
it is not JSON, holds no FHIR resource, or holds nothing openimr reads.

A ``.ndjson`` file (FHIR bulk export: one resource per line, any types) is read the same way,
each resource named by its line.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from openimr.errors import RecordError
from openimr.model import Record, RecordPage, RecordSegment
from openimr.records.limits import load_json

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


# ---------------------------------------------------------------------------------------------
# Value rendering


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


_DIAGNOSIS_SYSTEMS = ("ICD-10-CM", "ICD-10", "ICD-9-CM")


def _codeable(cc: Any, codes: bool = True) -> str:
    """A CodeableConcept in words; ``codes=False`` keeps only diagnosis codes (ICD) in the
    brackets (the other codes go to a line of their own: :func:`_other_codes`)."""
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


def _other_codes(cc: Any) -> str:
    """The codes :func:`_codeable` with ``codes=False`` leaves out (SNOMED CT, RxNorm...)."""
    if not isinstance(cc, dict):
        return ""
    out = []
    for c in cc.get("coding") or []:
        if isinstance(c, dict) and c.get("code"):
            system = _SYSTEMS.get(str(c.get("system") or ""))
            if system is not None and system not in _DIAGNOSIS_SYSTEMS:
                out.append(f"{system} {c['code']}")
    return "; ".join(out)


def _quantity(q: Any) -> str:
    if not isinstance(q, dict):
        return ""
    parts = [str(q.get("comparator") or "") + _num(q.get("value", ""))]
    unit = q.get("unit") or q.get("code")
    if unit:
        parts.append(str(unit))
    return " ".join(p for p in parts if p)


def _period(p: Any) -> str:
    if not isinstance(p, dict):
        return ""
    start, end = p.get("start"), p.get("end")
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"from {start}"
    return f"until {end}" if end else ""


def _range(r: Any) -> str:
    if not isinstance(r, dict):
        return ""
    low, high = _quantity(r.get("low")), _quantity(r.get("high"))
    if low and high:
        return f"{low} to {high}"
    return f"at least {low}" if low else (f"at most {high}" if high else "")


def _ratio(r: Any) -> str:
    if not isinstance(r, dict):
        return ""
    return f"{_quantity(r.get('numerator'))} / {_quantity(r.get('denominator'))}".strip(" /")


def _reference(ref: Any) -> str:
    if not isinstance(ref, dict):
        return ""
    return str(ref.get("display") or ref.get("reference") or "")


_QUANTITY_TYPES = ("Quantity", "Age", "Duration", "Distance", "Count", "SimpleQuantity", "Money")


def _choice_value(suffix: str, value: Any) -> str:
    if suffix in _QUANTITY_TYPES:
        return _quantity(value)
    if suffix == "CodeableConcept":
        return _codeable(value)
    if suffix == "Period":
        return _period(value)
    if suffix == "Range":
        return _range(value)
    if suffix == "Ratio":
        return _ratio(value)
    if suffix == "Reference":
        return _reference(value)
    if isinstance(value, dict | list):
        return ""
    return _num(value)


def _status_code(cc: Any) -> str:
    """The code of a status CodeableConcept (``clinicalStatus``), lower case."""
    if isinstance(cc, str):
        return cc.lower()
    if not isinstance(cc, dict):
        return ""
    for c in cc.get("coding") or []:
        if isinstance(c, dict) and c.get("code"):
            return str(c["code"]).lower()
    return str(cc.get("text") or "").lower()


def _find_choice(resource: dict[str, Any], prefix: str) -> tuple[str, str] | None:
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


# ---------------------------------------------------------------------------------------------
# The renderer


class _Skip(Exception):
    """A resource that is not rendered (its reason goes into the record's notes)."""


def _dosage_text(d: dict[str, Any]) -> str:
    """A structured dosage (no ``text``) in words: dose, frequency, as needed."""
    parts: list[str] = []
    for dr in d.get("doseAndRate") or []:
        if isinstance(dr, dict) and isinstance(dr.get("doseQuantity"), dict):
            parts.append(_quantity(dr["doseQuantity"]))
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
                parts.append(f"every {_num(period)} {word}s")
            else:
                parts.append(f"{freq} times every {_num(period)} {word}s")
    if d.get("asNeededBoolean") is True or isinstance(d.get("asNeededCodeableConcept"), dict):
        parts.append("as needed")
    return " ".join(p for p in parts if p)


class _Renderer:
    def __init__(self, display: str, medications: dict[str, dict[str, Any]]) -> None:
        self.display = display
        self.medications = medications
        self.parts: list[str] = []
        self.pos = 0
        self.segments: list[RecordSegment] = []
        self.documents: list[tuple[str, list[str]]] = []
        """Per document resource: its type words and attachment texts (for its record type)."""
        self.notes: list[str] = []
        self.contained: dict[str, dict[str, Any]] = {}

    def write(self, text: str) -> tuple[int, int]:
        start = self.pos
        self.parts.append(text)
        self.pos += len(text)
        return start, self.pos

    def value(
        self, ref: str, element: str, value: str, date: dt.date | None, label: str | None = None
    ) -> None:
        if not value:
            return
        self.write(f"  {label or element}: ")
        start, end = self.write(value)
        self.write("\n")
        self.segments.append(
            RecordSegment(start=start, end=end, resource=ref, element=element, date=date)
        )

    def text_block(
        self, ref: str, element: str, label: str, text: str, date: dt.date | None
    ) -> None:
        self.write(f"  {label}:\n")
        start, end = self.write(text)
        if not text.endswith("\n"):
            self.write("\n")
        self.segments.append(
            RecordSegment(start=start, end=end, resource=ref, element=element, date=date)
        )

    def render(self, resource: dict[str, Any], where: str, ref: str) -> bool:
        """Render one resource; on a resource that cannot be read, leave no trace of it in
        the text and note why (never the record's text). Whether it was rendered."""
        rtype = str(resource["resourceType"])
        mark = (len(self.parts), self.pos, len(self.segments), len(self.documents))
        self.contained = {
            f"#{c['id']}": c
            for c in resource.get("contained") or []
            if isinstance(c, dict) and c.get("id") and c.get("resourceType") == "Medication"
        }
        try:
            date = resource_date(resource)
            if self.parts:
                self.write("\n")
            block_start, _ = self.write(ref + "\n")
            _RENDER[rtype](self, resource, ref, date, where)
        except _Skip as exc:
            self._rollback(mark)
            self.notes.append(f"{where} ({ref}): not read: {exc}")
            return False
        except Exception as exc:  # a shape no reader expected: skip it, say so
            self._rollback(mark)
            self.notes.append(
                f"{where} ({ref}): not read: its content cannot be read ({type(exc).__name__})"
            )
            return False
        self.segments.append(
            RecordSegment(start=block_start, end=self.pos, resource=ref, element=None, date=date)
        )
        return True

    def _rollback(self, mark: tuple[int, int, int, int]) -> None:
        parts, pos, segments, documents = mark
        del self.parts[parts:]
        del self.segments[segments:]
        del self.documents[documents:]
        self.pos = pos

    # shared pieces ----------------------------------------------------------------------

    def plain(self, r: dict[str, Any], ref: str, date: dt.date | None, *names: str) -> None:
        for name in names:
            v = r.get(name)
            if v is not None and not isinstance(v, dict | list):
                self.value(ref, name, _num(v), date)

    def codeable(self, r: dict[str, Any], ref: str, date: dt.date | None, *names: str) -> None:
        for name in names:
            v = r.get(name)
            if isinstance(v, list):
                self.value(ref, name, "; ".join(x for x in map(_codeable, v) if x), date)
            elif isinstance(v, dict):
                self.value(ref, name, _codeable(v), date)

    def result(
        self,
        ref: str,
        label: str,
        code: tuple[str, str],
        value: tuple[str, str] | None,
        date: dt.date | None,
    ) -> None:
        """One line ``  label: code: value`` (an observation and its value read together:
        ``Result: Pain severity 0-10: 4 /10``), a segment for each part."""
        (c_el, c_text), shown = code, value
        if not c_text and not (shown and shown[1]):
            return
        self.write(f"  {label}: ")
        if c_text:
            start, end = self.write(c_text)
            self.segments.append(
                RecordSegment(start=start, end=end, resource=ref, element=c_el, date=date)
            )
        if shown and shown[1]:
            self.write(": " if c_text else "")
            start, end = self.write(shown[1])
            self.segments.append(
                RecordSegment(start=start, end=end, resource=ref, element=shown[0], date=date)
            )
        self.write("\n")

    def labelled(
        self, r: dict[str, Any], ref: str, date: dt.date | None, name: str, label: str
    ) -> None:
        """The main CodeableConcept of a resource, under a label a reader (and the
        extractor) understands: ``Diagnosis: ...``, ``Procedure: ...``."""
        v = r.get(name)
        items = [v] if isinstance(v, dict) else v if isinstance(v, list) else []
        self.value(
            ref, name, "; ".join(x for x in (_codeable(c, False) for c in items) if x), date, label
        )
        self.value(
            ref,
            f"{name}.coding",
            "; ".join(x for x in map(_other_codes, items) if x),
            date,
            "coding",
        )

    def choice(self, r: dict[str, Any], ref: str, date: dt.date | None, *prefixes: str) -> None:
        for prefix in prefixes:
            found = _find_choice(r, prefix)
            if found is not None:
                element, suffix = found
                self.value(ref, element, _choice_value(suffix, r[element]), date)

    def notes_of(
        self, r: dict[str, Any], ref: str, date: dt.date | None, name: str = "note"
    ) -> None:
        for i, note in enumerate(r.get(name) or []):
            if isinstance(note, dict):
                self.value(ref, f"{name}[{i}].text", str(note.get("text") or ""), date)

    def medication(self, r: dict[str, Any], ref: str, date: dt.date | None, label: str) -> None:
        concept = r.get("medicationCodeableConcept")
        if isinstance(concept, dict):
            self.value(ref, "medicationCodeableConcept", _codeable(concept, False), date, label)
            self.value(
                ref, "medicationCodeableConcept.coding", _other_codes(concept), date, "coding"
            )
        elif isinstance(r.get("medicationReference"), dict):
            key = str(r["medicationReference"].get("reference") or "")
            target = self.contained.get(key) or self.medications.get(key)
            code = target.get("code") if target else None
            shown = _codeable(code, False)
            self.value(
                ref,
                "medicationReference",
                shown or _reference(r["medicationReference"]),
                date,
                label,
            )
            self.value(ref, "medicationReference.coding", _other_codes(code), date, "coding")

    def dosage(self, r: dict[str, Any], ref: str, date: dt.date | None, name: str) -> None:
        for i, d in enumerate(r.get(name) or []):
            if not isinstance(d, dict):
                continue
            if d.get("text"):
                self.value(ref, f"{name}[{i}].text", str(d["text"]), date)
            else:
                self.value(ref, f"{name}[{i}]", _dosage_text(d), date)

    def attachment(
        self,
        att: Any,
        ref: str,
        element: str,
        date: dt.date | None,
        where: str,
    ) -> str | None:
        """Render one attachment; return its text when it was read."""
        if not isinstance(att, dict):
            return None
        content_type = str(att.get("contentType") or "text/plain").split(";")[0].strip().lower()
        title = str(att.get("title") or "").strip()
        about = content_type + (f", {title}" if title else "")
        data = att.get("data")
        if not data:
            shown = f"url {att['url']}" if att.get("url") else "no data"
            self.value(ref, element, f"[{about}: not included in the file ({shown})]", date)
            return None
        raw = _b64decode(str(data))
        if raw is None:
            self.notes.append(f"{where} ({ref}): {element}.data is not valid base64; not read")
            self.value(ref, element, f"[{about}: data is not valid base64; not read]", date)
            return None
        if content_type in TEXT_TYPES:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252", errors="replace")
                self.notes.append(
                    f"{where} ({ref}): {element}.data is not UTF-8 text; read as Windows-1252"
                )
            text = text.removeprefix("\ufeff")
        elif content_type in PDF_TYPES:
            try:
                text = _pdf_text(raw, f"{self.display} {ref} {element}")
            except RecordError as exc:
                self.notes.append(f"{where} ({ref}): {element} (PDF) not read: {exc.message}")
                self.value(
                    ref, element, f"[{about}: {len(raw)} bytes not read: {exc.message}]", date
                )
                return None
        else:
            self.value(
                ref,
                element,
                f"[{about}: {len(raw)} bytes not read; openimr reads text/plain, "
                "text/markdown and application/pdf attachments]",
                date,
            )
            return None
        self.text_block(ref, f"{element}.data", f"{element} ({about})", text, date)
        return text


_B64_SPACE = re.compile(r"\s+")


def _b64decode(data: str) -> bytes | None:
    """Base64 as real exports write it: line breaks and spaces anywhere (MIME style), the
    padding sometimes missing, the URL-safe alphabet sometimes used. ``None`` if it is not
    base64 at all."""
    compact = _B64_SPACE.sub("", data)
    compact += "=" * (-len(compact) % 4)
    for altchars in (None, b"-_"):
        try:
            return base64.b64decode(compact, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
    return None


def _pdf_text(raw: bytes, shown: str) -> str:
    """The text of a PDF attachment (as for a PDF record: pages joined by form feeds)."""
    import tempfile
    from pathlib import Path

    from openimr.records.pdf import read_pdf

    with tempfile.TemporaryDirectory(prefix="openimr-fhir-") as tmp:
        path = Path(tmp) / "attachment.pdf"
        path.write_bytes(raw)
        return read_pdf(path, shown, "").text


_Render = Callable[[_Renderer, dict[str, Any], str, "dt.date | None", str], None]


def _condition(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    verification = _status_code(r.get("verificationStatus"))
    if verification in _SKIPPED_CONDITION:
        raise _Skip(f"verificationStatus is {verification}")
    clinical = _status_code(r.get("clinicalStatus"))
    over = clinical in _HISTORICAL_CONDITION or _find_choice(r, "abatement") is not None
    w.labelled(r, ref, d, "code", "History" if over else "Diagnosis")
    w.codeable(r, ref, d, "clinicalStatus", "verificationStatus", "category", "severity")
    w.codeable(r, ref, d, "bodySite")
    w.choice(r, ref, d, "onset", "abatement")
    w.plain(r, ref, d, "recordedDate")
    w.notes_of(r, ref, d)


def _observation_value(r: dict[str, Any]) -> tuple[str, str] | None:
    """(element, shown) of an Observation's value; a score on a stated 0-10 scale (a pain
    rating, LOINC 72514-3 and the like) is shown out of 10: ``4 /10``."""
    found = _find_choice(r, "value")
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
        and _SCALE_0_10.search(_codeable(r.get("code")))
    ):
        score = value["value"]
        return element, f"{_num(score if isinstance(score, int) else round(score, 1))} /10"
    return element, _choice_value(suffix, value)


def _observation(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    if _status_code(r.get("status")) in _SKIPPED_STATUS:
        raise _Skip(f"status is {r.get('status')}")
    w.result(ref, "Result", ("code", _codeable(r.get("code"))), _observation_value(r), d)
    for i, comp in enumerate(r.get("component") or []):
        if not isinstance(comp, dict):
            continue
        shown = _observation_value(comp)
        w.result(
            ref,
            f"component[{i}]",
            (f"component[{i}].code", _codeable(comp.get("code"))),
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
            shown_range = str(rr.get("text") or "") or _range(rr)
            w.value(ref, f"referenceRange[{i}]", shown_range, d)
    w.notes_of(r, ref, d)


def _medication_label(r: dict[str, Any]) -> str:
    status = _status_code(r.get("status"))
    if status in _SKIPPED_MEDICATION:
        raise _Skip(f"status is {status}")
    return "History" if status in _HISTORICAL_MEDICATION else "Medication"


def _medication_statement(
    w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str
) -> None:
    label = _medication_label(r)
    w.medication(r, ref, d, label)
    w.choice(r, ref, d, "effective")
    w.plain(r, ref, d, "dateAsserted")
    w.codeable(r, ref, d, "reasonCode")
    w.dosage(r, ref, d, "dosage")
    w.notes_of(r, ref, d)


def _medication_request(
    w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str
) -> None:
    label = _medication_label(r)
    w.medication(r, ref, d, label)
    w.plain(r, ref, d, "intent", "authoredOn")
    w.codeable(r, ref, d, "reasonCode")
    w.dosage(r, ref, d, "dosageInstruction")
    dispense = r.get("dispenseRequest")
    if isinstance(dispense, dict):
        if isinstance(dispense.get("quantity"), dict):
            w.value(ref, "dispenseRequest.quantity", _quantity(dispense["quantity"]), d)
        if dispense.get("numberOfRepeatsAllowed") is not None:
            w.value(
                ref,
                "dispenseRequest.numberOfRepeatsAllowed",
                _num(dispense["numberOfRepeatsAllowed"]),
                d,
            )
    w.notes_of(r, ref, d)


def _procedure(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    status = _status_code(r.get("status"))
    if status in _SKIPPED_STATUS:
        raise _Skip(f"status is {status}")
    w.labelled(r, ref, d, "code", "Procedure")
    w.plain(r, ref, d, "status")
    w.choice(r, ref, d, "performed")
    w.codeable(r, ref, d, "bodySite", "reasonCode", "outcome", "complication", "followUp")
    w.notes_of(r, ref, d)


def _service_request(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    status = _status_code(r.get("status"))
    if status in _SKIPPED_STATUS:
        raise _Skip(f"status is {status}")
    w.plain(r, ref, d, "status", "intent")
    w.codeable(r, ref, d, "code")
    w.choice(r, ref, d, "quantity", "occurrence")
    w.plain(r, ref, d, "authoredOn")
    w.codeable(r, ref, d, "reasonCode", "bodySite")
    w.notes_of(r, ref, d)
    w.plain(r, ref, d, "patientInstruction")


def _allergy(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    verification = _status_code(r.get("verificationStatus"))
    if verification in _SKIPPED_CONDITION:
        raise _Skip(f"verificationStatus is {verification}")
    w.labelled(r, ref, d, "code", "Allergy")
    w.codeable(r, ref, d, "clinicalStatus", "verificationStatus")
    w.plain(r, ref, d, "type", "criticality")
    for i, reaction in enumerate(r.get("reaction") or []):
        if isinstance(reaction, dict):
            shown = "; ".join(x for x in map(_codeable, reaction.get("manifestation") or []) if x)
            w.value(ref, f"reaction[{i}].manifestation", shown, d)
    w.choice(r, ref, d, "onset")
    w.plain(r, ref, d, "recordedDate")
    w.notes_of(r, ref, d)


def _encounter(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: str) -> None:
    status = _status_code(r.get("status"))
    if status in ("entered-in-error", "cancelled"):
        raise _Skip(f"status is {status}")
    w.codeable(r, ref, d, "type")
    klass = r.get("class")
    if isinstance(klass, dict):
        w.value(ref, "class", str(klass.get("display") or klass.get("code") or ""), d)
    if isinstance(r.get("period"), dict):
        w.value(ref, "period", _period(r["period"]), d)
    w.codeable(r, ref, d, "reasonCode")
    for i, dx in enumerate(r.get("diagnosis") or []):
        if isinstance(dx, dict) and isinstance(dx.get("condition"), dict):
            w.value(ref, f"diagnosis[{i}].condition", _reference(dx["condition"]), d)


def _diagnostic_report(
    w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, e: str
) -> None:
    if _status_code(r.get("status")) in _SKIPPED_STATUS:
        raise _Skip(f"status is {r.get('status')}")
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
    words = [_codeable(r.get("code")), str(r.get("conclusion") or "")]
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
    w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, e: str
) -> None:
    if _status_code(r.get("status")) == "entered-in-error":
        raise _Skip("status is entered-in-error")
    w.plain(r, ref, d, "status", "docStatus")
    w.codeable(r, ref, d, "type", "category")
    w.plain(r, ref, d, "date")
    context = r.get("context")
    if isinstance(context, dict) and isinstance(context.get("period"), dict):
        w.value(ref, "context.period", _period(context["period"]), d)
    authors = [a for a in (_reference(x) for x in r.get("author") or []) if a]
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
    words = [_codeable(r.get("type")), str(r.get("description") or "")]
    w.documents.append(("\n".join(x for x in words if x), texts))


_RENDER: dict[str, _Render] = {
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


# ---------------------------------------------------------------------------------------------
# Reading

MAX_NOTES = 20
"""Notes on single resources kept per record (the rest are counted in one more note)."""

_Found = tuple[str, str | None, dict[str, Any]]
"""A resource found in a file: where (``entry[3]``, ``line 4``), its fullUrl, the resource."""


def _bundle_entries(data: dict[str, Any], where: str, notes: list[str]) -> list[_Found]:
    """The resources of a Bundle (nested Bundles flattened), in the file's order."""
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        notes.append(f"{where or 'Bundle'}.entry is not a list; not read")
        return []
    out: list[_Found] = []
    for i, entry in enumerate(entries):
        at = f"{where}.entry[{i}]" if where else f"entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            notes.append(f"{at}: no resource with a resourceType; not read")
            continue
        if resource["resourceType"] == "Bundle":
            out.extend(_bundle_entries(resource, f"{at}.resource", notes))
            continue
        full_url = entry.get("fullUrl") if isinstance(entry, dict) else None
        out.append((at, str(full_url) if full_url else None, resource))
    return out


def _invalid(resource: dict[str, Any]) -> str | None:
    """Why ``resource`` is not valid FHIR R4 (strict validation by fhir.resources), or None."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    rtype = str(resource["resourceType"])
    try:
        get_fhir_model_class(rtype).model_validate(resource)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != rtype)
        return f"{loc or 'resource'}: {err['msg']}"
    except Exception as exc:  # fhir.resources may raise plain errors on odd input
        return type(exc).__name__
    return None


def _record_type(documents: list[tuple[str, list[str]]]) -> str | None:
    from openimr.records.structure import classify

    kinds = {classify(words + "\n" + "\n".join(texts)) for words, texts in documents}
    kinds.discard("other")
    return kinds.pop() if len(kinds) == 1 else "other"


def _ref(resource: dict[str, Any], where: str) -> str:
    rtype = str(resource["resourceType"])
    rid = resource.get("id")
    if rid:
        return f"{rtype}/{rid}"
    return f"{rtype}/#{re.sub(r'[^0-9A-Za-z]', '', where)}"


def _build(found: list[_Found], notes: list[str], display: str, digest: str) -> Record:
    """Render the resources found (see the module's doc) into a record."""
    medications: dict[str, dict[str, Any]] = {}
    for _, full_url, resource in found:
        if resource["resourceType"] == "Medication":
            if resource.get("id"):
                medications[f"Medication/{resource['id']}"] = resource
            if full_url:
                medications[full_url] = resource
    skipped: Counter[str] = Counter()
    single: list[str] = []
    renderer = _Renderer(display, medications)
    for where, _, resource in found:
        rtype = str(resource["resourceType"])
        if rtype not in RENDERED_TYPES:
            if rtype not in CONTEXT_TYPES:
                skipped[rtype] += 1
            continue
        ref = _ref(resource, where)
        if renderer.render(resource, where, ref):
            problem = _invalid(resource)
            if problem is not None:
                renderer.notes.append(
                    f"{where} ({ref}): not valid FHIR R4 ({problem}); read as given"
                )
    single.extend(renderer.notes)
    notes.extend(single[:MAX_NOTES])
    if len(single) > MAX_NOTES:
        notes.append(f"{len(single) - MAX_NOTES} more notes on single resources not shown")
    if skipped:
        listed = ", ".join(f"{n} {t}" for t, n in sorted(skipped.items()))
        notes.append(f"skipped (resource types openimr does not read): {listed}")
    text = "".join(renderer.parts)
    if not text:
        raise RecordError(
            "no clinical resources to read (openimr reads "
            f"{', '.join(RENDERED_TYPES)})" + (f"; {'; '.join(notes)}" if notes else ""),
            file=display,
        )
    dates = [s.date for s in renderer.segments if s.element is None and s.date is not None]
    segments = tuple(sorted(renderer.segments, key=lambda s: (s.start, -(s.end - s.start))))
    return Record(
        path=display,
        kind="fhir",
        text=text,
        pages=(RecordPage(number=1, start=0, end=len(text)),),
        record_type=_record_type(renderer.documents) if renderer.documents else "other",
        date_of_service=max(dates) if dates else None,
        sha256=digest,
        segments=segments,
        notes=tuple(notes),
    )


def read_fhir(raw: bytes, display: str, digest: str) -> Record:
    """Read a FHIR R4 JSON record (see the module's doc for the rendering and its map)."""
    try:
        data = load_json(raw.decode("utf-8-sig"), display)
    except UnicodeDecodeError:
        raise RecordError("FHIR JSON is not UTF-8 text", file=display) from None
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON: {exc.msg}", file=display, line=exc.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise RecordError(
            "not a FHIR resource: a FHIR JSON record is an object with a 'resourceType' "
            "(a Bundle, or one resource)",
            file=display,
        )
    notes: list[str] = []
    if data["resourceType"] == "Bundle":
        found = _bundle_entries(data, "", notes)
    else:
        found = [("resource", None, data)]
    return _build(found, notes, display, digest)


def read_fhir_ndjson(raw: bytes, display: str, digest: str) -> Record:
    """Read FHIR NDJSON (bulk export): one resource per line, of any types; a line that is
    not a JSON resource is skipped with a note naming the line."""
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordError("FHIR NDJSON is not UTF-8 text", file=display) from None
    notes: list[str] = []
    found: list[_Found] = []
    bad: list[int] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = load_json(line, display, number)
        except json.JSONDecodeError:
            bad.append(number)
            continue
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            bad.append(number)
            continue
        if data["resourceType"] == "Bundle":
            found.extend(_bundle_entries(data, f"line {number}", notes))
        else:
            found.append((f"line {number}", None, data))
    if bad:
        shown = ", ".join(str(n) for n in bad[:10]) + (" ..." if len(bad) > 10 else "")
        what = "line is" if len(bad) == 1 else "lines are"
        notes.append(
            f"{len(bad)} {what} not a JSON FHIR resource; not read "
            f"(line{'s' if len(bad) > 1 else ''} {shown})"
        )
    if not found:
        raise RecordError(
            "no FHIR resource: a .ndjson record holds one JSON resource per line",
            file=display,
            line=bad[0] if bad else None,
        )
    return _build(found, notes, display, digest)
