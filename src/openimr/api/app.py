"""The REST API (FastAPI): a thin shell over :class:`openimr.service.Workflow`.

Each request is one transaction: the endpoint authenticates the API key, runs one service
action and commits before answering; any error rolls everything back (no half case). Slow
work stays outside the transaction: uploaded records are read before it opens, and a draft
reads the case, runs the engine with no transaction open, then stores the result (or runs
as a background job, ``/draft-jobs``). Routes are synchronous, so uploads are read on a
worker thread, never on the event loop. Errors
a caller can cause come back as ``{"error": code, "message": ..., "field": ...}`` with a 4xx
status. Record text is never logged.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openimr import __version__
from openimr.api.warm import warm_lifespan
from openimr.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    OpenIMRError,
    PermissionDeniedError,
    ServiceError,
    UploadTooLargeError,
)
from openimr.process.lifecycle import CaseState
from openimr.service import Actor, Role, Settings, Upload, Workflow, authenticate, system_clock
from openimr.service.auth import require
from openimr.service.intake import MEDIA_TYPES, check_limits, read_case, record_name
from openimr.service.schemas import (
    ApplicationFactsIn,
    AssignIn,
    CandidateOut,
    CaseListItem,
    CaseOut,
    DeadlineReport,
    DecideIn,
    DocumentOut,
    DraftOut,
    ErrorOut,
    EventOut,
    JobOut,
    KeyIn,
    KeyInfoOut,
    KeyOut,
    OptionalReasonIn,
    ReasonIn,
    ReviewerIn,
    ReviewerOut,
    ScreenIn,
    SubmitOut,
)
from openimr.service.workflow import Clock, ReviewEngine, read_submission, run_review
from openimr.store import BlobStore, init_db, session_factory, transaction
from openimr.store.blobs import BlobIntegrityError
from openimr.store.models import EventRow, JobRow

log = logging.getLogger("openimr.api")

COOKIE_NAME = "openimr_key"
bearer = HTTPBearer(auto_error=False, description="An openimr API key: `Bearer oimr_...`")
header_key = APIKeyHeader(name="X-API-Key", auto_error=False)
cookie_key = APIKeyCookie(name=COOKIE_NAME, auto_error=False)

STATUS: list[tuple[type[OpenIMRError], int]] = [
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UploadTooLargeError, 413),
    (BlobIntegrityError, 500),
    (InputError, 422),
]


def status_of(exc: OpenIMRError) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 422


def error_body(exc: OpenIMRError) -> dict[str, Any]:
    code = exc.code if isinstance(exc, ServiceError) else "invalid_input"
    if isinstance(exc, BlobIntegrityError):
        code = "storage_error"
    body: dict[str, Any] = {"error": code, "message": str(exc)}
    for attr in ("file", "field", "line"):
        value = getattr(exc, attr)
        if value is not None:
            body[attr] = value
    return body


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """A request-validation error as ``{"error", "message", "field"}`` (the first problem)."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(where) or None
    message = str(first.get("msg", "the request is not valid"))
    body: dict[str, Any] = {
        "error": "invalid_input",
        "message": f"{field}: {message}" if field else message,
    }
    if field:
        body["field"] = field
    return body


