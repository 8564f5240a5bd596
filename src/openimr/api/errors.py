"""Errors as the API answers them: ``{"error": code, "message": ..., "field": ...}`` with the
status each kind of error maps to, the handlers that turn exceptions into those answers, and
the error responses each route documents in the OpenAPI description."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

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
from openimr.service.schemas import ErrorOut
from openimr.store.blobs import BlobIntegrityError

log = logging.getLogger("openimr.api")

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


def add_error_handlers(app: FastAPI) -> None:
    """Answer a database value error, a request-validation error and every
    :class:`OpenIMRError` in the documented error shape (a page for the web pages' forms)."""

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
            from openimr.web.pages import error_page

            return error_page(f"The form was not complete: {body['message']}", 422)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(OpenIMRError)
    async def _openimr_error(request: Request, exc: OpenIMRError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status >= 500:
            log.error("storage error on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body(exc), status_code=status, headers=headers)


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
STORAGE_ERROR: dict[str, Any] = {
    **_ERR,
    "description": "The stored file fails its checksum (`storage_error`)",
}
