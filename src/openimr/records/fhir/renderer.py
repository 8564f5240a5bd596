"""The renderer: resources written as text blocks, each value with its segment."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from openimr.errors import RecordError
from openimr.model import RecordSegment
from openimr.records.fhir.values import (
    PDF_TYPES,
    TEXT_TYPES,
    choice_text,
    concept_text,
    dosage_text,
    find_choice,
    number_text,
    other_codes,
    reference_text,
    resource_date,
)

ResourceWriter = Callable[["Renderer", dict[str, Any], str, "dt.date | None", str], None]
"""Writes one resource of a type: (renderer, resource, ref, date, where in the file)."""


class Skip(Exception):
    """A resource that is not rendered (its reason goes into the record's notes)."""


class Renderer:
    """The text of a record's resources, built block by block, with a segment per value."""

    def __init__(
        self,
        display: str,
        medications: dict[str, dict[str, Any]],
        writers: Mapping[str, ResourceWriter],
    ) -> None:
        self.display = display
        self.medications = medications
        self.writers = writers
        """How each resource type rendered is written (``resources.RESOURCE_WRITERS``)."""
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
            self.writers[rtype](self, resource, ref, date, where)
        except Skip as exc:
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
                self.value(ref, name, number_text(v), date)

    def codeable(self, r: dict[str, Any], ref: str, date: dt.date | None, *names: str) -> None:
        for name in names:
            v = r.get(name)
            if isinstance(v, list):
                self.value(ref, name, "; ".join(x for x in map(concept_text, v) if x), date)
            elif isinstance(v, dict):
                self.value(ref, name, concept_text(v), date)

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
            ref,
            name,
            "; ".join(x for x in (concept_text(c, False) for c in items) if x),
            date,
            label,
        )
        self.value(
            ref,
            f"{name}.coding",
            "; ".join(x for x in map(other_codes, items) if x),
            date,
            "coding",
        )

    def choice(self, r: dict[str, Any], ref: str, date: dt.date | None, *prefixes: str) -> None:
        for prefix in prefixes:
            found = find_choice(r, prefix)
            if found is not None:
                element, suffix = found
                self.value(ref, element, choice_text(suffix, r[element]), date)

    def notes_of(
        self, r: dict[str, Any], ref: str, date: dt.date | None, name: str = "note"
    ) -> None:
        for i, note in enumerate(r.get(name) or []):
            if isinstance(note, dict):
                self.value(ref, f"{name}[{i}].text", str(note.get("text") or ""), date)

    def medication(self, r: dict[str, Any], ref: str, date: dt.date | None, label: str) -> None:
        concept = r.get("medicationCodeableConcept")
        if isinstance(concept, dict):
            self.value(ref, "medicationCodeableConcept", concept_text(concept, False), date, label)
            self.value(
                ref, "medicationCodeableConcept.coding", other_codes(concept), date, "coding"
            )
        elif isinstance(r.get("medicationReference"), dict):
            key = str(r["medicationReference"].get("reference") or "")
            target = self.contained.get(key) or self.medications.get(key)
            code = target.get("code") if target else None
            shown = concept_text(code, False)
            self.value(
                ref,
                "medicationReference",
                shown or reference_text(r["medicationReference"]),
                date,
                label,
            )
            self.value(ref, "medicationReference.coding", other_codes(code), date, "coding")

    def dosage(self, r: dict[str, Any], ref: str, date: dt.date | None, name: str) -> None:
        for i, d in enumerate(r.get(name) or []):
            if not isinstance(d, dict):
                continue
            if d.get("text"):
                self.value(ref, f"{name}[{i}].text", str(d["text"]), date)
            else:
                self.value(ref, f"{name}[{i}]", dosage_text(d), date)

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
