"""Map a request as written to the treatment id and category the engine uses.

The names come from :func:`openimr.request.parse_request` (the engine's request parser and
treatment catalogue), so ``openimr letters stats`` and ``openimr review`` speak the same
names.
"""

from __future__ import annotations

from functools import lru_cache

from openimr.request import parse_request

UNCATEGORIZED = "uncategorized"


@lru_cache(maxsize=8192)
def categorize(request: str) -> tuple[str | None, str | None]:
    """Return ``(treatment id, category)`` for a request ("PT 2x6 lumbar")."""
    parsed = parse_request(request)
    treatment = parsed.treatment if isinstance(parsed.treatment, str) else None
    category = parsed.category if isinstance(parsed.category, str) else None
    return treatment, category or UNCATEGORIZED
