"""Map a request as written to the treatment id and category the engine uses.

The names come from :func:`openimr.request.parse_request` (the engine's request parser and
treatment catalogue), so ``openimr letters stats`` and ``openimr review`` speak the same
names. The request parser is imported lazily; where it is not installed every request is
``(None, "uncategorized")``.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

UNCATEGORIZED = "uncategorized"


@lru_cache(maxsize=8192)
def categorize(request: str) -> tuple[str | None, str | None]:
    """Return ``(treatment id, category)`` for a request ("PT 2x6 lumbar")."""
    try:
        module: Any = importlib.import_module("openimr.request")
        parse_request = module.parse_request
    except (ImportError, AttributeError):
        # AttributeError: an ``openimr.request`` package without the parser (a partial
        # install) is the same as none
        return None, UNCATEGORIZED
    parsed = parse_request(request)
    treatment = parsed.treatment if isinstance(parsed.treatment, str) else None
    category = parsed.category if isinstance(parsed.category, str) else None
    return treatment, category or UNCATEGORIZED
