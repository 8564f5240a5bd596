"""The letter's view: everything a letter template shows, worded and formatted from the
review and the case (pure: no I/O, no clock)."""

from __future__ import annotations

from dataclasses import dataclass

from openimr.model import Case, CaseReview, CriterionResult, Evidence, ItemDetermination, Record
from openimr.render.letter.prose import (
    CREDENTIALS_LEAD,
    DOCUMENTS_LEAD,
    DRAFT_CLOSING,
    DRAFT_ISSUES_LEAD,
    DRAFT_NOT_MTUS,
    DRAFT_NOTICE,
    DRAFT_SUMMARY_LEAD,
    DRAFT_TITLE,
    ISSUES_LEAD,
    NO_DOCUMENTS,
    RECORDS_NOT_RECEIVED,
    SUMMARY_LEAD,
    TITLE,
    closing_paragraphs,
    process_paragraph,
)
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
            title = record_type_label(self.record_type)
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
    label = record_type_label(rec.record_type) if rec.record_type else "record"
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
        process=process_paragraph(opts.organization, credentials),
        credentials=credentials,
        credentials_lead=CREDENTIALS_LEAD,
        documents=_documents(case, review),
        documents_lead=_with_missing(DOCUMENTS_LEAD, opts),
        no_documents=_with_missing(NO_DOCUMENTS, opts),
        summary_lead=DRAFT_SUMMARY_LEAD if draft else SUMMARY_LEAD,
        summary=_paragraphs(review.summary),
        issues_lead=DRAFT_ISSUES_LEAD if draft else ISSUES_LEAD,
        items=tuple(items),
        closing=DRAFT_CLOSING if draft else closing_paragraphs(any_overturned, any_undecided),
        include_evidence=opts.include_evidence,
        engine_version=review.engine_version,
        library_version=review.library_version,
    )


def record_type_label(name: str) -> str:
    """The plain label of a record type (``progress_report`` -> ``Progress report (PR-2)``)."""
    try:
        from openimr.records.record_types import record_type_rules

        return record_type_rules().label(name)
    except (KeyError, ImportError):
        return name.replace("_", " ")
