"""The documentation checklist: what the treating physician would need to document.

For each item, every required criterion that is not met or not documented contributes its
checklist line (from the library); items openimr cannot decide say so.
"""

from __future__ import annotations

from openimr.model import CaseReview, Status


def render_checklist(review: CaseReview) -> str:
    lines = [f"Documentation checklist{f' for {review.case_id}' if review.case_id else ''}", ""]
    for item in review.items:
        lines.append(item.request)
        if item.needs_review:
            lines.append(f"  - not assessed: {item.reason or 'no criteria set applies'}")
        elif not item.checklist:
            lines.append("  - nothing missing: the records meet every criterion")
        else:
            for entry in item.checklist:
                lines.append(f"  - {entry}")
            met = sum(1 for c in item.criteria if c.status is Status.MET and c.required)
            total = sum(
                1 for c in item.criteria if c.required and c.status is not Status.NOT_APPLICABLE
            )
            lines.append(f"  ({met} of {total} required criteria met)")
        lines.append("")
    return "\n".join(lines)
