"""Case routes: submit an application, list and read cases, attach records, read a
stored file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from pydantic import ValidationError

from openimr.api.deps import MAX_ID, CaseId, Ctx, Key, read_uploads
from openimr.api.errors import CASE_ERRORS, STORAGE_ERROR, UPLOAD_ERRORS
from openimr.errors import InputError
from openimr.process.lifecycle import CaseState
from openimr.service.auth import require
from openimr.service.intake import MEDIA_TYPES, check_limits, read_case, record_name
from openimr.service.schemas import (
    ApplicationFactsIn,
    CaseListItem,
    CaseOut,
    DocumentOut,
    SubmitOut,
)
from openimr.service.workflow import read_submission

router = APIRouter()


@router.post(
    "/api/cases",
    tags=["cases"],
    response_model=SubmitOut,
    status_code=201,
    responses={200: {"model": SubmitOut, "description": "Already on file"}, **UPLOAD_ERRORS},
)
def submit_case(
    ctx: Ctx,
    key: Key,
    response: Response,
    case: Annotated[UploadFile, File(description="The case.yaml file")],
    records: Annotated[
        list[UploadFile] | None, File(description="Record files (.txt .md .pdf .json)")
    ] = None,
    facts: Annotated[
        str | None, Form(description="JSON object of screening facts (ApplicationFactsIn)")
    ] = None,
) -> SubmitOut:
    """Submit an application (case.yaml + records). The same one again returns the existing
    case with status 200 and ``created: false``."""
    uploads = read_uploads([case, *(records or [])], ctx)
    parsed = _parse_facts(facts)
    with ctx.unit(key) as wf:
        require(wf.actor, "submit")
    # records are read (PDF text, FHIR) with no transaction open
    model = read_submission(uploads[0].data, uploads[1:], ctx.settings.limits)
    with ctx.unit(key) as wf:
        out = wf.submit(uploads[0].data, uploads[1:], facts=parsed, parsed=model)
    if not out.created:
        response.status_code = 200
    return out


@router.get("/api/cases", tags=["cases"], response_model=list[CaseListItem])
def list_cases(
    ctx: Ctx,
    key: Key,
    state: CaseState | None = None,
    reviewer_id: Annotated[str | None, Query(max_length=64)] = None,
    due_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[CaseListItem]:
    """Cases with their next deadline; filter by state, reviewer, due soon or overdue."""
    with ctx.unit(key) as wf:
        return wf.list_cases(
            state=state.value if state is not None else None,
            reviewer_id=reviewer_id,
            due_within_days=due_within_days,
            overdue=overdue,
            limit=limit,
            offset=offset,
        )


@router.get("/api/cases/{case_id}", tags=["cases"], response_model=CaseOut)
def get_case(ctx: Ctx, key: Key, case_id: CaseId) -> CaseOut:
    with ctx.unit(key) as wf:
        return wf.get_case(case_id)


@router.post(
    "/api/cases/{case_id}/records",
    tags=["cases"],
    response_model=list[DocumentOut],
    status_code=201,
    responses=UPLOAD_ERRORS,
)
def attach_records(
    ctx: Ctx,
    key: Key,
    case_id: CaseId,
    records: Annotated[list[UploadFile], File(description="Record files")],
) -> list[DocumentOut]:
    uploads = read_uploads(records, ctx)
    with ctx.unit(key) as wf:
        case_yaml = wf.attachable_case_yaml(case_id)
    if uploads:
        # records are read with no transaction open; the write checks the rest again
        check_limits(uploads, ctx.settings.limits)
        named = {record_name(u.name): u.data for u in uploads}
        read_case(case_yaml, named, limits=ctx.settings.limits.records)
    with ctx.unit(key) as wf:
        return wf.attach_records(case_id, uploads, checked=bool(uploads))


@router.get(
    "/api/cases/{case_id}/documents/{document_id}",
    tags=["cases"],
    response_class=Response,
    responses={
        200: {
            "description": "The file's bytes, as stored",
            "content": {t: {} for t in sorted(set(MEDIA_TYPES.values()))},
        },
        **CASE_ERRORS,
        500: STORAGE_ERROR,
    },
)
def get_document(
    ctx: Ctx, key: Key, case_id: CaseId, document_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> Response:
    """A stored file (checked against its SHA-256 before it is sent)."""
    with ctx.unit(key) as wf:
        doc, data = wf.record(case_id, document_id)
    return Response(
        data,
        media_type=doc.media_type,
        headers={"X-Content-SHA256": doc.sha256},
    )


def _parse_facts(raw: str | None) -> ApplicationFactsIn | None:
    if raw is None or not raw.strip():
        return None
    try:
        return ApplicationFactsIn.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "facts"
        raise InputError(str(first["msg"]), field=f"facts.{where}".rstrip(".")) from None
