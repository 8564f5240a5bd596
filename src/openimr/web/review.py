"""The reviewer's work on the case page: draft, decide each item (accept or override), and
the override composer's rationale preview."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from openimr.errors import AuthenticationError, OpenIMRError
from openimr.render.override import override_rationale, reason_from_changes
from openimr.service.schemas import DecideIn
from openimr.web.pages import act, back, env, same_origin, unit

router = APIRouter()


@router.post("/ui/cases/{case_id}/draft", include_in_schema=False)
def ui_draft(request: Request, case_id: str) -> Response:
    def note(out: Any) -> str:
        text = "Draft made by the engine."
        kept = sum(1 for i in out.items if i.reviewer is not None)
        if kept:
            text += f" Your decisions on {kept} item(s) are kept."
        if out.cleared_decisions:
            cleared = ", ".join(str(i + 1) for i in out.cleared_decisions)
            text += (
                f" The engine now drafts another decision for item(s) {cleared}: decide them again."
            )
        return text

    return act(request, case_id, lambda wf: wf.draft(case_id), note, anchor="review")


@router.post("/ui/cases/{case_id}/items/{index}", include_in_schema=False)
def ui_decide(
    request: Request,
    case_id: str,
    index: int,
    action: Annotated[str, Form()],
    decision: Annotated[str | None, Form()] = None,
    reason: Annotated[str | None, Form(max_length=20000)] = None,
) -> Response:
    anchor = f"item-{index}"
    try:
        body = DecideIn.model_validate(
            {"action": action, "decision": decision or None, "reason": reason or None}
        )
    except ValueError:
        return back(
            case_id,
            error="choose accept or override, and upheld or overturned",
            anchor=anchor,
        )
    return act(
        request,
        case_id,
        lambda wf: wf.decide_item(case_id, index, body),
        f"Item {index + 1}: {body.action} saved.",
        anchor=anchor,
    )


@router.post("/ui/cases/{case_id}/items/{index}/preview", include_in_schema=False)
async def ui_preview_override(request: Request, case_id: str, index: int) -> Response:
    """The override composer's preview: the rationale the letter will carry (a fragment).
    With no reason written yet, the reason is worded from the criteria changed."""
    if not same_origin(request):
        return PlainTextResponse("the form came from another site", status_code=403)
    form = await request.form()
    decision = str(form.get("decision") or "upheld")
    reason = str(form.get("reason") or "").strip()
    try:
        with unit(request) as wf:
            draft = wf.get_draft(case_id)
    except AuthenticationError:
        return PlainTextResponse("sign in again", status_code=401)
    except OpenIMRError as exc:
        return PlainTextResponse(str(exc), status_code=404)
    if not 0 <= index < len(draft.items):
        return PlainTextResponse(f"no item {index}", status_code=404)
    engine = draft.items[index].engine
    changes = []
    for n, crit in enumerate(engine.get("criteria", []), start=1):
        new = str(form.get(f"crit-{n}") or "")
        if new and new != crit.get("status"):
            changes.append((str(crit.get("text", "")), new))
    suggested = reason_from_changes(changes)
    text = override_rationale(
        str(engine["request"]), engine.get("rationale"), decision, reason or suggested
    )
    fragment = env.get_template("rationale_preview.html.j2").render(
        paragraphs=[p for p in text.split("\n\n") if p],
        suggested=suggested,
        used_suggestion=not reason and bool(suggested),
    )
    return HTMLResponse(fragment)
