"""The public entry point kept here for callers: ``openimr.engine.review_case``.

The orchestration (extraction, engine, rendering of rationales) lives in
:mod:`openimr.pipeline`, above the engine in the layering; this wrapper imports it lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openimr.model import Case, CaseReview


def review_case(case: Case, **kwargs: Any) -> CaseReview:
    from openimr.pipeline import review_case as run

    return run(case, **kwargs)
