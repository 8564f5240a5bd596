"""Screening: eligible, ineligible or deferred; and closing a case (withdrawn, terminated)."""

from __future__ import annotations

from openimr.process.eligibility import PriorApplication
from openimr.process.lifecycle import CaseState, transition
from openimr.service import process_bridge as rules
from openimr.service.base import WorkflowBase, need_reason
from openimr.service.process_bridge import local_day
from openimr.service.schemas import ApplicationFactsIn, CaseOut, EligibilityOut
from openimr.store import cases as case_store
from openimr.store import determinations as determination_store
from openimr.store.models import CaseRow


def _reasons_text(result: EligibilityOut) -> str:
    return "; ".join(r.message for r in result.reasons) or "no reason given"


class ScreeningActions(WorkflowBase):
    """Screening an application, and ending a case before its determination."""

    def screen(self, case_id: str, *, facts: ApplicationFactsIn | None = None) -> CaseOut:
        """Screen the application: eligible, ineligible with the reasons, or deferred.

        When the screen needs facts nobody gave (e.g. when the UR decision was served), the
        case stays in screening with the list of what is missing: that is the request for
        information to the parties (9792.10.3(b)); screening again with the answers goes on.
        """
        case = self._write_case(case_id, "screen")
        if case.state == CaseState.RECEIVED.value:
            self._move(case, "start_screening")
        elif case.state == CaseState.DEFERRED.value:
            self._move(case, "resume_screening")
        elif case.state != CaseState.SCREENING.value:
            transition(case.state, "start_screening")  # raises the clear refusal
        model = self.load_case_model(case, read_records=False)
        waiting = bool(case.eligibility and case.eligibility.get("status") == "needs_information")
        if facts is not None:
            merged = rules.merge_facts(case.facts, facts)
            rules.check_facts(model, case.received_on, merged)
            case.facts = merged
            case.claim_number = merged.get("claim_number")
            case.employee_id = merged.get("employee_id")
            given = sorted(facts.model_dump(exclude_none=True))
            self._event(
                "write",
                "information_received" if waiting else "facts_added",
                case=case,
                fields=given,
            )
        result = rules.screen(model, case, prior=self._prior_cases(case), today=self.today())
        case.eligibility = {
            **result.model_dump(mode="json"),
            "screened_at": self.now().isoformat(),
        }
        self._record_screen(case, result)
        self._recompute_deadlines(case, model)
        self._flush()
        return self.case_out(case)

    def _record_screen(self, case: CaseRow, result: EligibilityOut) -> None:
        """Move the case as the screen found (or record the request for missing facts)."""
        codes = [r.code for r in result.reasons]
        if result.status == "needs_information":
            missing = [m.field for m in result.missing_information]
            self._event(
                "write",
                "information_requested",
                case=case,
                reason="; ".join(m.why for m in result.missing_information),
                missing=missing,
            )
            case.updated_at = self.now()
        elif result.deferred:
            self._move(case, "defer", reason=_reasons_text(result), reasons=codes)
        elif result.eligible:
            self._move(case, "find_eligible", reasons=codes)
        elif {r.effect for r in result.reasons} - {"deferred"} == {"terminated"}:
            # e.g. the treatment was authorized meanwhile: the review ends (9792.10.6(a))
            self._move(case, "terminate", reason=_reasons_text(result), reasons=codes)
        else:
            self._move(case, "find_ineligible", reason=_reasons_text(result), reasons=codes)

    def _prior_cases(self, case: CaseRow) -> list[PriorApplication]:
        """Earlier applications of the same worker or claim (duplicates, prior IMR)."""
        out = []
        for row in case_store.same_worker_or_claim(self.session, case):
            if row.created_at > case.created_at:
                continue
            det = determination_store.get(self.session, row.id)
            decided_on = local_day(det.finalized_at) if det is not None else None
            outcome = None
            if det is not None:
                decisions = {i.get("decision") for i in det.review.get("items", [])}
                outcome = decisions.pop() if len(decisions) == 1 else None
            out.append(rules.prior_application(row, decided_on=decided_on, outcome=outcome))
        return out

    def withdraw(self, case_id: str, reason: str) -> CaseOut:
        case = self._write_case(case_id, "withdraw")
        self._move(case, "withdraw", reason=need_reason(reason))
        return self.case_out(case)

    def terminate(self, case_id: str, reason: str) -> CaseOut:
        case = self._write_case(case_id, "terminate")
        self._move(case, "terminate", reason=need_reason(reason))
        return self.case_out(case)
