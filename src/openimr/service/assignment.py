"""Assignment: ranking the panel for a case, assigning a reviewer, and the records they review."""

from __future__ import annotations

from openimr.errors import ConflictError, InputError, NotFoundError
from openimr.process.lifecycle import ASSIGNED_STATES, CaseState, transition
from openimr.service import process_bridge as rules
from openimr.service.base import WorkflowBase
from openimr.service.schemas import CandidateOut, CaseOut
from openimr.store import cases as case_store
from openimr.store import drafts as draft_store
from openimr.store import reviewers as reviewer_store
from openimr.store.models import CaseRow


class AssignmentActions(WorkflowBase):
    """Choosing the reviewer, and the claims administrator's records coming in (or not)."""

    def candidates(self, case_id: str) -> list[CandidateOut]:
        """Every reviewer ranked for the case, with why each one can or cannot take it."""
        case = self._write_case(case_id, "assign")
        out = self._candidates(case)
        self._event("read", "candidates", case=case)
        return out

    def _candidates(self, case: CaseRow) -> list[CandidateOut]:
        reviewers = reviewer_store.panel(self.session)
        loads = case_store.reviewer_loads(self.session, [s.value for s in ASSIGNED_STATES])
        model = self.load_case_model(case, read_records=False)
        return rules.rank(model, case, reviewers, loads, self.today())

    def _choose(
        self, ranked: list[CandidateOut], reviewer_id: str | None, excluded: set[str | None]
    ) -> CandidateOut:
        """The reviewer named (if they may take the case), else the best-ranked usable one."""
        if reviewer_id is not None:
            chosen = next((c for c in ranked if c.reviewer_id == reviewer_id), None)
            if chosen is None:
                raise NotFoundError(f"no reviewer {reviewer_id!r}", field="reviewer_id")
            if reviewer_id in excluded:
                raise ConflictError("the case is already assigned to that reviewer")
            if not chosen.eligible:
                why = "; ".join([*chosen.conflicts, *chosen.problems]) or "not eligible"
                raise ConflictError(
                    f"reviewer {reviewer_id} cannot take this case: {why}", field="reviewer_id"
                )
            return chosen
        usable = [c for c in ranked if c.eligible and c.reviewer_id not in excluded]
        if not usable:
            raise ConflictError(
                "no reviewer on the panel is qualified, free of conflicts and below their "
                "maximum load for this case"
            )
        return usable[0]

    def assign(
        self, case_id: str, *, reviewer_id: str | None = None, reason: str | None = None
    ) -> CaseOut:
        """Assign the best-ranked qualified reviewer free of conflicts (or the one named).

        A reviewer with any affiliation to a party of the case, a qualification problem or a
        full load is never assigned. On a case that already has a reviewer this reassigns
        (a reason is required) and the review starts again.
        """
        case = self._write_case(case_id, "assign")
        state = CaseState(case.state)
        reassign = state in ASSIGNED_STATES
        if reassign and not reason:
            raise InputError("a reason is required to reassign a case", field="reason")
        transition(state, "reassign" if reassign else "assign")
        ranked = self._candidates(case)
        excluded: set[str | None] = {case.reviewer_id} if reassign and case.reviewer_id else set()
        chosen = self._choose(ranked, reviewer_id, excluded)
        previous = case.reviewer_id
        case.reviewer_id = chosen.reviewer_id
        if reassign:
            # the new reviewer starts from the engine again; earlier decisions do not carry over
            for row in self._decisions(case.id).values():
                draft_store.remove_decision(self.session, row)
            self._move(
                case,
                "reassign",
                reason=reason,
                reviewer=chosen.reviewer_id,
                previous_reviewer=previous,
            )
        else:
            self._move(case, "assign", reason=reason, reviewer=chosen.reviewer_id)
        self._recompute_deadlines(case)
        self._flush()
        return self.case_out(case)

    # ------------------------------------------------------------------ records

    def request_records(self, case_id: str, reason: str | None = None) -> CaseOut:
        case = self._write_case(case_id, "request_records")
        self._move(case, "request_records", reason=reason)
        self._recompute_deadlines(case)
        return self.case_out(case)

    def receive_records(self, case_id: str, reason: str | None = None) -> CaseOut:
        case = self._write_case(case_id, "receive_records")
        records = self._documents(case.id, "record")
        if not records:
            raise ConflictError(
                "the case has no records yet; attach them before marking them received"
            )
        self._move(case, "receive_records", reason=reason, records=len(records))
        self._recompute_deadlines(case)
        return self.case_out(case)

    def review_without_records(self, case_id: str, reason: str | None = None) -> CaseOut:
        """Send the case to review on the documents at hand: the claims administrator's
        records are overdue (8 CCR 9792.10.6(b)(2)).

        Refused while the records are not yet overdue, and when no document is on file: a
        determination may rest on the UR decision's summary of records and the documents the
        employee or requesting physician sent, "No independent medical review determination
        shall issue based solely on the information provided by a utilization review
        determination". openimr does not know who sent a stored record: every attached record
        is taken as sent by the employee or the requesting physician.
        """
        case = self._write_case(case_id, "receive_records")
        transition(case.state, "proceed_without_records")
        rows = {r.kind: r for r in self._deadline_rows(case.id)}
        due = rows.get("records_due")
        if due is None or not due.open:
            raise ConflictError(
                "the case has no open records clock; mark the records received instead",
                field="state",
            )
        deadline = rules.deadline_of(due)
        if deadline.due_at(rules.CALENDAR) > self.now():
            raise ConflictError(
                "the claims administrator's records are not overdue until the end of "
                f"{due.due_date.isoformat()}; the review can go ahead without them only after "
                "that (8 CCR 9792.10.6(b)(2))",
                field="state",
            )
        records = self._documents(case.id, "record")
        if not records:
            raise ConflictError(
                "no document is on file: a determination cannot rest on the UR decision alone; "
                "attach the documents the employee or requesting physician sent "
                "(8 CCR 9792.10.6(b)(2))"
            )
        self._move(
            case,
            "proceed_without_records",
            reason=reason,
            records=len(records),
            records_due=due.due_date.isoformat(),
        )
        self._recompute_deadlines(case)
        return self.case_out(case)
