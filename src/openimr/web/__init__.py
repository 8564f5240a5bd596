"""The reviewer's web page: server-rendered (Jinja2), served by the API app under ``/ui``.

Sign-in stores the API key in an HttpOnly, SameSite=Strict cookie (``Secure`` when the page
is served over HTTPS, or always with ``OPENIMR_SECURE_COOKIES=true``); every form must come
from this site (its ``Origin``); every page and form goes through the same service layer
(and the same audit trail) as the API. The app adds a strict Content-Security-Policy,
``X-Frame-Options: DENY`` and ``nosniff`` to every page (:mod:`openimr.api.app`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from openimr.errors import (
    AuthenticationError,
    NotFoundError,
    OpenIMRError,
    PermissionDeniedError,
)
from openimr.service.schemas import DecideIn

if TYPE_CHECKING:
    from openimr.api.app import Context

COOKIE = "openimr_key"

_env = Environment(
    loader=PackageLoader("openimr.web", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def _back(case_id: str, error: str | None = None, note: str | None = None) -> RedirectResponse:
    url = f"/ui/cases/{quote(case_id)}"
    if error:
        url += "?error=" + quote(error)
    elif note:
        url += "?note=" + quote(note)
    return RedirectResponse(url, status_code=303)


def _same_origin(request: Request) -> bool:
    """Forms must come from this site (with the SameSite cookie, a guard against CSRF)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def register(app: FastAPI, ctx: Context) -> None:
    app.mount(
        "/ui/static", StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static"
    )

    @app.get("/ui", include_in_schema=False)
    @app.get("/ui/", include_in_schema=False)
    def ui_root() -> Response:
        return RedirectResponse("/ui/cases", status_code=303)

    @app.get("/ui/login", include_in_schema=False)
    def login_form(error: str | None = None) -> HTMLResponse:
        return _page("login.html.j2", error=error)

    @app.post("/ui/login", include_in_schema=False)
    def login(request: Request, key: Annotated[str, Form(max_length=200)]) -> Response:
        if not _same_origin(request):
            return _page("login.html.j2", 403, error="the form came from another site")
        try:
            with ctx.unit(key.strip()) as wf:
                wf.list_cases(limit=1)
        except AuthenticationError as exc:
            return _page("login.html.j2", 401, error=str(exc))
        response = RedirectResponse("/ui/cases", status_code=303)
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

    @app.post("/ui/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/ui/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/ui/cases", include_in_schema=False)
    def cases_page(request: Request) -> Response:
        key = request.cookies.get(COOKIE)
        try:
            with ctx.unit(key) as wf:
                cases = wf.list_cases(limit=500)
                actor = wf.actor
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except PermissionDeniedError as exc:  # e.g. a deactivated reviewer
            return _page("error.html.j2", 403, message=str(exc))
        return _page("cases.html.j2", cases=cases, actor=actor)

    @app.get("/ui/cases/{case_id}", include_in_schema=False)
    def case_page(
        request: Request, case_id: str, error: str | None = None, note: str | None = None
    ) -> Response:
        key = request.cookies.get(COOKIE)
        try:
            with ctx.unit(key) as wf:
                case = wf.get_case(case_id)
                draft = None
                try:
                    draft = wf.get_draft(case_id)
                except NotFoundError:
                    draft = None
                actor = wf.actor
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except NotFoundError as exc:
            return _page("error.html.j2", 404, message=str(exc))
        except PermissionDeniedError as exc:
            return _page("error.html.j2", 403, message=str(exc))
        return _page("case.html.j2", case=case, draft=draft, actor=actor, error=error, note=note)

    def _act(request: Request, case_id: str, run: Any, done: str) -> Response:
        if not _same_origin(request):
            return _back(case_id, error="the form came from another site")
        key = request.cookies.get(COOKIE)
        try:
            with ctx.unit(key) as wf:
                run(wf)
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except OpenIMRError as exc:
            return _back(case_id, error=str(exc))
        return _back(case_id, note=done)

    @app.post("/ui/cases/{case_id}/draft", include_in_schema=False)
    def ui_draft(request: Request, case_id: str) -> Response:
        from openimr.service.workflow import run_review

        if not _same_origin(request):
            return _back(case_id, error="the form came from another site")
        key = request.cookies.get(COOKIE)
        try:
            # no database lock while the engine works: read, run, store
            with ctx.unit(key) as wf:
                inp = wf.draft_input(case_id)
            review = run_review(inp, ctx.review_engine, ctx.settings.limits)
            with ctx.unit(key) as wf:
                wf.store_draft(inp, review)
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except OpenIMRError as exc:
            return _back(case_id, error=str(exc))
        return _back(case_id, note="Draft made by the engine.")

    @app.post("/ui/cases/{case_id}/items/{index}", include_in_schema=False)
    def ui_decide(
        request: Request,
        case_id: str,
        index: int,
        action: Annotated[str, Form()],
        decision: Annotated[str | None, Form()] = None,
        reason: Annotated[str | None, Form(max_length=20000)] = None,
    ) -> Response:
        try:
            body = DecideIn.model_validate(
                {"action": action, "decision": decision or None, "reason": reason or None}
            )
        except ValueError:
            return _back(case_id, error="choose accept or override, and upheld or overturned")
        return _act(
            request,
            case_id,
            lambda wf: wf.decide_item(case_id, index, body),
            f"Item {index + 1}: {body.action} saved.",
        )

    @app.post("/ui/cases/{case_id}/finalize", include_in_schema=False)
    def ui_finalize(request: Request, case_id: str) -> Response:
        return _act(request, case_id, lambda wf: wf.finalize(case_id), "Determination finalized.")
