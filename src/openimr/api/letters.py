"""The Final Determination Letter: preview, issue (stored as PDF; closes the case), read."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from openimr.api.deps import CaseId, Ctx, Key
from openimr.service.schemas import DocumentOut

router = APIRouter()


@router.get("/api/cases/{case_id}/letter/preview", tags=["letters"])
def preview_letter(
    ctx: Ctx, key: Key, case_id: CaseId, format: Literal["pdf", "html", "text"] = "html"
) -> Response:
    """The letter as it stands: a draft (marked as one) from the engine's draft and the
    reviewer's decisions so far, or once finalized the final letter."""
    with ctx.unit(key) as wf:
        data, media = wf.letter_preview(case_id, format)
    return Response(data, media_type=media)


@router.post(
    "/api/cases/{case_id}/letter",
    tags=["letters"],
    response_model=DocumentOut,
    status_code=201,
)
def issue_letter(ctx: Ctx, key: Key, case_id: CaseId) -> DocumentOut:
    """Render and store the Final Determination Letter (PDF); the case is closed."""
    with ctx.unit(key) as wf:
        return wf.issue_letter(case_id)


@router.get(
    "/api/cases/{case_id}/letter",
    tags=["letters"],
    response_class=Response,
    responses={
        200: {
            "description": "The letter: PDF as stored, or HTML or text",
            "content": {
                "application/pdf": {},
                "text/html": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
def get_letter(
    ctx: Ctx, key: Key, case_id: CaseId, format: Literal["pdf", "html", "text"] = "pdf"
) -> Response:
    """The issued letter (PDF as stored) or the final determination as HTML or text."""
    with ctx.unit(key) as wf:
        data, media = wf.letter(case_id, format)
    headers = {}
    if format == "pdf":
        headers["Content-Disposition"] = f'attachment; filename="{case_id}-letter.pdf"'
    return Response(data, media_type=media, headers=headers)
