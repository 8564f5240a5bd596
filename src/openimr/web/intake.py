"""Intake: submit an application (case.yaml, records, screening facts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from openimr.api.deps import context_of, read_uploads
from openimr.errors import AuthenticationError, OpenIMRError
from openimr.web.forms import facts_from_form
from openimr.web.pages import back, can, page, same_origin, to, unit

router = APIRouter()


@router.get("/ui/intake", include_in_schema=False)
def intake_form(request: Request, error: str | None = None) -> Response:
    try:
        with unit(request) as wf:
            actor = wf.actor
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    if not can(actor, "submit"):
        return page("error.html.j2", 403, message="only intake can submit", actor=actor)
    return page("intake.html.j2", actor=actor, error=error)


@router.post("/ui/intake", include_in_schema=False)
async def intake_submit(
    request: Request,
    case: Annotated[UploadFile, File()],
    records: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    if not same_origin(request):
        return to("/ui/intake", error="the form came from another site")
    try:
        form = await request.form()
        files = [case, *[r for r in (records or []) if r.filename]]
        uploads = await run_in_threadpool(read_uploads, files, context_of(request))
        facts = facts_from_form(form)
        with unit(request) as wf:
            out = wf.submit(uploads[0].data, uploads[1:], facts=facts)
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except OpenIMRError as exc:
        return to("/ui/intake", error=str(exc))
    if out.created:
        note = "Application received: case opened."
    elif out.corrected:
        note = "Corrected application taken: screen the case again."
    else:
        note = "The same application was already on file."
    return back(out.case.id, note=note, anchor="actions")
