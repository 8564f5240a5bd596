"""Reading a FHIR JSON or NDJSON file: its resources found, rendered into one record."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from openimr.errors import RecordError
from openimr.model import Record, RecordPage
from openimr.records.fhir.renderer import Renderer
from openimr.records.fhir.resources import RESOURCE_WRITERS
from openimr.records.fhir.values import CONTEXT_TYPES, RENDERED_TYPES
from openimr.records.limits import load_json

MAX_NOTES = 20
"""Notes on single resources kept per record (the rest are counted in one more note)."""

Found = tuple[str, str | None, dict[str, Any]]
"""A resource found in a file: where (``entry[3]``, ``line 4``), its fullUrl, the resource."""


def bundle_entries(data: dict[str, Any], where: str, notes: list[str]) -> list[Found]:
    """The resources of a Bundle (nested Bundles flattened), in the file's order."""
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        notes.append(f"{where or 'Bundle'}.entry is not a list; not read")
        return []
    out: list[Found] = []
    for i, entry in enumerate(entries):
        at = f"{where}.entry[{i}]" if where else f"entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            notes.append(f"{at}: no resource with a resourceType; not read")
            continue
        if resource["resourceType"] == "Bundle":
            out.extend(bundle_entries(resource, f"{at}.resource", notes))
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


def build_record(found: list[Found], notes: list[str], display: str, digest: str) -> Record:
    """Render the resources found (see the package's doc, openimr.records.fhir) into a record."""
    medications: dict[str, dict[str, Any]] = {}
    for _, full_url, resource in found:
        if resource["resourceType"] == "Medication":
            if resource.get("id"):
                medications[f"Medication/{resource['id']}"] = resource
            if full_url:
                medications[full_url] = resource
    skipped: Counter[str] = Counter()
    single: list[str] = []
    renderer = Renderer(display, medications, RESOURCE_WRITERS)
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
    """Read a FHIR R4 JSON record (see openimr.records.fhir for the rendering and its map)."""
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
        found = bundle_entries(data, "", notes)
    else:
        found = [("resource", None, data)]
    return build_record(found, notes, display, digest)


def read_fhir_ndjson(raw: bytes, display: str, digest: str) -> Record:
    """Read FHIR NDJSON (bulk export): one resource per line, of any types; a line that is
    not a JSON resource is skipped with a note naming the line."""
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordError("FHIR NDJSON is not UTF-8 text", file=display) from None
    notes: list[str] = []
    found: list[Found] = []
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
            found.extend(bundle_entries(data, f"line {number}", notes))
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
    return build_record(found, notes, display, digest)
