"""Letters: the draft letter's preview, the final determination (JSON, FHIR), and the Final
Determination Letter, rendered, signed and issued as a PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openimr.errors import ConflictError, InputError, NotFoundError
from openimr.model import Case, CaseReview
from openimr.process.lifecycle import transition
from openimr.process.reviewers import ReviewerError
from openimr.render import review_to_json
from openimr.render.options import LetterOptions, ReviewerCredentials
from openimr.service import process_bridge as rules
from openimr.service.auth import require
from openimr.service.base import WorkflowBase
from openimr.service.process_bridge import local_day
from openimr.service.review import final_review
from openimr.service.schemas import DocumentOut
from openimr.store import determinations as determination_store
from openimr.store import reviewers as reviewer_store
from openimr.store.models import CaseRow, DeterminationRow

LETTER_NAME = "final-determination-letter.pdf"


def _render_letter(
    review: CaseReview, model: Case, fmt: str, options: LetterOptions
) -> tuple[bytes, str]:
    from openimr.render.letter import render_letter, render_pdf

    if fmt == "pdf":
        return render_pdf(review, model, options), "application/pdf"
    if fmt not in ("html", "text"):
        raise InputError(f"unknown letter format {fmt!r}; use pdf, html or text", field="format")
    text = render_letter(review, model, fmt, options)
    media = "text/html; charset=utf-8" if fmt == "html" else "text/plain; charset=utf-8"
    return text.encode("utf-8"), media


class LetterActions(WorkflowBase):
    """The determination as the parties read it: previewed, issued, read back."""

    def _final(self, case: CaseRow) -> CaseReview:
        return CaseReview.model_validate(self._determination(case).review)

    def _determination(self, case: CaseRow) -> DeterminationRow:
        row = determination_store.get(self.session, case.id)
        if row is None:
            raise NotFoundError(f"case {case.id} has no final determination yet")
        return row

    def _require_signed(self, case: CaseRow) -> None:
        """Refuse to issue a determination no reviewer signed with stated qualifications."""
        row = self._determination(case)
        creds = ReviewerCredentials.model_validate(row.letter.get("credentials") or {})
        if not row.reviewer_id or creds.empty:
            raise ConflictError(
                "the determination cannot be issued as final: it names no signing reviewer "
                "whose qualifications it states (8 CCR 9792.10.6(b)(1), (d)); finalize it "
                "again as the assigned reviewer",
                field="reviewer",
            )

    def letter_options(self, case: CaseRow) -> LetterOptions:
        """The letter's reviewer credentials (never the name), dates and issuing organization."""
        row = self._determination(case)
        stored = row.letter
        creds = ReviewerCredentials.model_validate(stored.get("credentials") or {})
        return LetterOptions(
            organization=self.organization,
            reviewer=creds,
            date_assigned=stored.get("date_assigned"),
            decision_date=stored.get("decision_date"),
            records_not_received=bool(stored.get("records_not_received")),
            # final only when signed by a reviewer whose qualifications it states (the rule
            # issue_letter enforces); anything else is marked as a draft
            final=bool(row.reviewer_id) and not creds.empty,
        )

    def _draft_letter_options(self, case: CaseRow) -> LetterOptions:
        """A draft letter's options: the assigned reviewer's credentials when there is one
        free of conflicts, dated today, marked as a draft."""
        creds = None
        reviewer = reviewer_store.get(self.session, case.reviewer_id) if case.reviewer_id else None
        if reviewer is not None:
            model = self.load_case_model(case, read_records=False)
            try:
                facts = rules.letter_facts(reviewer, model, case.facts, self.today())
            except ReviewerError:
                facts = None
            if facts is not None:
                creds = ReviewerCredentials.model_validate(facts["credentials"])
        assigned = self._milestones(case).get("assign")
        return LetterOptions(
            organization=self.organization,
            reviewer=creds,
            date_assigned=local_day(assigned) if assigned else None,
            prepared_on=self.today(),
            records_not_received=self._records_not_received(case),
            final=False,
        )

    def letter_preview(self, case_id: str, fmt: str = "html") -> tuple[bytes, str]:
        """The letter as it stands: before finalize, a draft from the engine's draft and the
        reviewer's decisions so far (undecided items as the engine drafted them), marked as a
        draft everywhere; once finalized, the final letter (as :meth:`letter`)."""
        require(self.actor, "read_letter")
        case = self._case(case_id)
        if determination_store.get(self.session, case.id) is not None:
            return self.letter(case_id, fmt)
        draft = self._latest_draft(case.id)
        if draft is None:
            raise NotFoundError(
                f"case {case_id} has no draft yet; run the engine first", field="case_id"
            )
        review = final_review(
            CaseReview.model_validate(draft.review), self._decisions(case.id), partial=True
        )
        model = self.load_case_model(case)
        options = self._draft_letter_options(case)
        data, media = _render_letter(review, model, fmt, options)
        self._event("read", "preview_letter", case=case, format=fmt, draft=draft.id)
        return data, media

    def get_determination(self, case_id: str) -> dict[str, Any]:
        require(self.actor, "read_draft")
        case = self._case(case_id)
        review = self._final(case)
        self._event("read", "read_determination", case=case)
        return review_to_json(review)

    def determination_fhir(self, case_id: str) -> dict[str, Any]:
        """The final determination as a FHIR R4 ClaimResponse (Da Vinci PAS shape)."""
        require(self.actor, "read_draft")
        case = self._case(case_id)
        row = self._determination(case)
        from openimr.render.fhir import claim_response

        out = claim_response(
            CaseReview.model_validate(row.review),
            case_id=case.id,
            case_number=case.case_number,
            organization=self.organization,
            finalized_at=row.finalized_at.replace(tzinfo=row.finalized_at.tzinfo or dt.UTC),
        )
        self._event("read", "read_determination", case=case, format="fhir")
        return out

    def issue_letter(self, case_id: str) -> DocumentOut:
        """Render the Final Determination Letter (PDF) from the final decisions and store it."""
        case = self._write_case(case_id, "issue_letter")
        transition(case.state, "issue_letter")
        from openimr.render.letter import render_pdf

        review = self._final(case)
        self._require_signed(case)
        model = self.load_case_model(case)
        pdf = render_pdf(review, model, self.letter_options(case))
        doc = self._store_document(case, "letter", LETTER_NAME, pdf)
        self._flush()
        self._move(case, "issue_letter", document=doc.id, sha256=doc.sha256, size=doc.size)
        self._recompute_deadlines(case, model)
        self._flush()
        return DocumentOut.model_validate(doc)

    def letter(self, case_id: str, fmt: str = "pdf") -> tuple[bytes, str]:
        """The issued letter as stored (PDF), or the final determination as HTML or text."""
        require(self.actor, "read_letter")
        case = self._case(case_id)
        docs = self._documents(case.id, "letter") if fmt == "pdf" else []
        if docs:
            data, media = self.blobs.get(docs[-1].sha256), "application/pdf"
        else:
            # finalized, not yet issued (or HTML/text): rendered from the final determination
            data, media = _render_letter(
                self._final(case), self.load_case_model(case), fmt, self.letter_options(case)
            )
        self._event("read", "read_letter", case=case, format=fmt)
        return data, media
