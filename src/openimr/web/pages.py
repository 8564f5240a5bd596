"""What every page shares: the Jinja2 environment, rendering a page or an error page,
redirects back to a page with a note or an error, the same-origin check on forms, the
caller's unit of work (the key from the sign-in cookie), and running one case action from
a form."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from openimr.api.deps import COOKIE_NAME, context_of
from openimr.errors import AuthenticationError, OpenIMRError
from openimr.service.auth import PERMISSIONS
from openimr.service.workflow import Workflow
from openimr.web.forms import FACT_KINDS

COOKIE = COOKIE_NAME
"""The sign-in cookie: the API reads the same one (:func:`openimr.api.deps.api_key`)."""

env = Environment(
    loader=PackageLoader("openimr.web", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
    trim_blocks=True,
    lstrip_blocks=True,
)


def can(actor: Any, permission: str) -> bool:
    return actor is not None and actor.role in PERMISSIONS.get(permission, frozenset())


env.globals["can"] = can
env.globals["FACT_KINDS"] = FACT_KINDS


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(env.get_template(name).render(**context), status_code=status)


def error_page(message: str, status: int) -> HTMLResponse:
    """An error as a page (for a form the pages' own validation refused)."""
    return page("error.html.j2", status, message=message, actor=None)


def back(
    case_id: str, error: str | None = None, note: str | None = None, anchor: str = ""
) -> RedirectResponse:
    url = f"/ui/cases/{quote(case_id)}"
    if error:
        url += "?error=" + quote(error)
    elif note:
        url += "?note=" + quote(note)
    if anchor:
        url += "#" + anchor
    return RedirectResponse(url, status_code=303)


def to(path: str, error: str | None = None, note: str | None = None) -> RedirectResponse:
    if error:
        path += "?error=" + quote(error)
    elif note:
        path += "?note=" + quote(note)
    return RedirectResponse(path, status_code=303)


def same_origin(request: Request) -> bool:
    """Forms must come from this site (with the SameSite cookie, a guard against CSRF)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def unit(request: Request) -> AbstractContextManager[Workflow]:
    """The signed-in caller's workflow in one transaction (the key from the cookie)."""
    return context_of(request).unit(request.cookies.get(COOKIE))


def act(
    request: Request,
    case_id: str,
    run: Callable[[Workflow], Any],
    done: str | Callable[[Any], str],
    anchor: str = "actions",
) -> Response:
    """Run one case action from a form, then back to the case page with a note or the error."""
    if not same_origin(request):
        return back(case_id, error="the form came from another site", anchor=anchor)
    try:
        with unit(request) as wf:
            result = run(wf)
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except OpenIMRError as exc:
        return back(case_id, error=str(exc), anchor=anchor)
    note = done(result) if callable(done) else done
    return back(case_id, note=note, anchor=anchor)
