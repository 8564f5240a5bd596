"""The ``openimr review --format json`` object (docs/case-format.md, "Output")."""

from __future__ import annotations

from typing import Any

from openimr.model import CaseReview, ItemDetermination


def item_to_json(item: ItemDetermination) -> dict[str, Any]:
    out: dict[str, Any] = {
        "request": item.request,
        "treatment": item.treatment,
        "decision": item.decision,
        "medically_necessary": item.medically_necessary,
        "claims_administrator_guideline": item.claims_administrator_guideline,
        "guidelines": [
            {
                "source": g.source,
                "citation": g.citation,
                "mtus": g.mtus,
                "chapter": g.chapter,
                "section": g.section,
                "pages": g.pages,
                "edition": g.edition,
                "effective": g.effective,
            }
            for g in item.guidelines
        ],
        **({"reviewer_action": item.reviewer_action} if item.reviewer_action else {}),
        "criteria": [
            {
                "id": c.id,
                "text": c.text,
                "status": c.status.value,
                "evidence": [
                    {
                        "record": e.record,
                        "start": e.start,
                        "end": e.end,
                        "quote": e.quote,
                        **({"page": e.page} if e.page is not None else {}),
                        **({"fact": e.fact} if e.fact else {}),
                    }
                    for e in c.evidence
                ],
                "finding": c.finding,
                "required": c.required,
                **({"searched": list(c.searched)} if c.searched else {}),
                **(
                    {"source_check": c.source_check, "source_marks": list(c.source_marks)}
                    if c.source_check
                    else {}
                ),
            }
            for c in item.criteria
        ],
        "rationale": item.rationale,
        "rationale_trace": [
            {
                "text": s.text,
                "criteria": list(s.criteria),
                "citations": list(s.citations),
                "evidence": [
                    {"record": e.record, "start": e.start, "end": e.end, "quote": e.quote}
                    for e in s.evidence
                ],
            }
            for s in item.rationale_trace
        ],
        "needs_review": item.needs_review,
        "evidence_tier": item.evidence_tier,
        "tier_note": item.tier_note,
        "criteria_set": item.criteria_set,
        "criteria_version": item.criteria_version,
        "checklist": list(item.checklist),
        "confidence": item.confidence,
        "confidence_basis": item.confidence_basis,
        "draft_decision": item.draft_decision,
    }
    if item.reason is not None or item.needs_review:
        out["reason"] = item.reason
    if item.formulary is not None:
        out["formulary"] = item.formulary.model_dump(mode="json")
    if item.parsed is not None:
        out["parsed_request"] = item.parsed.model_dump(mode="json", exclude_none=True)
    return out


def review_to_json(review: CaseReview) -> dict[str, Any]:
    return {
        "case_id": review.case_id,
        "summary": review.summary,
        "items": [item_to_json(i) for i in review.items],
        "library_version": review.library_version,
        "engine_version": review.engine_version,
    }
