"""The letter: sign (finalize), issue, download the PDF and the FHIR ClaimResponse."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from openimr.errors import AuthenticationError, OpenIMRError
from openimr.web.pages import act, back, unit

router = APIRouter()


@router.post("/ui/cases/{case_id}/finalize", include_in_schema=False)
def ui_finalize(request: Request, case_id: str) -> Response:
    return act(
        request,
        case_id,
        lambda wf: wf.finalize(case_id),
        "Determination signed and finalized.",
        anchor="letter",
    )


@router.post("/ui/cases/{case_id}/issue", include_in_schema=False)
def ui_issue(request: Request, case_id: str) -> Response:
    return act(
        request,
        case_id,
        lambda wf: wf.issue_letter(case_id),
        "Letter issued: the PDF is stored and the case is closed.",
        anchor="letter",
    )


@router.get("/ui/cases/{case_id}/letter.pdf", include_in_schema=False)
def ui_letter_pdf(request: Request, case_id: str) -> Response:
    """The issued PDF; before issue, the finalized letter; before that, the draft."""
    try:
        with unit(request) as wf:
            data, media = wf.letter_preview(case_id, "pdf")
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except OpenIMRError as exc:
        return back(case_id, error=str(exc), anchor="letter")
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{case_id}-letter.pdf"'},
    )


@router.get("/ui/cases/{case_id}/fhir.json", include_in_schema=False)
def ui_fhir(request: Request, case_id: str) -> Response:
    try:
        with unit(request) as wf:
            body = wf.determination_fhir(case_id)
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except OpenIMRError as exc:
        return back(case_id, error=str(exc), anchor="letter")
    return Response(
        json.dumps(body, indent=2),
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="{case_id}-claimresponse.json"'},
    )
