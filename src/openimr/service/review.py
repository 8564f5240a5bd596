"""Review: the engine's draft (run now or as a background job), the reviewer's accept or
override of each item, and the final determination."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from openimr.errors import ConflictError, InputError, NotFoundError, OpenIMRError
from openimr.model import CaseReview, ItemDetermination
from openimr.process.lifecycle import CaseState, transition
from openimr.process.reviewers import ReviewerError
from openimr.render.jsonout import item_to_json
from openimr.service import process_bridge as rules
from openimr.service.auth import require
from openimr.service.base import ReviewEngine, WorkflowBase
from openimr.service.process_bridge import local_day
from openimr.service.schemas import (
    CaseOut,
    DecideIn,
    DraftItemOut,
    DraftOut,
    ItemDecisionOut,
    JobOut,
)
from openimr.service.uploads import Limits, read_case
from openimr.store import determinations as determination_store
from openimr.store import drafts as draft_store
from openimr.store import jobs as job_store
from openimr.store import reviewers as reviewer_store
from openimr.store.models import (
    CaseRow,
    DeterminationRow,
    DraftRow,
    ItemDecisionRow,
    JobRow,
)


class ReviewTimeoutError(InputError):
    """The engine ran past ``OPENIMR_MAX_REVIEW_SECONDS`` on a case."""

    code = "review_too_long"


@dataclass(frozen=True)
class DraftInput:
    """What the engine needs for a draft, read in one short transaction (no lock held after)."""

    case_id: str
    version: int
    case_yaml: bytes
    records: dict[str, bytes]
    documents: tuple[int, ...] = ()
    """The ids of the case's stored files the engine read."""


def run_review(
    inp: DraftInput, review_engine: ReviewEngine | None, limits: Limits | None = None
) -> CaseReview:
    """Read the case and run the engine on it, outside any database transaction.

    The engine runs on its own thread; past ``limits.max_review_seconds`` the draft fails
    with :class:`ReviewTimeoutError` and the result, when it comes, is thrown away.
    """
    limits = limits or Limits()
    result: list[CaseReview] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            model = read_case(inp.case_yaml, inp.records, limits=limits.records)
            if review_engine is not None:
                result.append(review_engine(model))
            else:
                from openimr.pipeline import review_case

                result.append(review_case(model))
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"openimr-review-{inp.case_id}", daemon=True)
    worker.start()
    worker.join(limits.max_review_seconds)
    if worker.is_alive():
        raise ReviewTimeoutError(
            f"the engine took longer than the limit of {limits.max_review_seconds:g} seconds "
            "per review (OPENIMR_MAX_REVIEW_SECONDS); the draft was abandoned",
            field="case_id",
        )
    if failure:
        raise failure[0]
    return result[0]


def final_review(
    review: CaseReview, decisions: dict[int, ItemDecisionRow], *, partial: bool = False
) -> CaseReview:
    """The determination as issued: the engine's items as accepted, overrides applied.

    An overridden item carries the reviewer's decision and a rationale in the letter's own
    structure (:func:`openimr.render.override.override_rationale`: the guideline summary, the
    reviewer's reason as what the records show, the conclusion for the reviewer's decision);
    the engine's draft stays stored beside it, unchanged. With ``partial`` (a preview), items
    not yet decided keep the engine's draft.
    """
    from openimr.render.override import override_rationale

    items: list[ItemDetermination] = []
    for i, item in enumerate(review.items):
        dec = decisions.get(i)
        if dec is None:
            if not partial:
                raise KeyError(i)
            items.append(item)  # a preview: the engine's draft, as drafted
            continue
        if dec.action == "override":
            overturned = dec.decision == "overturned"
            item = item.model_copy(
                update={
                    "decision": dec.decision,
                    "medically_necessary": overturned,
                    "rationale": override_rationale(
                        item.request, item.rationale, dec.decision, dec.reason or ""
                    ),
                    "needs_review": False,
                    "reason": None,
                    # the sentences traced were the engine's; the reviewer's are not traced
                    "rationale_trace": (),
                    "reviewer_action": "override",
                }
            )
        else:
            item = item.model_copy(update={"needs_review": False, "reviewer_action": "accept"})
        items.append(item)
    return review.model_copy(update={"items": tuple(items)})


