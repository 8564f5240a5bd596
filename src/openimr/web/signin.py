"""Sign-in: the key form, the HttpOnly SameSite=Strict cookie it sets, sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openimr.api.deps import context_of
from openimr.errors import AuthenticationError
from openimr.web.pages import COOKIE, page, same_origin

router = APIRouter()


@router.get("/ui", include_in_schema=False)
@router.get("/ui/", include_in_schema=False)
def ui_root() -> Response:
    return RedirectResponse("/ui/cases", status_code=303)


@router.get("/ui/login", include_in_schema=False)
def login_form(error: str | None = None) -> HTMLResponse:
    return page("login.html.j2", error=error)


@router.post("/ui/login", include_in_schema=False)
def login(request: Request, key: Annotated[str, Form(max_length=200)]) -> Response:
    if not same_origin(request):
        return page("login.html.j2", 403, error="the form came from another site")
    ctx = context_of(request)
    try:
        with ctx.unit(key.strip()) as wf:
            wf.list_cases(limit=1)
    except AuthenticationError as exc:
        return page("login.html.j2", 401, error=str(exc))
    response = RedirectResponse("/ui/cases", status_code=303)
    # Secure when served over HTTPS (or always, with OPENIMR_SECURE_COOKIES=true)
    secure = ctx.settings.secure_cookies
    if secure is None:
        secure = request.url.scheme == "https"
    response.set_cookie(
        COOKIE,
        key.strip(),
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
        max_age=8 * 3600,
    )
    return response


@router.post("/ui/logout", include_in_schema=False)
def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
