"""How openimr reads one record file: form, type, date of service, pages, sections.

Offsets, headings and dates only: never the record's text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openimr.records.readers import read_record
from openimr.records.structure import analyze, record_type_label


def inspect_record(path: Path) -> dict[str, Any]:
    """What ``openimr records inspect --json`` prints for one record file."""
    record = read_record(path, path.as_posix())
    structure = analyze(record)
    return {
        "record": record.path,
        "kind": record.kind,
        "record_type": structure.record_type,
        "record_type_label": record_type_label(structure.record_type),
        "date_of_service": (
            structure.date_of_service.isoformat() if structure.date_of_service else None
        ),
        "date_source": structure.date_source,
        "characters": len(record.text),
        "pages": len(record.pages),
        "ocr_pages": [p.number for p in record.pages if p.ocr],
        "resources": sorted({s.resource for s in record.segments if s.element is None}),
        "notes": list(record.notes),
        "sections": [
            {
                "name": s.name,
                "title": s.title,
                "start": s.start,
                "end": s.end,
                "page": record.page_of(s.start) if len(record.pages) > 1 else None,
            }
            for s in structure.sections
        ],
        "dates": [
            {"offset": m.offset, "date": m.date.isoformat() if m.date else None}
            for m in structure.dates
        ],
    }