def _final_choice(engine_item: ItemDetermination, index: int, decision: DecideIn) -> str:
    """The item's final decision as the reviewer chose it, or why the choice is refused."""
    if decision.action == "accept":
        if engine_item.decision is None:
            raise InputError(
                f"item {index} has no engine decision to accept "
                f"({engine_item.reason or 'needs review'}); override it with a decision "
                "and a reason",
                field="action",
            )
        if decision.decision is not None and decision.decision != engine_item.decision:
            raise InputError(
                f"accept keeps the engine's decision ({engine_item.decision}); "
                "to decide otherwise, override with a reason",
                field="decision",
            )
        return engine_item.decision
    if decision.decision is None:
        raise InputError("an override needs a decision (upheld or overturned)", field="decision")
    if not (decision.reason or "").strip():
        raise InputError("an override needs a reason", field="reason")
    return decision.decision


class ReviewActions(WorkflowBase):
    """The engine's draft, the reviewer's decisions on it, and finalizing them."""

    def draft(self, case_id: str) -> DraftOut:
        """Run the engine on the stored case and keep its draft beside the reviewer's decisions.

        Drafting again (in review) replaces the draft and clears the decisions made on the
        old one: they no longer describe what the reviewer is looking at. (The API runs the
        three steps, :meth:`draft_input`, :func:`run_review` and :meth:`store_draft`, in
        separate transactions so that no lock is held while the engine works.)
        """
        inp = self.draft_input(case_id)
        review = run_review(inp, self.review_engine, self.limits)
        return self.store_draft(inp, review)

    def _draft_case(self, case_id: str, *, for_update: bool) -> tuple[CaseRow, CaseState]:
        require(self.actor, "draft")
        case = self._case(case_id, for_update=for_update)
        if self.actor.is_reviewer:
            self._require_assigned_reviewer(case)
        state = CaseState(case.state)
        if state is not CaseState.IN_REVIEW:
            transition(state, "start_review")
        return case, state

    def draft_input(self, case_id: str) -> DraftInput:
        """Check the draft is allowed now and read what the engine needs (no writes)."""
        case, _state = self._draft_case(case_id, for_update=False)
        docs = self._documents(case.id)
        yaml_docs = [d for d in docs if d.kind == "case_yaml"]
        if not yaml_docs:
            raise OpenIMRError(f"case {case.id} has no stored case.yaml")
        return DraftInput(
            case_id=case.id,
            version=case.version,
            case_yaml=self.blobs.get(yaml_docs[-1].sha256),
            records={d.name: self.blobs.get(d.sha256) for d in docs if d.kind == "record"},
            documents=tuple(d.id for d in docs if d.kind in ("case_yaml", "record")),
        )

    def store_draft(self, inp: DraftInput, review: CaseReview) -> DraftOut:
        """Store the engine's draft, if the case did not change while the engine ran."""
        case, state = self._draft_case(inp.case_id, for_update=True)
        now_docs = tuple(
            d.id for d in self._documents(case.id) if d.kind in ("case_yaml", "record")
        )
        if case.version != inp.version or now_docs != inp.documents:
            raise ConflictError(
                "the case changed while the engine was drafting (records attached, reassigned "
                "or drafted by another request); draft again"
            )
        row = DraftRow(
            case_id=case.id,
            created_at=self.now(),
            created_by=self.actor.id,
            engine_version=review.engine_version,
            library_version=review.library_version,
            review=review.model_dump(mode="json"),
        )
        draft_store.add(self.session, row)
        self._flush()
        kept, cleared = self._carry_decisions(case, row, review)
        self._flush()
        detail: dict[str, Any] = {
            "draft": row.id,
            "items": len(review.items),
            "kept_decisions": kept,
            "cleared_decisions": cleared,
        }
        if state is CaseState.IN_REVIEW:
            self._event("write", "redraft", case=case, **detail)
            case.updated_at = self.now()
        else:
            self._move(case, "start_review", **detail)
        self._flush()
        return self._draft_out(case, row).model_copy(update={"cleared_decisions": cleared})

    def _carry_decisions(
        self, case: CaseRow, draft: DraftRow, review: CaseReview
    ) -> tuple[list[int], list[int]]:
        """Keep the reviewer's decisions across a new draft: an override always (it is the
        reviewer's own decision and reason), an accept while the engine still drafts the same
        decision for the same request. Only an accept of a decision the engine no longer
        drafts is cleared (returned, and in the audit event, so the page can say so)."""
        kept: list[int] = []
        cleared: list[int] = []
        for index, dec in sorted(self._decisions(case.id).items()):
            new = review.items[index] if index < len(review.items) else None
            old_request = case.items[index]["request"] if index < len(case.items) else None
            same_item = new is not None and (old_request is None or new.request == old_request)
            if (
                new is not None
                and same_item
                and (dec.action == "override" or dec.decision == new.decision)
            ):
                dec.draft_id = draft.id
                kept.append(index)
            else:
                draft_store.remove_decision(self.session, dec)
                cleared.append(index)
        return kept, cleared

    # ------------------------------------------------------------------ draft jobs

    def queue_draft(self, case_id: str) -> JobOut:
        """Queue a background draft (the caller runs it: :func:`run_draft_job`)."""
        case, _state = self._draft_case(case_id, for_update=True)
        busy = job_store.active_for_case(self.session, case.id)
        if busy is not None and not self._fail_if_lost(busy):
            raise ConflictError(
                f"a draft of this case is already {busy.state} (job {busy.id})", field="case_id"
            )
        job = JobRow(
            kind="draft",
            case_id=case.id,
            state="queued",
            actor=self.actor.id,
            role=self.actor.role.value,
            reviewer_id=self.actor.reviewer_id,
            case_version=case.version,
            created_at=self.now(),
        )
        job_store.add(self.session, job)
        self._flush()
        self._event("write", "draft_queued", case=case, job=job.id)
        return JobOut.model_validate(job)

    def get_job(self, job_id: int) -> JobOut:
        """A draft job, as its caller (or an administrator/auditor) may see it."""
        require(self.actor, "read_draft")
        job = job_store.get(self.session, job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id}", field="job_id")
        self._case(job.case_id)  # reviewers see only the jobs of their own cases
        self._fail_if_lost(job)
        return JobOut.model_validate(job)

    def _fail_if_lost(self, job: JobRow) -> bool:
        """Mark ``job`` failed if it can no longer be running (its server stopped).

        A running job ends within the review time limit; a queued one within that limit for
        each job ahead of it. Past that (and a minute's grace) it was lost.
        """
        if job.state not in job_store.ACTIVE:
            return False
        per_job = dt.timedelta(seconds=self.limits.max_review_seconds + 60)
        if job.state == "running":
            lost = job.started_at is not None and self.now() - job.started_at > per_job
        else:
            ahead = job_store.active_before(self.session, job.id)
            lost = self.now() - job.created_at > per_job * (ahead + 1)
        if lost:
            job.state = "failed"
            job.finished_at = self.now()
            job.error = "the job was interrupted (the server stopped); draft again"
            self._flush()
        return lost

    # ------------------------------------------------------------------ the reviewer's decisions

    def _draft_out(self, case: CaseRow, draft: DraftRow) -> DraftOut:
        review = CaseReview.model_validate(draft.review)
        decisions = self._decisions(case.id)
        items = []
        for i, item in enumerate(review.items):
            dec = decisions.get(i)
            items.append(
                DraftItemOut(
                    index=i,
                    engine=item_to_json(item),
                    reviewer=ItemDecisionOut.model_validate(dec) if dec is not None else None,
                    final_decision=dec.decision if dec is not None else None,
                )
            )
        return DraftOut(
            case_id=case.id,
            draft_id=draft.id,
            created_at=draft.created_at,
            engine_version=draft.engine_version,
            library_version=draft.library_version,
            summary=review.summary,
            items=items,
            complete=bool(items) and all(i.reviewer is not None for i in items),
        )

    def get_draft(self, case_id: str) -> DraftOut:
        require(self.actor, "read_draft")
        case = self._case(case_id)
        draft = self._latest_draft(case.id)
        if draft is None:
            raise NotFoundError(f"case {case_id} has no draft yet; run the draft first")
        self._event("read", "read_draft", case=case, draft=draft.id)
        return self._draft_out(case, draft)

    def decide_item(self, case_id: str, index: int, decision: DecideIn) -> DraftOut:
        """The reviewer accepts the engine's draft for one item, or overrides it with a reason."""
        require(self.actor, "decide_item")
        case = self._case(case_id, for_update=True)
        reviewer_id = self._require_assigned_reviewer(case)
        if case.state != CaseState.IN_REVIEW.value:
            raise ConflictError(
                f"items can be decided only in review; the case is '{case.state}'", field="state"
            )
        draft = self._latest_draft(case.id)
        if draft is None:  # pragma: no cover - in_review always has a draft
            raise ConflictError("the case has no draft")
        review = CaseReview.model_validate(draft.review)
        if not 0 <= index < len(review.items):
            raise NotFoundError(
                f"no item {index}; the case has items 0 to {len(review.items) - 1}", field="index"
            )
        engine_item = review.items[index]
        reason = (decision.reason or "").strip() or None
        final = _final_choice(engine_item, index, decision)
        row = self._decisions(case.id).get(index)
        if row is None:
            row = ItemDecisionRow(case_id=case.id, item_index=index)
            draft_store.add_decision(self.session, row)
        row.draft_id = draft.id
        row.action = decision.action
        row.decision = final
        row.reason = reason
        row.reviewer_id = reviewer_id
        row.at = self.now()
        case.updated_at = self.now()
        self._flush()
        self._event(
            "write",
            "decide_item",
            case=case,
            reason=reason,
            item=index,
            choice=decision.action,
            decision=final,
            engine_decision=engine_item.decision,
            draft=draft.id,
        )
        return self._draft_out(case, draft)

    def finalize(self, case_id: str) -> CaseOut:
        """Fix the determination: every item decided by the assigned reviewer, once."""
        require(self.actor, "finalize")
        case = self._case(case_id, for_update=True)
        reviewer_id = self._require_assigned_reviewer(case)
        transition(case.state, "finalize")
        draft = self._latest_draft(case.id)
        if draft is None:  # pragma: no cover
            raise ConflictError("the case has no draft")
        review = CaseReview.model_validate(draft.review)
        decisions = self._decisions(case.id)
        missing = [i for i in range(len(review.items)) if i not in decisions]
        if missing:
            raise ConflictError(
                "every item needs the reviewer's accept or override before finalizing; "
                f"undecided: {', '.join(str(i) for i in missing)}"
            )
        reviewer = reviewer_store.get(self.session, reviewer_id)
        if reviewer is None:  # pragma: no cover - keys name reviewers on the panel
            raise NotFoundError(f"no reviewer {reviewer_id!r}")
        model = self.load_case_model(case, read_records=False)
        try:
            letter = rules.letter_facts(reviewer, model, case.facts, self.today())
        except ReviewerError as exc:
            raise ConflictError(f"the determination cannot be signed: {exc}") from None
        assigned = self._milestones(case).get("assign")
        letter["date_assigned"] = local_day(assigned).isoformat() if assigned else None
        letter["decision_date"] = self.today().isoformat()
        letter["records_not_received"] = self._records_not_received(case)
        final = final_review(review, decisions)
        self._move(case, "finalize", draft=draft.id, items=len(review.items))
        determination = DeterminationRow(
            case_id=case.id,
            draft_id=draft.id,
            review=final.model_dump(mode="json"),
            reviewer_id=reviewer_id,
            finalized_at=self.now(),
            letter=letter,
        )
        if not determination_store.insert_new(self.session, determination):
            raise ConflictError("the case is already finalized")
        return self.case_out(case)
