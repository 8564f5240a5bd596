"""FHIR R4 JSON records: a Bundle (or one resource) rendered as text, with a map back.

Each resource is checked with ``fhir.resources`` (its R4B models, which read R4 JSON for the
resource types below) and rendered, in the file's order, as a block::

    Observation/obs-pain
      status: final
      code: Pain severity 0-10 [LOINC 72514-3]
      effectiveDateTime: 2013-08-19
      valueQuantity: 7 /10

that is, a first line ``Type/id`` then one line ``  element: value`` per element rendered,
blocks separated by a blank line. A text attachment (``DocumentReference.content[i]
.attachment``, ``DiagnosticReport.presentedForm[i]``; ``text/plain`` or ``text/markdown``,
base64 ``data``) is included verbatim after a line naming it; a PDF attachment is read for
its text layer. ``Record.text`` is that rendering; ``Record.segments`` say which characters
render which resource (a segment with ``element=None`` per block) and which element (one per
rendered value: ``valueQuantity``, ``code``, ``content[0].attachment.data``...), so a span is
cited as ``Observation/obs-pain valueQuantity``. The rendering is deterministic: the same file
gives the same text and offsets.

Resources read: DocumentReference, DiagnosticReport, Condition, Observation,
MedicationStatement, MedicationRequest, Procedure, ServiceRequest. Context resources
(Patient, Practitioner, Organization, Encounter, Medication...) are not rendered (Medication is
used to name a medication that a statement or request references). Any other resource type
is refused with an error naming the entry.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from openimr.errors import RecordError
from openimr.model import Record, RecordPage, RecordSegment

RENDERED_TYPES = (
    "DocumentReference",
    "DiagnosticReport",
    "Condition",
    "Observation",
    "MedicationStatement",
    "MedicationRequest",
    "Procedure",
    "ServiceRequest",
)
CONTEXT_TYPES = (
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Encounter",
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
}

_IMAGING_CATEGORIES = {"RAD", "CT", "MR", "US", "XRAY", "RX", "NMR", "CUS", "RUS", "VUS"}
_LAB_CATEGORIES = {"LAB", "CH", "HM", "MB", "SP", "CP", "SR", "TX", "BLB", "URN"}


# ---------------------------------------------------------------------------------------------
# Value rendering


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _codeable(cc: Any) -> str:
    if not isinstance(cc, dict):
        return ""
    codings = [c for c in cc.get("coding") or [] if isinstance(c, dict)]
    main = str(cc.get("text") or "").strip()
    extra: list[str] = []
    codes: list[str] = []
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
                codes.append(f"{system} {c['code']}")
            elif not display:
                bare.append(str(c["code"]))
    if not main and bare:
        main = bare.pop(0)
    if not main and codes:
        main = codes.pop(0)
    out = main
    if extra:
        out += " (" + "; ".join(extra) + ")"
    if codes:
        out += " [" + "; ".join(codes) + "]"
    return out


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


class _Renderer:
    def __init__(self, display: str, medications: dict[str, dict[str, Any]]) -> None:
        self.display = display
        self.medications = medications
        self.parts: list[str] = []
        self.pos = 0
        self.segments: list[RecordSegment] = []
        self.documents: list[tuple[str, list[str]]] = []
        """Per document resource: its type words and attachment texts (for its record type)."""

    def write(self, text: str) -> tuple[int, int]:
        start = self.pos
        self.parts.append(text)
        self.pos += len(text)
        return start, self.pos

    def value(self, ref: str, element: str, value: str, date: dt.date | None) -> None:
        if not value:
            return
        self.write(f"  {element}: ")
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

    def render(self, resource: dict[str, Any], entry: int) -> None:
        rtype = str(resource["resourceType"])
        rid = resource.get("id")
        ref = f"{rtype}/{rid}" if rid else f"{rtype}/#entry{entry}"
        date = resource_date(resource)
        if self.parts:
            self.write("\n")
        block_start, _ = self.write(ref + "\n")
        _RENDER[rtype](self, resource, ref, date, entry)
        self.segments.append(
            RecordSegment(start=block_start, end=self.pos, resource=ref, element=None, date=date)
        )

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

    def choice(self, r: dict[str, Any], ref: str, date: dt.date | None, *prefixes: str) -> None:
        for prefix in prefixes:
            found = _find_choice(r, prefix)
            if found is not None:
                element, suffix = found
                self.value(ref, element, _choice_value(suffix, r[element]), date)

    def notes(self, r: dict[str, Any], ref: str, date: dt.date | None, name: str = "note") -> None:
        for i, note in enumerate(r.get(name) or []):
            if isinstance(note, dict):
                self.value(ref, f"{name}[{i}].text", str(note.get("text") or ""), date)

    def medication(self, r: dict[str, Any], ref: str, date: dt.date | None) -> None:
        if isinstance(r.get("medicationCodeableConcept"), dict):
            self.value(
                ref, "medicationCodeableConcept", _codeable(r["medicationCodeableConcept"]), date
            )
        elif isinstance(r.get("medicationReference"), dict):
            target = self.medications.get(str(r["medicationReference"].get("reference") or ""))
            shown = _codeable(target.get("code")) if target else ""
            self.value(
                ref, "medicationReference", shown or _reference(r["medicationReference"]), date
            )

    def dosage(self, r: dict[str, Any], ref: str, date: dt.date | None, name: str) -> None:
        for i, d in enumerate(r.get(name) or []):
            if isinstance(d, dict) and d.get("text"):
                self.value(ref, f"{name}[{i}].text", str(d["text"]), date)

    def attachment(
        self,
        att: Any,
        ref: str,
        element: str,
        date: dt.date | None,
        entry: int,
    ) -> str | None:
        """Render one attachment; return its text when it was read."""
        if not isinstance(att, dict):
            return None
        content_type = str(att.get("contentType") or "text/plain").split(";")[0].strip().lower()
        title = str(att.get("title") or "").strip()
        about = content_type + (f", {title}" if title else "")
        data = att.get("data")
        if not data:
            where = f"url {att['url']}" if att.get("url") else "no data"
            self.value(ref, element, f"[{about}: not included in the file ({where})]", date)
            return None
        try:
            raw = base64.b64decode(str(data), validate=True)
        except (binascii.Error, ValueError):
            raise RecordError(
                f"entry[{entry}] ({ref}): {element}.data is not valid base64",
                file=self.display,
            ) from None
        if content_type in TEXT_TYPES:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise RecordError(
                    f"entry[{entry}] ({ref}): {element}.data is not UTF-8 text",
                    file=self.display,
                ) from None
            text = text.removeprefix("\ufeff")
        elif content_type in PDF_TYPES:
            text = _pdf_text(raw, f"{self.display} {ref} {element}")
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


def _pdf_text(raw: bytes, shown: str) -> str:
    """The text of a PDF attachment (as for a PDF record: pages joined by form feeds)."""
    import tempfile
    from pathlib import Path

    from openimr.records.pdf import read_pdf

    with tempfile.TemporaryDirectory(prefix="openimr-fhir-") as tmp:
        path = Path(tmp) / "attachment.pdf"
        path.write_bytes(raw)
        return read_pdf(path, shown, "").text


_Render = Callable[[_Renderer, dict[str, Any], str, "dt.date | None", int], None]


def _condition(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: int) -> None:
    w.codeable(r, ref, d, "code", "clinicalStatus", "verificationStatus", "category", "severity")
    w.codeable(r, ref, d, "bodySite")
    w.choice(r, ref, d, "onset", "abatement")
    w.plain(r, ref, d, "recordedDate")
    w.notes(r, ref, d)


def _observation(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: int) -> None:
    w.plain(r, ref, d, "status")
    w.codeable(r, ref, d, "category", "code", "bodySite")
    w.choice(r, ref, d, "effective")
    w.plain(r, ref, d, "issued")
    w.choice(r, ref, d, "value")
    w.codeable(r, ref, d, "dataAbsentReason", "interpretation")
    for i, comp in enumerate(r.get("component") or []):
        if not isinstance(comp, dict):
            continue
        w.value(ref, f"component[{i}].code", _codeable(comp.get("code")), d)
        found = _find_choice(comp, "value")
        if found is not None:
            w.value(ref, f"component[{i}].{found[0]}", _choice_value(found[1], comp[found[0]]), d)
    for i, rr in enumerate(r.get("referenceRange") or []):
        if isinstance(rr, dict):
            shown = str(rr.get("text") or "") or _range(rr)
            w.value(ref, f"referenceRange[{i}]", shown, d)
    w.notes(r, ref, d)


def _medication_statement(
    w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: int
) -> None:
    w.plain(r, ref, d, "status")
    w.medication(r, ref, d)
    w.choice(r, ref, d, "effective")
    w.plain(r, ref, d, "dateAsserted")
    w.codeable(r, ref, d, "reasonCode")
    w.dosage(r, ref, d, "dosage")
    w.notes(r, ref, d)


def _medication_request(
    w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: int
) -> None:
    w.plain(r, ref, d, "status", "intent")
    w.medication(r, ref, d)
    w.plain(r, ref, d, "authoredOn")
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
    w.notes(r, ref, d)


def _procedure(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: int) -> None:
    w.plain(r, ref, d, "status")
    w.codeable(r, ref, d, "code")
    w.choice(r, ref, d, "performed")
    w.codeable(r, ref, d, "bodySite", "reasonCode", "outcome", "complication", "followUp")
    w.notes(r, ref, d)


def _service_request(w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, _e: int) -> None:
    w.plain(r, ref, d, "status", "intent")
    w.codeable(r, ref, d, "code")
    w.choice(r, ref, d, "quantity", "occurrence")
    w.plain(r, ref, d, "authoredOn")
    w.codeable(r, ref, d, "reasonCode", "bodySite")
    w.notes(r, ref, d)
    w.plain(r, ref, d, "patientInstruction")


def _diagnostic_report(
    w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, e: int
) -> None:
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
    w: _Renderer, r: dict[str, Any], ref: str, d: dt.date | None, e: int
) -> None:
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
}


# ---------------------------------------------------------------------------------------------
# Reading


def _entries(data: dict[str, Any], display: str) -> list[tuple[int, dict[str, Any]]]:
    if data.get("resourceType") != "Bundle":
        return [(0, data)]
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise RecordError("Bundle.entry must be a list", file=display, field="entry")
    out: list[tuple[int, dict[str, Any]]] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise RecordError("has no resource object", file=display, field=f"entry[{i}].resource")
        if not isinstance(resource.get("resourceType"), str):
            raise RecordError("has no resourceType", file=display, field=f"entry[{i}].resource")
        out.append((i, resource))
    return out


def _validate(resource: dict[str, Any], index: int, display: str) -> None:
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    rtype = str(resource["resourceType"])
    model = get_fhir_model_class(rtype)
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != rtype)
        rid = resource.get("id")
        what = f"{rtype}/{rid}" if rid else rtype
        raise RecordError(
            f"entry[{index}] ({what}) is not valid FHIR R4: {loc or 'resource'}: {err['msg']}",
            file=display,
        ) from None
    except Exception as exc:  # fhir.resources may raise plain errors on odd input
        raise RecordError(
            f"entry[{index}] ({rtype}) is not valid FHIR R4: {exc}", file=display
        ) from None


def _record_type(documents: list[tuple[str, list[str]]]) -> str | None:
    from openimr.records.structure import classify

    kinds = {classify(words + "\n" + "\n".join(texts)) for words, texts in documents}
    kinds.discard("other")
    return kinds.pop() if len(kinds) == 1 else "other"


def read_fhir(raw: bytes, display: str, digest: str) -> Record:
    """Read a FHIR R4 JSON record (see the module's doc for the rendering and its map)."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
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
    entries = _entries(data, display)
    medications: dict[str, dict[str, Any]] = {}
    wanted: list[tuple[int, dict[str, Any]]] = []
    for i, resource in entries:
        rtype = resource["resourceType"]
        if rtype in RENDERED_TYPES:
            wanted.append((i, resource))
            _validate(resource, i, display)
        elif rtype in CONTEXT_TYPES:
            if rtype == "Medication":
                _validate(resource, i, display)
                if resource.get("id"):
                    medications[f"Medication/{resource['id']}"] = resource
        else:
            field = f"entry[{i}].resource" if data.get("resourceType") == "Bundle" else None
            raise RecordError(
                f"unsupported FHIR resource type {rtype!r}; openimr reads "
                f"{', '.join(RENDERED_TYPES)} (and skips {', '.join(CONTEXT_TYPES)})",
                file=display,
                field=field,
            )
    for i, resource in entries:
        full_url = None
        if data.get("resourceType") == "Bundle":
            entry = data["entry"][i]
            full_url = entry.get("fullUrl") if isinstance(entry, dict) else None
        if resource["resourceType"] == "Medication" and full_url:
            medications[str(full_url)] = resource
    if not wanted:
        raise RecordError(
            f"no clinical resources to read (expected one of {', '.join(RENDERED_TYPES)})",
            file=display,
        )
    renderer = _Renderer(display, medications)
    for i, resource in wanted:
        renderer.render(resource, i)
    text = "".join(renderer.parts)
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
    )
