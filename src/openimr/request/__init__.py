"""Reading disputed requests, and the treatment catalogue they are read against.

    >>> from openimr.request import parse_request
    >>> r = parse_request("Physical therapy 2x6 for the lumbar spine")
    >>> r.treatment, r.schedule.total, r.body_regions
    ('physical-therapy', 12, ('lumbar-spine',))

The catalogue (``openimr/library/data/treatments.yaml``) is data: treatments with their
synonyms and patterns, drugs with brands and classes, body regions and specialties.
"""

from openimr.request.catalogue import (
    CATALOGUE_PATH,
    CATEGORIES,
    Catalogue,
    Drug,
    Region,
    Specialty,
    TreatmentEntry,
    catalogue,
    check_catalogue,
    load_catalogue,
)
from openimr.request.parse import classify, parse_request

__all__ = [
    "CATALOGUE_PATH",
    "CATEGORIES",
    "Catalogue",
    "Drug",
    "Region",
    "Specialty",
    "TreatmentEntry",
    "catalogue",
    "check_catalogue",
    "classify",
    "load_catalogue",
    "parse_request",
]
