"""FHIR R4 JSON records (placeholder until the records work lands: refuses clearly)."""

from __future__ import annotations

from openimr.errors import RecordError
from openimr.model import Record


def read_fhir(raw: bytes, display: str, digest: str) -> Record:
    raise RecordError("FHIR records are not supported yet", file=display)
