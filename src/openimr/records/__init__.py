"""Read medical records (text, Markdown, PDF with OCR for scanned pages, FHIR R4 JSON) into
:class:`~openimr.model.Record`, and find their structure (:mod:`openimr.records.structure`)
and chronology (:mod:`openimr.records.chronology`). ``docs/records.md`` describes it all."""

from openimr.records.readers import SUPPORTED_SUFFIXES, read_record

__all__ = ["SUPPORTED_SUFFIXES", "read_record"]
