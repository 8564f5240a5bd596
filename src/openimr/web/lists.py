"""The case list and the deadline report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from openimr.errors import AuthenticationError, PermissionDeniedError
from openimr.web.pages import page, unit

router = APIRouter()


@router.get("/ui/cases", include_in_schema=False)
def cases_page(request: Request, error: str | None = None, note: str | None = None) -> Response:
    try:
        with unit(request) as wf:
            cases = wf.list_cases(limit=500)
            actor = wf.actor
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except PermissionDeniedError as exc:  # e.g. a deactivated reviewer
        return page("error.html.j2", 403, message=str(exc), actor=None)
    return page("cases.html.j2", cases=cases, actor=actor, error=error, note=note)


@router.get("/ui/deadlines", include_in_schema=False)
def deadlines_page(request: Request, window: int = 7) -> Response:
    try:
        with unit(request) as wf:
            report = wf.deadline_report(window_days=max(0, min(window, 365)))
            actor = wf.actor
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except PermissionDeniedError as exc:
        return page("error.html.j2", 403, message=str(exc), actor=None)
    return page("deadlines.html.j2", report=report, actor=actor, window=window)