@dataclass
class Context:
    """What every request needs: the session factory, the blob store, the clock, the limits."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    clock: Clock
    review_engine: ReviewEngine | None = None
    _jobs: ThreadPoolExecutor | None = field(default=None, repr=False)
    _jobs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def workflow(self, session: Session, actor: Actor) -> Workflow:
        return Workflow(
            session,
            self.blobs,
            actor,
            clock=self.clock,
            limits=self.settings.limits,
            review_engine=self.review_engine,
            organization=self.settings.organization,
        )

    @contextmanager
    def unit(self, key: str | None) -> Iterator[Workflow]:
        """Authenticate ``key`` and yield a workflow in one transaction (committed on success).

        A refused key or action is rolled back and then recorded in the audit trail on its
        own (``kind: denied``), so that refusals leave a trace.
        """
        session = self.sessions()
        actor: Actor | None = None
        try:
            actor = authenticate(session, key)
            yield self.workflow(session, actor)
            session.commit()
        except (AuthenticationError, PermissionDeniedError) as exc:
            session.rollback()
            if key:
                self.record_denied(exc, actor)
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def record_denied(
        self, exc: AuthenticationError | PermissionDeniedError, actor: Actor | None
    ) -> None:
        """One audit event for a refused request (never the key, never record text)."""
        who = actor.id if actor is not None else getattr(exc, "actor", None) or "anonymous"
        role = actor.role.value if actor is not None else "none"
        action = (
            "authentication_failed" if isinstance(exc, AuthenticationError) else "permission_denied"
        )
        try:
            with transaction(self.sessions) as session:
                session.add(
                    EventRow(
                        case_id=None,
                        at=self.clock(),
                        actor=who,
                        role=role,
                        kind="denied",
                        action=action,
                        reason=exc.message[:500],
                        detail={},
                    )
                )
        except Exception:  # the refusal stands even if it cannot be recorded
            log.exception("could not record a refused request in the audit trail")

    def submit_job(self, job_id: int) -> None:
        with self._jobs_lock:
            if self._jobs is None:
                self._jobs = ThreadPoolExecutor(
                    max_workers=max(1, self.settings.draft_workers),
                    thread_name_prefix="openimr-draft",
                )
            self._jobs.submit(run_draft_job, self, job_id)

    def shutdown(self) -> None:
        with self._jobs_lock:
            if self._jobs is not None:
                self._jobs.shutdown(wait=False, cancel_futures=True)
                self._jobs = None


def _finish_job(ctx: Context, job_id: int, *, error: str | None, draft_id: int | None) -> None:
    with transaction(ctx.sessions) as session:
        job = session.get(JobRow, job_id)
        if job is None:  # pragma: no cover - jobs are never deleted
            return
        job.state = "failed" if error else "done"
        job.error = error
        job.draft_id = draft_id
        job.finished_at = ctx.clock()


def run_draft_job(ctx: Context, job_id: int) -> None:
    """Run one queued draft: read (short transaction), engine (no transaction), store (short)."""
    try:
        with transaction(ctx.sessions) as session:
            job = session.get(JobRow, job_id)
            if job is None or job.state != "queued":
                return
            job.state = "running"
            job.started_at = ctx.clock()
            actor = Actor(id=job.actor, role=Role(job.role), reviewer_id=job.reviewer_id)
            queued_version = job.case_version
            case_id = job.case_id
        with transaction(ctx.sessions) as session:
            inp = ctx.workflow(session, actor).draft_input(case_id)
        if inp.version != queued_version:
            raise ConflictError("the case changed after the draft was queued; draft again")
        review = run_review(inp, ctx.review_engine, ctx.settings.limits)
        with transaction(ctx.sessions) as session:
            out = ctx.workflow(session, actor).store_draft(inp, review)
    except OpenIMRError as exc:
        _finish_job(ctx, job_id, error=str(exc), draft_id=None)
        return
    except Exception:
        log.exception("draft job %s failed", job_id)
        _finish_job(
            ctx, job_id, error="the engine failed on this case (see the server log)", draft_id=None
        )
        return
    _finish_job(ctx, job_id, error=None, draft_id=out.draft_id)


class BodyLimitMiddleware:
    """Refuse a request body over ``limit`` bytes with 413, before or while it streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = (
            f"the request body is over the limit of {self.limit} bytes (OPENIMR_MAX_REQUEST_BYTES)"
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await _send_413(send, message)
                    return
        seen = 0
        started = False
        too_large = False

        async def limited_receive() -> Message:
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    # stop the app reading (as if the client left); answer 413 ourselves
                    too_large = True
                    return {"type": "http.disconnect"}
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if too_large:
                return  # the app's answer to a cut-off body is replaced by the 413
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await _send_413(send, message)


UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """``nosniff`` on every answer; on the web page also a strict CSP, no framing, no caching."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ui = str(scope.get("path", "")).startswith("/ui")

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                if ui:
                    headers.append((b"content-security-policy", UI_CSP.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                    headers.append((b"referrer-policy", b"same-origin"))
                    headers.append((b"cache-control", b"no-store"))
                msg = {**msg, "headers": headers}
            await send(msg)

        await self.app(scope, receive, with_headers)


async def _send_413(send: Send, message: str) -> None:
    body = json.dumps({"error": "upload_too_large", "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(request: Request) -> bool:
    """The request's ``Origin`` names this site (a browser sends it on every cross-site write)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return False
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def api_key(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    x_api_key: Annotated[str | None, Depends(header_key)],
    cookie: Annotated[str | None, Depends(cookie_key)],
) -> str | None:
    """The caller's key: ``Authorization: Bearer``, ``X-API-Key`` or the web page's cookie.

    A write authenticated by the cookie alone must come from this site (its ``Origin``):
    otherwise another site could make a signed-in browser act (cross-site request forgery).
    """
    for header in ("x-api-key", "authorization"):
        if header in request.headers and not request.headers[header].strip():
            raise AuthenticationError(f"the {header} header is empty; send a key or leave it out")
    sent = [creds.credentials if creds else None, x_api_key, cookie]
    given = {k for k in sent if k}
    if len(given) > 1:
        raise AuthenticationError(
            "different API keys were sent (Authorization, X-API-Key or the cookie); send one"
        )
    if not given:
        return None
    if (
        not creds
        and not x_api_key
        and request.method not in SAFE_METHODS
        and not same_origin(request)
    ):
        raise PermissionDeniedError(
            "a write signed in by the web page's cookie must come from this site (Origin); "
            "API clients send Authorization: Bearer <key>"
        )
    return given.pop()


Key = Annotated[str | None, Depends(api_key)]
CaseId = Annotated[
    str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", description="Case id")
]
ReviewerId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", description="Reviewer id")
]


