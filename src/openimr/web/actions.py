"""The case's steps from its page: screen, assign, request and receive records, close
(withdraw or terminate), attach records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from openimr.api.deps import context_of, read_uploads
from openimr.errors import InputError, OpenIMRError
from openimr.web.forms import facts_from_form
from openimr.web.pages import act, back

router = APIRouter()


@router.post("/ui/cases/{case_id}/screen", include_in_schema=False)
async def ui_screen(request: Request, case_id: str) -> Response:
    form = await request.form()
    try:
        facts = facts_from_form(form)
    except InputError as exc:
        return back(case_id, error=str(exc), anchor="actions")
    return act(
        request,
        case_id,
        lambda wf: wf.screen(case_id, facts=facts),
        lambda out: (
            f"Screened: {out.eligibility.status.replace('_', ' ')}."
            if out.eligibility
            else "Screened."
        ),
    )


@router.post("/ui/cases/{case_id}/assign", include_in_schema=False)
def ui_assign(
    request: Request,
    case_id: str,
    reviewer_id: Annotated[str | None, Form(max_length=64)] = None,
    reason: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    return act(
        request,
        case_id,
        lambda wf: wf.assign(case_id, reviewer_id=reviewer_id or None, reason=reason or None),
        lambda out: f"Assigned to {out.reviewer_id}.",
    )


@router.post("/ui/cases/{case_id}/records-received", include_in_schema=False)
def ui_records_received(request: Request, case_id: str) -> Response:
    return act(request, case_id, lambda wf: wf.receive_records(case_id), "Records marked received.")


@router.post("/ui/cases/{case_id}/request-records", include_in_schema=False)
def ui_request_records(
    request: Request,
    case_id: str,
    reason: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    return act(
        request,
        case_id,
        lambda wf: wf.request_records(case_id, reason or None),
        "Records requested from the claims administrator.",
    )


@router.post("/ui/cases/{case_id}/close", include_in_schema=False)
def ui_close(
    request: Request,
    case_id: str,
    action: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if action not in ("withdraw", "terminate"):
        return back(case_id, error="choose withdraw or terminate", anchor="actions")
    return act(
        request,
        case_id,
        lambda wf: getattr(wf, action)(case_id, reason),
        f"Case {'withdrawn' if action == 'withdraw' else 'terminated'}.",
    )


@router.post("/ui/cases/{case_id}/records", include_in_schema=False)
async def ui_attach(
    request: Request, case_id: str, records: Annotated[list[UploadFile], File()]
) -> Response:
    try:
        uploads = await run_in_threadpool(
            read_uploads, [r for r in records if r.filename], context_of(request)
        )
    except OpenIMRError as exc:
        return back(case_id, error=str(exc), anchor="actions")
    return act(
        request,
        case_id,
        lambda wf: wf.attach_records(case_id, uploads),
        lambda out: f"{len(out)} record(s) attached.",
    )
