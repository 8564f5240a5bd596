"""Administration: the reviewer panel and API keys (a new key shown once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from openimr.errors import AuthenticationError, OpenIMRError, PermissionDeniedError
from openimr.service.auth import Role
from openimr.service.schemas import ReviewerIn
from openimr.web.pages import page, same_origin, to, unit

router = APIRouter()


@router.get("/ui/admin", include_in_schema=False)
def admin_page(
    request: Request,
    error: str | None = None,
    note: str | None = None,
) -> Response:
    try:
        with unit(request) as wf:
            actor = wf.actor
            reviewers = wf.list_reviewers()
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except PermissionDeniedError as exc:
        return page("error.html.j2", 403, message=str(exc), actor=None)
    new_key = request.cookies.get("openimr_new_key")
    response = page(
        "admin.html.j2",
        actor=actor,
        reviewers=reviewers,
        roles=[r.value for r in Role],
        error=error,
        note=note,
        new_key=new_key,
    )
    if new_key:
        response.delete_cookie("openimr_new_key", path="/ui/admin")
    return response


@router.post("/ui/admin/keys", include_in_schema=False)
def admin_key(
    request: Request,
    role: Annotated[str, Form(max_length=32)],
    reviewer_id: Annotated[str | None, Form(max_length=64)] = None,
    label: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    if not same_origin(request):
        return to("/ui/admin", error="the form came from another site")
    try:
        with unit(request) as wf:
            made = wf.create_key(role, reviewer_id=reviewer_id or None, label=label or None)
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except OpenIMRError as exc:
        return to("/ui/admin", error=str(exc))
    # shown once, on the next page only (a short-lived HttpOnly cookie, not the URL)
    response = to("/ui/admin", note=f"Key made for {made.role}: copy it now.")
    response.set_cookie(
        "openimr_new_key",
        made.key,
        httponly=True,
        samesite="strict",
        path="/ui/admin",
        max_age=60,
    )
    return response


@router.post("/ui/admin/reviewers", include_in_schema=False)
def admin_reviewer(request: Request, profile: Annotated[str, Form(max_length=50000)]) -> Response:
    if not same_origin(request):
        return to("/ui/admin", error="the form came from another site")
    try:
        import yaml

        data = yaml.safe_load(profile)
        body = ReviewerIn.model_validate(data)
    except (yaml.YAMLError, ValidationError, ValueError) as exc:
        text = str(exc).splitlines()
        return to("/ui/admin", error=f"profile: {' '.join(text[:3])}")
    try:
        with unit(request) as wf:
            saved = wf.add_reviewer(body, replace=True)
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except OpenIMRError as exc:
        return to("/ui/admin", error=str(exc))
    return to("/ui/admin", note=f"Reviewer {saved.id} saved.")