def read_uploads(files: list[UploadFile], ctx: Context) -> list[Upload]:
    """Read uploaded files, stopping at the per-file limit (413 naming the file).

    Called from synchronous routes (a worker thread), so large files never hold up the
    event loop.
    """
    limit = ctx.settings.max_file_bytes
    out = []
    for f in files:
        name = f.filename or ""
        data = f.file.read(limit + 1)
        if len(data) > limit:
            raise UploadTooLargeError(
                f"over the limit of {limit} bytes per file (OPENIMR_MAX_FILE_BYTES)", file=name
            )
        out.append(Upload(name=name, data=data))
    return out


MAX_ID = 2**31 - 1
"""The largest id a path or query accepts (ids are 32-bit integers in the database)."""

_ERR = {"model": ErrorOut}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**_ERR, "description": "No valid API key (`unauthenticated`)"},
    403: {**_ERR, "description": "The caller's role or state forbids it (`forbidden`)"},
    422: {**_ERR, "description": "Invalid input, naming the field (`invalid_input`)"},
}
"""The errors every route can answer (documented in the OpenAPI description)."""
CASE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {**_ERR, "description": "No such case, or not visible to the caller (`not_found`)"},
    409: {**_ERR, "description": "Conflicts with the case's state (`conflict`)"},
}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **CASE_ERRORS,
    413: {**_ERR, "description": "Over a size limit, naming it (`upload_too_large`)"},
}


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    review_engine: ReviewEngine | None = None,
) -> FastAPI:
    """The API app: opens (and migrates) the database named by ``settings``.

    ``clock`` and ``review_engine`` replace the system clock and :func:`openimr.engine.review_case`
    (tests and benchmarks inject them).
    """
    settings = settings or Settings()
    engine = init_db(settings.url)
    ctx = Context(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        blobs=BlobStore(settings.blob_dir),
        clock=clock or system_clock,
        review_engine=review_engine,
    )
    app = FastAPI(
        title="openimr IMR workflow service",
        version=__version__,
        lifespan=warm_lifespan(review_engine is None),
        description=(
            "Cases for California workers' compensation Independent Medical Review: submit, "
            "screen, assign, draft, decide, finalize, issue the Final Determination Letter. "
            "Every call needs an API key (`Authorization: Bearer ...`); every read and write "
            "of a case is in the audit trail."
        ),
        responses=UPLOAD_ERRORS,
    )
    app.state.ctx = ctx
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_request_bytes)
    app.add_middleware(SecurityHeadersMiddleware)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        # e.g. a NUL character PostgreSQL cannot store: the input's fault, not the server's
        return JSONResponse(
            {"error": "invalid_input", "message": "a value cannot be stored (invalid characters)"},
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        # the documented error shape, not FastAPI's {"detail": [...]}; a page for the pages
        body = validation_body(exc)
        if request.url.path.startswith("/ui/"):
            from openimr.web import error_page

            return error_page(f"The form was not complete: {body['message']}", 422)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(OpenIMRError)
    async def _openimr_error(request: Request, exc: OpenIMRError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status >= 500:
            log.error("storage error on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body(exc), status_code=status, headers=headers)

    register_routes(app, ctx)
    from openimr.web import register as register_web

    register_web(app, ctx)
    return app


def register_routes(app: FastAPI, ctx: Context) -> None:
    @app.get("/api/health", tags=["service"])
    async def health() -> dict[str, str]:
        """Liveness (no key needed). Answered on the event loop itself: it touches no
        database and no file, so it never waits for a worker thread."""
        return {"status": "ok", "version": __version__, "database": ctx.engine.dialect.name}

    @app.get("/api/whoami", tags=["service"])
    def whoami(key: Key) -> dict[str, str | None]:
        with ctx.unit(key) as wf:
            return {
                "actor": wf.actor.id,
                "role": wf.actor.role.value,
                "reviewer_id": wf.actor.reviewer_id,
            }

    @app.post(
        "/api/cases",
        tags=["cases"],
        response_model=SubmitOut,
        status_code=201,
        responses={200: {"model": SubmitOut, "description": "Already on file"}, **UPLOAD_ERRORS},
    )
    def submit_case(
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

    @app.get("/api/cases", tags=["cases"], response_model=list[CaseListItem])
    def list_cases(
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

    @app.get("/api/cases/{case_id}", tags=["cases"], response_model=CaseOut)
    def get_case(key: Key, case_id: CaseId) -> CaseOut:
        with ctx.unit(key) as wf:
            return wf.get_case(case_id)

    @app.post(
        "/api/cases/{case_id}/records",
        tags=["cases"],
        response_model=list[DocumentOut],
        status_code=201,
        responses=UPLOAD_ERRORS,
    )
    def attach_records(
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

    @app.get(
        "/api/cases/{case_id}/documents/{document_id}",
        tags=["cases"],
        response_class=Response,
        responses={
            200: {
                "description": "The file's bytes, as stored",
                "content": {t: {} for t in sorted(set(MEDIA_TYPES.values()))},
            },
            **CASE_ERRORS,
            500: {**_ERR, "description": "The stored file fails its checksum (`storage_error`)"},
        },
    )
    def get_document(
        key: Key, case_id: CaseId, document_id: Annotated[int, Path(ge=1, le=MAX_ID)]
    ) -> Response:
        """A stored file (checked against its SHA-256 before it is sent)."""
        with ctx.unit(key) as wf:
            doc, data = wf.record(case_id, document_id)
        return Response(
            data,
            media_type=doc.media_type,
            headers={"X-Content-SHA256": doc.sha256},
        )

    @app.post("/api/cases/{case_id}/screen", tags=["workflow"], response_model=CaseOut)
    def screen(key: Key, case_id: CaseId, body: ScreenIn | None = None) -> CaseOut:
        """Eligibility screening: eligible, ineligible with the reasons, or deferred."""
        with ctx.unit(key) as wf:
            return wf.screen(case_id, facts=body.facts if body else None)

    @app.get(
        "/api/cases/{case_id}/candidates", tags=["workflow"], response_model=list[CandidateOut]
    )
    def candidates(key: Key, case_id: CaseId) -> list[CandidateOut]:
        """Every reviewer ranked for the case, with qualification problems and conflicts."""
        with ctx.unit(key) as wf:
            return wf.candidates(case_id)

    @app.post("/api/cases/{case_id}/assign", tags=["workflow"], response_model=CaseOut)
    def assign(key: Key, case_id: CaseId, body: AssignIn | None = None) -> CaseOut:
        """Assign a qualified, conflict-free reviewer (best ranked, or the one named)."""
        body = body or AssignIn()
        with ctx.unit(key) as wf:
            return wf.assign(case_id, reviewer_id=body.reviewer_id, reason=body.reason)

    @app.post("/api/cases/{case_id}/request-records", tags=["workflow"], response_model=CaseOut)
    def request_records(key: Key, case_id: CaseId, body: OptionalReasonIn | None = None) -> CaseOut:
        with ctx.unit(key) as wf:
            return wf.request_records(case_id, body.reason if body else None)

    @app.post("/api/cases/{case_id}/records-received", tags=["workflow"], response_model=CaseOut)
    def records_received(
        key: Key, case_id: CaseId, body: OptionalReasonIn | None = None
    ) -> CaseOut:
        with ctx.unit(key) as wf:
            return wf.receive_records(case_id, body.reason if body else None)

    @app.post(
        "/api/cases/{case_id}/review-without-records", tags=["workflow"], response_model=CaseOut
    )
    def review_without_records(
        key: Key, case_id: CaseId, body: OptionalReasonIn | None = None
    ) -> CaseOut:
        """The records are overdue: review on the documents at hand (8 CCR 9792.10.6(b)(2))."""
        with ctx.unit(key) as wf:
            return wf.review_without_records(case_id, body.reason if body else None)

    @app.post("/api/cases/{case_id}/draft", tags=["review"], response_model=DraftOut)
    def draft(key: Key, case_id: CaseId) -> DraftOut:
        """Run the engine on the case's records and store its draft determination (waits).

        No database lock is held while the engine runs; a long case is better drafted in the
        background (``POST /api/cases/{case_id}/draft-jobs``)."""
        with ctx.unit(key) as wf:
            inp = wf.draft_input(case_id)
        review = run_review(inp, ctx.review_engine, ctx.settings.limits)
        with ctx.unit(key) as wf:
            return wf.store_draft(inp, review)

    @app.post(
        "/api/cases/{case_id}/draft-jobs",
        tags=["review"],
        response_model=JobOut,
        status_code=202,
    )
    def queue_draft(key: Key, case_id: CaseId) -> JobOut:
        """Draft in the background: answers at once with a job to poll
        (``GET /api/draft-jobs/{job_id}``)."""
        with ctx.unit(key) as wf:
            job = wf.queue_draft(case_id)
        ctx.submit_job(job.id)
        return job

    @app.get("/api/draft-jobs/{job_id}", tags=["review"], response_model=JobOut)
    def get_draft_job(key: Key, job_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> JobOut:
        """A background draft's state: ``queued``, ``running``, ``done`` or ``failed``."""
        with ctx.unit(key) as wf:
            return wf.get_job(job_id)

    @app.get("/api/cases/{case_id}/draft", tags=["review"], response_model=DraftOut)
    def get_draft(key: Key, case_id: CaseId) -> DraftOut:
        with ctx.unit(key) as wf:
            return wf.get_draft(case_id)

    @app.put("/api/cases/{case_id}/items/{index}", tags=["review"], response_model=DraftOut)
    def decide_item(
        key: Key, case_id: CaseId, index: Annotated[int, Path(ge=0, le=10000)], body: DecideIn
    ) -> DraftOut:
        """Accept the engine's draft for an item, or override it (decision and reason)."""
        with ctx.unit(key) as wf:
            return wf.decide_item(case_id, index, body)

    @app.post("/api/cases/{case_id}/finalize", tags=["review"], response_model=CaseOut)
    def finalize(key: Key, case_id: CaseId) -> CaseOut:
        """The assigned reviewer signs the determination (once)."""
        with ctx.unit(key) as wf:
            return wf.finalize(case_id)

    @app.get("/api/cases/{case_id}/determination", tags=["review"])
    def determination(key: Key, case_id: CaseId) -> dict[str, Any]:
        """The final determination (the engine's JSON shape, with the reviewer's decisions)."""
        with ctx.unit(key) as wf:
            return wf.get_determination(case_id)

    @app.get("/api/cases/{case_id}/determination/fhir", tags=["review"])
    def determination_fhir(key: Key, case_id: CaseId) -> Response:
        """The final determination as a FHIR R4 ClaimResponse (Da Vinci PAS shape), validated
        with fhir.resources."""
        with ctx.unit(key) as wf:
            body = wf.determination_fhir(case_id)
        return Response(json.dumps(body), media_type="application/fhir+json")

    @app.get("/api/cases/{case_id}/letter/preview", tags=["letters"])
    def preview_letter(
        key: Key, case_id: CaseId, format: Literal["pdf", "html", "text"] = "html"
    ) -> Response:
        """The letter as it stands: a draft (marked as one) from the engine's draft and the
        reviewer's decisions so far, or once finalized the final letter."""
        with ctx.unit(key) as wf:
            data, media = wf.letter_preview(case_id, format)
        return Response(data, media_type=media)

    @app.post(
        "/api/cases/{case_id}/letter",
        tags=["letters"],
        response_model=DocumentOut,
        status_code=201,
    )
    def issue_letter(key: Key, case_id: CaseId) -> DocumentOut:
        """Render and store the Final Determination Letter (PDF); the case is closed."""
        with ctx.unit(key) as wf:
            return wf.issue_letter(case_id)

    @app.get(
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
        key: Key, case_id: CaseId, format: Literal["pdf", "html", "text"] = "pdf"
    ) -> Response:
        """The issued letter (PDF as stored) or the final determination as HTML or text."""
        with ctx.unit(key) as wf:
            data, media = wf.letter(case_id, format)
        headers = {}
        if format == "pdf":
            headers["Content-Disposition"] = f'attachment; filename="{case_id}-letter.pdf"'
        return Response(data, media_type=media, headers=headers)

    @app.post("/api/cases/{case_id}/withdraw", tags=["workflow"], response_model=CaseOut)
    def withdraw(key: Key, case_id: CaseId, body: ReasonIn) -> CaseOut:
        with ctx.unit(key) as wf:
            return wf.withdraw(case_id, body.reason)

    @app.post("/api/cases/{case_id}/terminate", tags=["workflow"], response_model=CaseOut)
    def terminate(key: Key, case_id: CaseId, body: ReasonIn) -> CaseOut:
        with ctx.unit(key) as wf:
            return wf.terminate(case_id, body.reason)

    @app.get("/api/cases/{case_id}/events", tags=["audit"], response_model=list[EventOut])
    def case_events(key: Key, case_id: CaseId) -> list[EventOut]:
        """The case's audit trail: every transition, write and read, oldest first."""
        with ctx.unit(key) as wf:
            return wf.events(case_id)

    @app.get("/api/audit", tags=["audit"], response_model=list[EventOut])
    def audit(
        key: Key,
        since_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> list[EventOut]:
        with ctx.unit(key) as wf:
            return wf.audit(since_id=since_id, limit=limit)

    @app.get("/api/deadlines", tags=["cases"], response_model=DeadlineReport)
    def deadlines(key: Key, window_days: Annotated[int, Query(ge=0, le=365)] = 3) -> DeadlineReport:
        """Open clocks that are overdue or run out within ``window_days``."""
        with ctx.unit(key) as wf:
            return wf.deadline_report(window_days=window_days)

    @app.post("/api/reviewers", tags=["reviewers"], response_model=ReviewerOut, status_code=201)
    def add_reviewer(key: Key, body: ReviewerIn) -> ReviewerOut:
        with ctx.unit(key) as wf:
            return wf.add_reviewer(body)

    @app.put("/api/reviewers/{reviewer_id}", tags=["reviewers"], response_model=ReviewerOut)
    def replace_reviewer(key: Key, reviewer_id: ReviewerId, body: ReviewerIn) -> ReviewerOut:
        if body.id != reviewer_id:
            raise InputError("the body's id differs from the one in the path", field="id")
        with ctx.unit(key) as wf:
            return wf.add_reviewer(body, replace=True)

    @app.get("/api/reviewers", tags=["reviewers"], response_model=list[ReviewerOut])
    def list_reviewers(key: Key) -> list[ReviewerOut]:
        with ctx.unit(key) as wf:
            return wf.list_reviewers()

    @app.get("/api/reviewers/{reviewer_id}", tags=["reviewers"], response_model=ReviewerOut)
    def get_reviewer(key: Key, reviewer_id: ReviewerId) -> ReviewerOut:
        with ctx.unit(key) as wf:
            return wf.get_reviewer(reviewer_id)

    @app.post("/api/keys", tags=["service"], response_model=KeyOut, status_code=201)
    def create_key(key: Key, body: KeyIn) -> KeyOut:
        """Make an API key for a role (administrators only); the key is shown once."""
        with ctx.unit(key) as wf:
            return wf.create_key(body.role, reviewer_id=body.reviewer_id, label=body.label)

    @app.get("/api/keys", tags=["service"], response_model=list[KeyInfoOut])
    def list_keys(key: Key) -> list[KeyInfoOut]:
        """Every API key (prefix, role, when made, when revoked); never the keys themselves."""
        with ctx.unit(key) as wf:
            return wf.list_keys()

    @app.delete("/api/keys/{key_id}", tags=["service"], response_model=KeyInfoOut)
    def revoke_key(key: Key, key_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> KeyInfoOut:
        """Revoke an API key: every later request with it is refused (and audited)."""
        with ctx.unit(key) as wf:
            return wf.revoke_key(key_id)


def _parse_facts(raw: str | None) -> ApplicationFactsIn | None:
    if raw is None or not raw.strip():
        return None
    try:
        return ApplicationFactsIn.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "facts"
        raise InputError(str(first["msg"]), field=f"facts.{where}".rstrip(".")) from None
