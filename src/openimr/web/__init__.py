"""The workbench: server-rendered pages (Jinja2, plain forms, one small script) under ``/ui``.

Sign-in stores the API key in an HttpOnly, SameSite=Strict cookie; every page and form goes
through the same service layer (and the same audit trail) as the API. Pages by role:

- reviewers: the case page with the records beside the criteria (evidence spans marked and
  linked), the override composer with its rationale preview, the letter preview, sign;
- intake: submit an application with its records, screen (eligibility reasons and the facts
  still missing), mark records received, attach records, issue the letter, deadlines;
- administrators: all of intake's, assign (the panel ranked with matches and conflicts), the
  reviewer panel and API keys.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from openimr.errors import (
    AuthenticationError,
    InputError,
    NotFoundError,
    OpenIMRError,
    PermissionDeniedError,
)
from openimr.render.override import override_rationale, reason_from_changes
from openimr.service.auth import PERMISSIONS, Role
from openimr.service.schemas import ApplicationFactsIn, DecideIn, ReviewerIn
from openimr.service.workflow import Workflow
from openimr.web.views import criterion_rows, record_views

if TYPE_CHECKING:
    from openimr.api.app import Context

COOKIE = "openimr_key"

_env = Environment(
    loader=PackageLoader("openimr.web", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
    trim_blocks=True,
    lstrip_blocks=True,
)


def can(actor: Any, permission: str) -> bool:
    return actor is not None and actor.role in PERMISSIONS.get(permission, frozenset())


_env.globals["can"] = can


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def error_page(message: str, status: int) -> HTMLResponse:
    """An error as a page (for a form the pages' own validation refused)."""
    return _page("error.html.j2", status, message=message, actor=None)


def _back(
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


def _to(path: str, error: str | None = None, note: str | None = None) -> RedirectResponse:
    if error:
        path += "?error=" + quote(error)
    elif note:
        path += "?note=" + quote(note)
    return RedirectResponse(path, status_code=303)


def _same_origin(request: Request) -> bool:
    """Forms must come from this site (with the SameSite cookie, a guard against CSRF)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


# the screening facts intake can give on the page: every field of ApplicationFactsIn
def _fact_kind(name: str) -> str:
    annotation = ApplicationFactsIn.model_fields[name].annotation
    args = set(get_args(annotation)) or {annotation}
    if bool in args:
        return "bool"
    if dt.date in args:
        return "date"
    for arg in args:
        choices = get_args(arg)
        if choices and all(isinstance(c, str) for c in choices):
            return "choice:" + "|".join(choices)
    return "text"


FACT_KINDS = {name: _fact_kind(name) for name in ApplicationFactsIn.model_fields}
_env.globals["FACT_KINDS"] = FACT_KINDS


def _facts_from_form(form: Any) -> ApplicationFactsIn | None:
    raw: dict[str, Any] = {}
    for name, kind in FACT_KINDS.items():
        value = form.get(f"fact-{name}")
        if value is None or str(value).strip() == "":
            continue
        value = str(value).strip()
        if kind == "bool":
            raw[name] = value == "yes"
        elif name == "manufacturers":
            raw[name] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            raw[name] = value
    if not raw:
        return None
    try:
        return ApplicationFactsIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}: {first['msg']}", field=f"facts.{where}") from None


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


def register(app: FastAPI, ctx: Context) -> None:
    app.mount(
        "/ui/static", StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static"
    )

    def unit(request: Request) -> Any:
        return ctx.unit(request.cookies.get(COOKIE))

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

    @app.post("/ui/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/ui/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ lists

    @app.get("/ui/cases", include_in_schema=False)
    def cases_page(request: Request, error: str | None = None, note: str | None = None) -> Response:
        try:
            with unit(request) as wf:
                cases = wf.list_cases(limit=500)
                actor = wf.actor
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except PermissionDeniedError as exc:  # e.g. a deactivated reviewer
            return _page("error.html.j2", 403, message=str(exc), actor=None)
        return _page("cases.html.j2", cases=cases, actor=actor, error=error, note=note)

    @app.get("/ui/deadlines", include_in_schema=False)
    def deadlines_page(request: Request, window: int = 7) -> Response:
        try:
            with unit(request) as wf:
                report = wf.deadline_report(window_days=max(0, min(window, 365)))
                actor = wf.actor
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except PermissionDeniedError as exc:
            return _page("error.html.j2", 403, message=str(exc), actor=None)
        return _page("deadlines.html.j2", report=report, actor=actor, window=window)

    # ------------------------------------------------------------------ intake

    @app.get("/ui/intake", include_in_schema=False)
    def intake_form(request: Request, error: str | None = None) -> Response:
        try:
            with unit(request) as wf:
                actor = wf.actor
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        if not can(actor, "submit"):
            return _page("error.html.j2", 403, message="only intake can submit", actor=actor)
        return _page("intake.html.j2", actor=actor, error=error)

    @app.post("/ui/intake", include_in_schema=False)
    async def intake_submit(
        request: Request,
        case: Annotated[UploadFile, File()],
        records: Annotated[list[UploadFile] | None, File()] = None,
    ) -> Response:
        if not _same_origin(request):
            return _to("/ui/intake", error="the form came from another site")
        from openimr.api.app import read_uploads

        try:
            form = await request.form()
            files = [case, *[r for r in (records or []) if r.filename]]
            uploads = await run_in_threadpool(read_uploads, files, ctx)
            facts = _facts_from_form(form)
            with unit(request) as wf:
                out = wf.submit(uploads[0].data, uploads[1:], facts=facts)
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except OpenIMRError as exc:
            return _to("/ui/intake", error=str(exc))
        if out.created:
            note = "Application received: case opened."
        elif out.corrected:
            note = "Corrected application taken: screen the case again."
        else:
            note = "The same application was already on file."
        return _back(out.case.id, note=note, anchor="actions")

    # ------------------------------------------------------------------ admin

    @app.get("/ui/admin", include_in_schema=False)
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
            return _page("error.html.j2", 403, message=str(exc), actor=None)
        new_key = request.cookies.get("openimr_new_key")
        response = _page(
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

    @app.post("/ui/admin/keys", include_in_schema=False)
    def admin_key(
        request: Request,
        role: Annotated[str, Form(max_length=32)],
        reviewer_id: Annotated[str | None, Form(max_length=64)] = None,
        label: Annotated[str | None, Form(max_length=200)] = None,
    ) -> Response:
        if not _same_origin(request):
            return _to("/ui/admin", error="the form came from another site")
        try:
            with unit(request) as wf:
                made = wf.create_key(role, reviewer_id=reviewer_id or None, label=label or None)
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except OpenIMRError as exc:
            return _to("/ui/admin", error=str(exc))
        # shown once, on the next page only (a short-lived HttpOnly cookie, not the URL)
        response = _to("/ui/admin", note=f"Key made for {made.role}: copy it now.")
        response.set_cookie(
            "openimr_new_key",
            made.key,
            httponly=True,
            samesite="strict",
            path="/ui/admin",
            max_age=60,
        )
        return response

    @app.post("/ui/admin/reviewers", include_in_schema=False)
    def admin_reviewer(
        request: Request, profile: Annotated[str, Form(max_length=50000)]
    ) -> Response:
        if not _same_origin(request):
            return _to("/ui/admin", error="the form came from another site")
        try:
            import yaml

            data = yaml.safe_load(profile)
            body = ReviewerIn.model_validate(data)
        except (yaml.YAMLError, ValidationError, ValueError) as exc:
            text = str(exc).splitlines()
            return _to("/ui/admin", error=f"profile: {' '.join(text[:3])}")
        try:
            with unit(request) as wf:
                saved = wf.add_reviewer(body, replace=True)
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except OpenIMRError as exc:
            return _to("/ui/admin", error=str(exc))
        return _to("/ui/admin", note=f"Reviewer {saved.id} saved.")

    # ------------------------------------------------------------------ the case page

    @app.get("/ui/cases/{case_id}", include_in_schema=False)
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
            return _page("error.html.j2", 404, message=str(exc), actor=None)
        issued = [d for d in case.documents if d.kind == "letter"]
        return _page(
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

    def _act(
        request: Request,
        case_id: str,
        run: Callable[[Workflow], Any],
        done: str | Callable[[Any], str],
        anchor: str = "actions",
    ) -> Response:
        if not _same_origin(request):
            return _back(case_id, error="the form came from another site", anchor=anchor)
        try:
            with unit(request) as wf:
                result = run(wf)
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except OpenIMRError as exc:
            return _back(case_id, error=str(exc), anchor=anchor)
        note = done(result) if callable(done) else done
        return _back(case_id, note=note, anchor=anchor)

    @app.post("/ui/cases/{case_id}/screen", include_in_schema=False)
    async def ui_screen(request: Request, case_id: str) -> Response:
        form = await request.form()
        try:
            facts = _facts_from_form(form)
        except InputError as exc:
            return _back(case_id, error=str(exc), anchor="actions")
        return _act(
            request,
            case_id,
            lambda wf: wf.screen(case_id, facts=facts),
            lambda out: (
                f"Screened: {out.eligibility.status.replace('_', ' ')}."
                if out.eligibility
                else "Screened."
            ),
        )

    @app.post("/ui/cases/{case_id}/assign", include_in_schema=False)
    def ui_assign(
        request: Request,
        case_id: str,
        reviewer_id: Annotated[str | None, Form(max_length=64)] = None,
        reason: Annotated[str | None, Form(max_length=2000)] = None,
    ) -> Response:
        return _act(
            request,
            case_id,
            lambda wf: wf.assign(case_id, reviewer_id=reviewer_id or None, reason=reason or None),
            lambda out: f"Assigned to {out.reviewer_id}.",
        )

    @app.post("/ui/cases/{case_id}/records-received", include_in_schema=False)
    def ui_records_received(request: Request, case_id: str) -> Response:
        return _act(
            request, case_id, lambda wf: wf.receive_records(case_id), "Records marked received."
        )

    @app.post("/ui/cases/{case_id}/request-records", include_in_schema=False)
    def ui_request_records(
        request: Request,
        case_id: str,
        reason: Annotated[str | None, Form(max_length=2000)] = None,
    ) -> Response:
        return _act(
            request,
            case_id,
            lambda wf: wf.request_records(case_id, reason or None),
            "Records requested from the claims administrator.",
        )

    @app.post("/ui/cases/{case_id}/close", include_in_schema=False)
    def ui_close(
        request: Request,
        case_id: str,
        action: Annotated[str, Form(max_length=16)],
        reason: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        if action not in ("withdraw", "terminate"):
            return _back(case_id, error="choose withdraw or terminate", anchor="actions")
        return _act(
            request,
            case_id,
            lambda wf: getattr(wf, action)(case_id, reason),
            f"Case {'withdrawn' if action == 'withdraw' else 'terminated'}.",
        )

    @app.post("/ui/cases/{case_id}/records", include_in_schema=False)
    async def ui_attach(
        request: Request, case_id: str, records: Annotated[list[UploadFile], File()]
    ) -> Response:
        from openimr.api.app import read_uploads

        try:
            uploads = await run_in_threadpool(read_uploads, [r for r in records if r.filename], ctx)
        except OpenIMRError as exc:
            return _back(case_id, error=str(exc), anchor="actions")
        return _act(
            request,
            case_id,
            lambda wf: wf.attach_records(case_id, uploads),
            lambda out: f"{len(out)} record(s) attached.",
        )

    @app.post("/ui/cases/{case_id}/draft", include_in_schema=False)
    def ui_draft(request: Request, case_id: str) -> Response:
        def note(out: Any) -> str:
            text = "Draft made by the engine."
            kept = sum(1 for i in out.items if i.reviewer is not None)
            if kept:
                text += f" Your decisions on {kept} item(s) are kept."
            if out.cleared_decisions:
                cleared = ", ".join(str(i + 1) for i in out.cleared_decisions)
                text += (
                    f" The engine now drafts another decision for item(s) {cleared}: "
                    "decide them again."
                )
            return text

        return _act(request, case_id, lambda wf: wf.draft(case_id), note, anchor="review")

    @app.post("/ui/cases/{case_id}/items/{index}", include_in_schema=False)
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
            return _back(
                case_id,
                error="choose accept or override, and upheld or overturned",
                anchor=anchor,
            )
        return _act(
            request,
            case_id,
            lambda wf: wf.decide_item(case_id, index, body),
            f"Item {index + 1}: {body.action} saved.",
            anchor=anchor,
        )

    @app.post("/ui/cases/{case_id}/items/{index}/preview", include_in_schema=False)
    async def ui_preview_override(request: Request, case_id: str, index: int) -> Response:
        """The override composer's preview: the rationale the letter will carry (a fragment).
        With no reason written yet, the reason is worded from the criteria changed."""
        if not _same_origin(request):
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
        fragment = _env.get_template("rationale_preview.html.j2").render(
            paragraphs=[p for p in text.split("\n\n") if p],
            suggested=suggested,
            used_suggestion=not reason and bool(suggested),
        )
        return HTMLResponse(fragment)

    @app.post("/ui/cases/{case_id}/finalize", include_in_schema=False)
    def ui_finalize(request: Request, case_id: str) -> Response:
        return _act(
            request,
            case_id,
            lambda wf: wf.finalize(case_id),
            "Determination signed and finalized.",
            anchor="letter",
        )

    @app.post("/ui/cases/{case_id}/issue", include_in_schema=False)
    def ui_issue(request: Request, case_id: str) -> Response:
        return _act(
            request,
            case_id,
            lambda wf: wf.issue_letter(case_id),
            "Letter issued: the PDF is stored and the case is closed.",
            anchor="letter",
        )

    @app.get("/ui/cases/{case_id}/letter.pdf", include_in_schema=False)
    def ui_letter_pdf(request: Request, case_id: str) -> Response:
        """The issued PDF; before issue, the finalized letter; before that, the draft."""
        try:
            with unit(request) as wf:
                data, media = wf.letter_preview(case_id, "pdf")
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except OpenIMRError as exc:
            return _back(case_id, error=str(exc), anchor="letter")
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{case_id}-letter.pdf"'},
        )

    @app.get("/ui/cases/{case_id}/fhir.json", include_in_schema=False)
    def ui_fhir(request: Request, case_id: str) -> Response:
        try:
            with unit(request) as wf:
                body = wf.determination_fhir(case_id)
        except AuthenticationError:
            return RedirectResponse("/ui/login", status_code=303)
        except OpenIMRError as exc:
            return _back(case_id, error=str(exc), anchor="letter")
        return Response(
            json.dumps(body, indent=2),
            media_type="application/fhir+json",
            headers={"Content-Disposition": f'attachment; filename="{case_id}-claimresponse.json"'},
        )


__all__ = ["COOKIE", "Markup", "error_page", "register"]
