"""The case page: the case, its records beside the criteria (evidence marked and linked),
the letter as it stands, the reviewer candidates and the audit trail, as the role allows."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from openimr.errors import AuthenticationError, NotFoundError
from openimr.service.workflow import Workflow
from openimr.web.pages import can, page, unit
from openimr.web.views import criterion_rows, record_views

router = APIRouter()


def letter_fragment(html: str) -> Markup:
    """The letter's ``<body>`` for the page, shown inline (no frame: the pages' strict
    Content-Security-Policy forbids frames and inline styles), its ids and links prefixed
    ``letter-`` so they cannot meet the page's own. The HTML is the letter renderer's own,
    autoescaped output."""
    tag_and_rest = html.split("<body", 1)[1]
    body = tag_and_rest.split(">", 1)[1].rsplit("</body>", 1)[0]
    body = re.sub(r'\bid="', 'id="letter-', body)
    body = re.sub(r'href="#', 'href="#letter-', body)
    return Markup(body)  # the letter template's own autoescaped HTML


def _draft_context(wf: Workflow, case: Any, draft: Any) -> dict[str, Any]:
    """Records beside criteria: the records as read, marked; each item's criteria rows."""
    model = wf.case_records(case.id)
    docs = {d.name: d.id for d in case.documents if d.kind == "record"}
    items = [it.engine for it in draft.items] if draft is not None else []
    return {
        "records": record_views(model, items, docs),
        "rows": {it.index: criterion_rows(it.engine, model) for it in draft.items}
        if draft is not None
        else {},
    }


@router.get("/ui/cases/{case_id}", include_in_schema=False)
def case_page(
    request: Request, case_id: str, error: str | None = None, note: str | None = None
) -> Response:
    try:
        with unit(request) as wf:
            case = wf.get_case(case_id)
            actor = wf.actor
            try:
                draft = wf.get_draft(case_id)
            except NotFoundError:
                draft = None
            view: dict[str, Any] = {"records": [], "rows": {}}
            if can(actor, "read_record") and case.documents:
                view = _draft_context(wf, case, draft)
            letter_html = None
            if draft is not None and can(actor, "read_letter"):
                data, _media = wf.letter_preview(case_id, "html")
                letter_html = letter_fragment(data.decode("utf-8"))
            candidates = []
            if can(actor, "assign") and case.state in (
                "eligible",
                "assigned",
                "records_requested",
                "records_received",
                "in_review",
            ):
                candidates = wf.candidates(case_id)
            events = wf.events(case_id) if can(actor, "read_events") else []
    except AuthenticationError:
        return RedirectResponse("/ui/login", status_code=303)
    except NotFoundError as exc:
        return page("error.html.j2", 404, message=str(exc), actor=None)
    issued = [d for d in case.documents if d.kind == "letter"]
    return page(
        "case.html.j2",
        case=case,
        draft=draft,
        actor=actor,
        error=error,
        note=note,
        letter_html=letter_html,
        candidates=candidates,
        issued=issued,
        events=events,
        **view,
    )
