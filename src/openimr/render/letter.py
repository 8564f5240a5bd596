"""The Final Determination Letter as text, HTML and PDF, from replaceable Jinja2 templates.

The letter follows the published 2016-2017 DWC letters (header block, "HOW THE IMR FINAL
DETERMINATION WAS MADE", "CLINICAL CASE SUMMARY", "IMR ISSUES, DECISIONS AND RATIONALES")
and adds what LC 4610.6 and 8 CCR 9792.10.6 ask for and those letters lacked: every
document reviewed, listed one by one, the evidence behind each criterion (HTML and PDF), and
the binding effect and appeal rights.

Templates live in ``openimr/render/templates`` (``letter.txt.j2``, ``letter.html.j2``,
``letter.css``). A user replaces any of them by putting a file of the same name in
``LetterOptions.templates_dir`` or in the directory named by ``OPENIMR_TEMPLATES`` (searched
in that order, then the built-in ones). Templates receive ``letter`` (a :class:`LetterView`:
everything already worded and formatted), and also ``review``, ``case`` and ``options``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)
from markupsafe import Markup

from openimr.errors import OpenIMRError
from openimr.model import Case, CaseReview, CriterionResult, Evidence, ItemDetermination, Record
from openimr.render.options import LetterOptions, ReviewerCredentials, reviewer_credentials
from openimr.render.wording import (
    NOT_MTUS,
    claims_administrator_wording,
    decision_label,
    finding_words,
    guideline_wording,
    is_decided,
    pages_phrase,
    request_heading,
    status_label,
    us_date,
)

__all__ = [
    "TEXT_WIDTH",
    "LetterOptions",
    "LetterView",
    "ReviewerCredentials",
    "build_view",
    "render_letter",
    "render_pdf",
    "write_letter",
]

TEXT_WIDTH = 95
"""Columns of the text letter (the published letters' line length)."""

LetterFormat = Literal["text", "html"]

TITLE = "INDEPENDENT MEDICAL REVIEW FINAL DETERMINATION"
DRAFT_TITLE = "DRAFT \u2014 NOT A FINAL DETERMINATION"
DRAFT_NOTICE = (
    "DRAFT. This is not a determination: no expert reviewer has signed it, it binds no one and "
    "it must not be served on the parties. It was prepared from the case file as a draft for "
    "the expert reviewer, who accepts or changes each decision and signs the Final "
    "Determination."
)
DRAFT_NOT_MTUS = "This draft is not based on the MTUS."
DRAFT_SUMMARY_LEAD = (
    "The following clinical case summary was drafted from the case file, including all "
    "medical records:"
)
DRAFT_ISSUES_LEAD = (
    "Proposed decisions for the disputed items/services (none is final until the expert "
    "reviewer signs the determination):"
)
DRAFT_CLOSING = (
    "This draft is not a determination. The binding effect of a Final Determination (Labor "
    "Code section 4610.6(g)) and the parties' appeal rights (Labor Code section 4610.6(h)) "
    "attach only to the determination the expert reviewer signs.",
)
SUMMARY_LEAD = (
    "The expert reviewer developed the following clinical case summary based on a review of "
    "the case file, including all medical records:"
)
ISSUES_LEAD = (
    "The Final Determination was based on decisions for the disputed items/services set forth "
    "below:"
)
CREDENTIALS_LEAD = "The Expert Reviewer has the following credentials:"
DOCUMENTS_LEAD = (
    "Every document in the case file was reviewed in full. Documents marked \u201ccited "
    "below\u201d are relied on in the decisions that follow."
)
NO_DOCUMENTS = "The case file held no medical records."
RECORDS_NOT_RECEIVED = (
    "The claims administrator's medical records were not received. As 8 CCR 9792.10.6(b)(2) "
    "allows, this determination rests on the summary of medical records in the utilization "
    "review decision and the documents submitted by the employee or the requesting physician."
)


def _practice_sentence(creds: ReviewerCredentials) -> str:
    """Years and weekly hours of practice, as the letters state them (profile facts only)."""
    parts = []
    years = creds.years_in_practice
    if years is not None:
        if years > 5:
            parts.append("has been in active clinical practice for more than five years")
        else:
            parts.append(f"has been in active clinical practice for {years:g} years")
    hours = creds.weekly_practice_hours
    if hours is not None:
        if hours >= 24:
            parts.append("is currently working at least 24 hours a week in active practice")
        else:
            parts.append(f"is currently working {hours:g} hours a week in active practice")
    return f"He/she {' and '.join(parts)}. " if parts else ""


def _process_paragraph(org: str, creds: ReviewerCredentials | None) -> str:
    if creds is not None:
        return (
            f"{org} sent the complete case file to an expert reviewer. He/she has no "
            "affiliation with the employer, employee, providers or the claims administrator. "
            + _practice_sentence(creds)
            + "The expert reviewer was selected based on his/her clinical experience, education, "
            "background, and expertise in the same or similar specialties that evaluate and/or "
            "treat the medical condition and disputed items/services. He/she is familiar with "
            "governing laws and regulations, including the strength of evidence hierarchy that "
            "applies to Independent Medical Review determinations."
        )
    return (
        f"{org} reviewed the complete case file, including every document listed below. Each "
        "disputed item/service was assessed against the guideline criteria in effect on the "
        "date of the utilization review decision, following the strength of evidence hierarchy "
        "that applies to Independent Medical Review determinations: the MTUS first, then other "
        "evidence-based guidelines. Each finding rests on the documents it cites; where a "
        "criterion is not documented, every document in the file was searched for it. An item "
        "that no guideline criteria address is not decided here: it is referred to an expert "
        "reviewer."
    )


def _closing_paragraphs(any_overturned: bool, any_undecided: bool) -> tuple[str, ...]:
    paras = [
        "The decisions in this letter are deemed the determination of the Administrative "
        "Director and are binding on all parties (Labor Code section 4610.6(g)).",
        "A party who disagrees may appeal it by filing a verified petition with the Workers' "
        "Compensation Appeals Board within 30 days of the date this determination was served. "
        "An appeal can succeed only if one of these is shown (Labor Code section 4610.6(h)): "
        "the Administrative Director acted without or in excess of their powers; the "
        "determination was obtained by fraud; the reviewer had a material conflict of interest "
        "in violation of Labor Code section 139.5; the determination resulted from bias on the "
        "basis of race, national origin, ethnic group identification, religion, age, sex, "
        "sexual orientation, color or disability; or the determination rests on a plainly "
        "erroneous finding of fact that is a matter of ordinary knowledge, based on the "
        "information submitted for review, and not a matter of expert opinion.",
    ]
    if any_overturned:
        paras.append(
            "Where this determination overturns the utilization review decision, the claims "
            "administrator must authorize the service within 5 working days of receiving it "
            "(8 CCR 9792.10.7)."
        )
    if any_undecided:
        paras.append(
            "An item marked \u201cNot decided\u201d is not determined by this letter: it has "
            "been referred to an expert reviewer, whose decision on it will be sent to the "
            "parties."
        )
    return tuple(paras)


# --------------------------------------------------------------------------- view


@dataclass(frozen=True)
class HeaderField:
    label: str
    value: str
    css: str = ""


@dataclass(frozen=True)
class DocumentView:
    number: int
    path: str
    kind: str
    record_type: str | None
    date_of_service: str
    pages: int | None
    sha256: str | None
    relied_on: bool

    @property
    def title(self) -> str:
        """What the document is, for a reader: its type and date of service (the file's own
        name only when its type is unknown; never a directory path or a checksum)."""
        if self.record_type:
            title = _record_type_label(self.record_type)
        else:
            title = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        if self.date_of_service:
            title += f", dated {self.date_of_service}"
        return title

    @property
    def details(self) -> str:
        """Pages, and whether the decisions rely on it, as one line."""
        parts: list[str] = []
        if self.pages:
            parts.append(pages_phrase(self.pages))
        if self.relied_on:
            parts.append("cited below")
        return "; ".join(parts)


@dataclass(frozen=True)
class EvidenceView:
    record: str
    document: int | None
    page: int | None
    start: int
    end: int
    quote: str
    fact: str | None

    @property
    def location(self) -> str:
        """Where the passage is, for a reader: the document's number and page."""
        where = [f"Document {self.document}" if self.document is not None else "the records"]
        if self.page is not None:
            where.append(f"page {self.page}")
        return ", ".join(where)


@dataclass(frozen=True)
class CriterionView:
    label: str
    anchor: str
    ref_anchor: str
    id: str
    text: str
    status: str
    status_label: str
    required: bool
    finding: str | None
    evidence: tuple[EvidenceView, ...]
    searched: tuple[str, ...]
    source_check: str | None = None


@dataclass(frozen=True)
class ItemView:
    number: int
    anchor: str
    request: str
    heading: str
    decided: bool
    decision: str | None
    decision_label: str
    reason: str | None
    claims_administrator_guideline: str
    guideline: str | None
    rationale: tuple[str, ...]
    criteria: tuple[CriterionView, ...]
    evidence_tier: str | None
    tier_note: str | None
    overridden: bool = False
    """The expert reviewer decided otherwise than the draft: its criteria are the draft's."""


@dataclass(frozen=True)
class LetterView:
    """Everything a letter template shows, already worded and formatted."""

    organization: str
    title: str
    draft: bool
    draft_notice: str | None
    process_heading: str
    case_id: str | None
    header: tuple[HeaderField, ...]
    process: str
    credentials: ReviewerCredentials | None
    credentials_lead: str
    documents: tuple[DocumentView, ...]
    documents_lead: str
    no_documents: str
    summary_lead: str
    summary: tuple[str, ...]
    issues_lead: str
    items: tuple[ItemView, ...]
    closing: tuple[str, ...]
    include_evidence: bool
    engine_version: str | None
    library_version: str | None

    @property
    def header_rows(self) -> tuple[tuple[HeaderField, ...], ...]:
        """The header laid out as in the letters: the case number alone, then pairs."""
        rest = list(self.header)
        rows: list[tuple[HeaderField, ...]] = []
        if rest and rest[0].label == "Case Number":
            rows.append((rest.pop(0),))
        for i in range(0, len(rest), 2):
            rows.append(tuple(rest[i : i + 2]))
        return tuple(rows)

    @property
    def has_evidence(self) -> bool:
        return self.include_evidence and any(item.criteria for item in self.items)


def _paragraphs(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    blocks = text.replace("\r\n", "\n").split("\n\n")
    return tuple(" ".join(b.split()) for b in blocks if b.strip())


def _header(case_id: str | None, case: Case, options: LetterOptions) -> tuple[HeaderField, ...]:
    fields: list[HeaderField] = []
    if case_id:
        fields.append(HeaderField("Case Number", case_id, "case-number"))
    if options.date_assigned:
        fields.append(HeaderField("Date Assigned", us_date(options.date_assigned)))
    fields.append(HeaderField("Date of Injury", us_date(case.patient.date_of_injury)))
    if options.decision_date and options.final:
        fields.append(HeaderField("Decision Date", us_date(options.decision_date)))
    if options.prepared_on and not options.final:
        fields.append(HeaderField("Date Prepared", us_date(options.prepared_on)))
    fields.append(HeaderField("UR Denial Date", us_date(case.utilization_review.date)))
    priority = "Expedited" if case.review_type == "expedited" else "Standard"
    fields.append(HeaderField("Priority", priority))
    if case.application.received:
        fields.append(HeaderField("Application Received", us_date(case.application.received)))
    return tuple(fields)


def _document_numbers(case: Case) -> dict[str, int]:
    return {rec.path: i for i, rec in enumerate(case.records, start=1)}


def _cited_records(review: CaseReview) -> set[str]:
    cited = {e.record for e in review.summary_evidence}
    for item in review.items:
        for crit in item.criteria:
            cited.update(e.record for e in crit.evidence)
    return cited


def _documents(case: Case, review: CaseReview) -> tuple[DocumentView, ...]:
    cited = _cited_records(review)
    docs = []
    for number, rec in enumerate(case.records, start=1):
        docs.append(
            DocumentView(
                number=number,
                path=rec.path,
                kind=rec.kind,
                record_type=rec.record_type,
                date_of_service=us_date(rec.date_of_service),
                pages=len(rec.pages) or None,
                sha256=rec.sha256[:12] if rec.sha256 else None,
                relied_on=rec.path in cited,
            )
        )
    return tuple(docs)


def _evidence(
    evidence: tuple[Evidence, ...], records: dict[str, Record], numbers: dict[str, int]
) -> tuple[EvidenceView, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[EvidenceView] = []
    for ev in evidence:
        # one passage once, however many facts it supports
        key = (ev.record, " ".join(ev.quote.split()).lower())
        if key in seen:
            continue
        seen.add(key)
        page = ev.page
        if page is None and ev.record in records:
            page = records[ev.record].page_of(ev.start)
        out.append(
            EvidenceView(
                record=ev.record,
                document=numbers.get(ev.record),
                page=page,
                start=ev.start,
                end=ev.end,
                quote=" ".join(ev.quote.split()),
                fact=ev.fact,
            )
        )
    return tuple(out)


def _criterion(
    crit: CriterionResult,
    item_no: int,
    crit_no: int,
    records: dict[str, Record],
    numbers: dict[str, int],
) -> CriterionView:
    return CriterionView(
        label=f"{item_no}.{crit_no}",
        anchor=f"ev-{item_no}-{crit_no}",
        ref_anchor=f"cr-{item_no}-{crit_no}",
        id=crit.id,
        text=" ".join(crit.text.split()),
        status=crit.status.value,
        status_label=status_label(crit.status),
        required=crit.required,
        finding=finding_words(" ".join(crit.finding.split())) if crit.finding else None,
        # a criterion not documented quotes nothing: the passages read for it fall short of
        # it, and beside "not found" they would read as if they documented it
        evidence=(
            ()
            if crit.status.value == "not_documented"
            else _evidence(crit.evidence, records, numbers)
        ),
        searched=tuple(_searched_title(p, records, numbers) for p in crit.searched),
        source_check=crit.source_check,
    )


def _searched_title(path: str, records: dict[str, Record], numbers: dict[str, int]) -> str:
    rec = records.get(path)
    if rec is None or path not in numbers:
        return path.replace("\\", "/").rsplit("/", 1)[-1]
    label = _record_type_label(rec.record_type) if rec.record_type else "record"
    return f"Document {numbers[path]} ({label})"


def _guideline_line(item: ItemDetermination, draft: bool) -> str | None:
    line = guideline_wording(item.guidelines)
    if line is not None and draft:
        line = line.replace(NOT_MTUS, DRAFT_NOT_MTUS)
    return line


def _ca_guideline(item: ItemDetermination, case: Case) -> str:
    """The item's claims administrator citation, else the one case.yaml gives its request."""
    if item.claims_administrator_guideline:
        return claims_administrator_wording(item.claims_administrator_guideline)
    for candidate in case.utilization_review.items:
        if candidate.request == item.request and candidate.guideline:
            return claims_administrator_wording(candidate.guideline)
    return claims_administrator_wording(None)


def _with_missing(text: str, options: LetterOptions) -> str:
    return f"{RECORDS_NOT_RECEIVED} {text}" if options.records_not_received else text


def build_view(review: CaseReview, case: Case, options: LetterOptions | None = None) -> LetterView:
    """Word and format everything the templates show (pure: no I/O, no clock)."""
    opts = options or LetterOptions()
    draft = not opts.final
    credentials = reviewer_credentials(opts, case.extra, case.source)
    records = {rec.path: rec for rec in case.records}
    numbers = _document_numbers(case)
    items: list[ItemView] = []
    for index, item in enumerate(review.items):
        number = index + 1
        decided = is_decided(item)
        items.append(
            ItemView(
                number=number,
                anchor=f"item-{number}",
                request=" ".join(item.request.split()),
                heading=request_heading(item.request),
                decided=decided,
                decision=item.decision if decided else None,
                decision_label=decision_label(item) + (" (proposed)" if draft and decided else ""),
                reason=(
                    " ".join((item.reason or "no criteria set applies to this request").split())
                    if not decided
                    else None
                ),
                claims_administrator_guideline=_ca_guideline(item, case),
                guideline=_guideline_line(item, draft),
                rationale=_paragraphs(item.rationale),
                criteria=tuple(
                    _criterion(c, number, i, records, numbers)
                    for i, c in enumerate(item.criteria, start=1)
                ),
                evidence_tier=item.evidence_tier,
                tier_note=item.tier_note,
                overridden=item.reviewer_action == "override",
            )
        )
    any_overturned = any(i.decided and i.decision == "overturned" for i in items)
    any_undecided = any(not i.decided for i in items)
    case_id = review.case_id or case.case_id
    return LetterView(
        organization=opts.organization,
        title=DRAFT_TITLE if draft else TITLE,
        draft=draft,
        draft_notice=DRAFT_NOTICE if draft else None,
        process_heading=(
            "HOW THIS DRAFT WAS PREPARED" if draft else "HOW THE IMR FINAL DETERMINATION WAS MADE"
        ),
        case_id=case_id,
        header=_header(case_id, case, opts),
        process=_process_paragraph(opts.organization, credentials),
        credentials=credentials,
        credentials_lead=CREDENTIALS_LEAD,
        documents=_documents(case, review),
        documents_lead=_with_missing(DOCUMENTS_LEAD, opts),
        no_documents=_with_missing(NO_DOCUMENTS, opts),
        summary_lead=DRAFT_SUMMARY_LEAD if draft else SUMMARY_LEAD,
        summary=_paragraphs(review.summary),
        issues_lead=DRAFT_ISSUES_LEAD if draft else ISSUES_LEAD,
        items=tuple(items),
        closing=DRAFT_CLOSING if draft else _closing_paragraphs(any_overturned, any_undecided),
        include_evidence=opts.include_evidence,
        engine_version=review.engine_version,
        library_version=review.library_version,
    )


# --------------------------------------------------------------------------- filters


def wrap(
    text: str, width: int = TEXT_WIDTH, indent: str = "", subsequent: str | None = None
) -> str:
    """One paragraph filled to ``width`` columns (whitespace collapsed; words never split)."""
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def heading(text: str, width: int = TEXT_WIDTH) -> str:
    """A heading centred in the text letter, as the published letters set them."""
    return str(text).center(width).rstrip()


def header_line(row: tuple[HeaderField, ...]) -> str:
    """One line of the text header block: ``Label:`` in 22 columns, values at 22 and 76."""
    cells = []
    for i, field in enumerate(row):
        cell = f"{field.label + ':':<22}{field.value}"
        cells.append(f"{cell:<54}" if i < len(row) - 1 else cell)
    return "".join(cells).rstrip()


# --------------------------------------------------------------------------- templates


def _search_path(options: LetterOptions) -> tuple[str, ...]:
    dirs: list[str] = []
    if options.templates_dir is not None:
        if not options.templates_dir.is_dir():
            raise OpenIMRError(
                "templates directory does not exist", file=str(options.templates_dir)
            )
        dirs.append(str(options.templates_dir))
    custom = os.environ.get("OPENIMR_TEMPLATES")
    if custom:
        if not Path(custom).is_dir():
            raise OpenIMRError(
                "templates directory does not exist (set by OPENIMR_TEMPLATES)", file=custom
            )
        dirs.append(custom)
    return tuple(dirs)


@lru_cache(maxsize=8)
def _environment(search: tuple[str, ...]) -> Environment:
    loaders: list[FileSystemLoader | PackageLoader] = [FileSystemLoader(d) for d in search]
    loaders.append(PackageLoader("openimr.render", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "html.j2", "htm.j2"), default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = wrap
    env.filters["heading"] = heading
    env.filters["header_line"] = header_line
    env.globals["TEXT_WIDTH"] = TEXT_WIDTH
    return env


def _stylesheet(env: Environment) -> Markup:
    loader = env.loader
    assert loader is not None
    try:
        source, _, _ = loader.get_source(env, "letter.css")
    except TemplateNotFound:  # pragma: no cover - the package ships one
        return Markup("")
    # The stylesheet is the template author's own file, inserted verbatim into <style>.
    return Markup(source)


def _render(name: str, env: Environment, context: dict[str, object]) -> str:
    try:
        return env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        raise OpenIMRError(
            f"template error: {exc.message}", file=exc.filename or name, line=exc.lineno
        ) from None
    except TemplateNotFound as exc:
        raise OpenIMRError(f"template not found: {exc.name}") from None
    except TemplateError as exc:
        raise OpenIMRError(f"template error: {exc.message}", file=name) from None


def _record_type_label(name: str) -> str:
    """The plain label of a record type (``progress_report`` -> ``Progress report (PR-2)``)."""
    try:
        from openimr.records.record_types import record_type_rules

        return record_type_rules().label(name)
    except (KeyError, ImportError):
        return name.replace("_", " ")


def render_letter(
    review: CaseReview,
    case: Case,
    fmt: str = "text",
    options: LetterOptions | None = None,
) -> str:
    """The letter as plain text (``fmt="text"``) or a self-contained HTML page (``"html"``)."""
    opts = options or LetterOptions()
    if fmt not in ("text", "html"):
        raise OpenIMRError(f"unknown letter format {fmt!r}; use 'text' or 'html'")
    env = _environment(_search_path(opts))
    context: dict[str, object] = {
        "letter": build_view(review, case, opts),
        "review": review,
        "case": case,
        "options": opts,
    }
    if fmt == "text":
        return _render("letter.txt.j2", env, context)
    context["stylesheet"] = _stylesheet(env)
    return _render("letter.html.j2", env, context)


def render_pdf(review: CaseReview, case: Case, options: LetterOptions | None = None) -> bytes:
    """The HTML letter printed to PDF by WeasyPrint (US Letter, running header, page X of Y)."""
    from weasyprint import HTML

    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    html = render_letter(review, case, "html", options)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def write_letter(
    review: CaseReview, case: Case, path: Path, options: LetterOptions | None = None
) -> None:
    """Write the letter to ``path`` by its extension, atomically (no half-written file)."""
    suffix = path.suffix.lower()
    directory = path.parent if str(path.parent) else Path(".")
    if suffix not in (".pdf", ".html", ".htm", ".txt"):
        raise OpenIMRError(
            f"unknown letter type {suffix or '(none)'!r}; use .pdf, .html or .txt",
            file=str(path),
        )
    if not directory.is_dir():
        raise OpenIMRError("directory does not exist", file=str(directory))
    if suffix == ".pdf":
        data = render_pdf(review, case, options)
    elif suffix in (".html", ".htm"):
        data = render_letter(review, case, "html", options).encode("utf-8")
    else:
        data = render_letter(review, case, "text", options).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
