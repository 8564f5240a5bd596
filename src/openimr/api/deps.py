"""What the routes depend on: the app's :class:`Context`, the caller's API key (header,
bearer token or the web page's cookie, with the same-origin rule for cookie writes), the
path parameters' shapes and the reading of uploaded files within the per-file limit."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Path, Request, UploadFile
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from openimr.api.context import Context
from openimr.errors import AuthenticationError, PermissionDeniedError, UploadTooLargeError
from openimr.service import Upload

COOKIE_NAME = "openimr_key"
bearer = HTTPBearer(auto_error=False, description="An openimr API key: `Bearer oimr_...`")
header_key = APIKeyHeader(name="X-API-Key", auto_error=False)
cookie_key = APIKeyCookie(name=COOKIE_NAME, auto_error=False)


def context_of(request: Request) -> Context:
    """The app's :class:`Context` (set by :func:`openimr.api.app.create_app`)."""
    return cast(Context, request.app.state.ctx)


async def app_context(request: Request) -> Context:
    """The app's :class:`Context` as a dependency (answered on the event loop: no thread)."""
    return context_of(request)


Ctx = Annotated[Context, Depends(app_context)]


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
