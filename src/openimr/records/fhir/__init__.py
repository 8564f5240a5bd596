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

from openimr.records.fhir.bundle import read_fhir, read_fhir_ndjson
from openimr.records.fhir.values import CONTEXT_TYPES, RENDERED_TYPES, resource_date

__all__ = ["CONTEXT_TYPES", "RENDERED_TYPES", "read_fhir", "read_fhir_ndjson", "resource_date"]
