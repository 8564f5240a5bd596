"""Review a whole case: every disputed item, plus the clinical case summary."""

from __future__ import annotations

from openimr.model import Case, CaseReview, ItemDetermination


def review_case(case: Case) -> CaseReview:
    items = tuple(
        ItemDetermination(
            request=item.request,
            treatment=None,
            decision=None,
            medically_necessary=None,
            claims_administrator_guideline=item.guideline,
            needs_review=True,
            reason="no criteria set in the library applies to this request",
        )
        for item in case.utilization_review.items
    )
    return CaseReview(case_id=case.case_id, summary="", items=items)
