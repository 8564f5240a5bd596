"""The case lifecycle as an explicit state machine (pure: no clock, no database).

Every change of state is one of the :data:`TRANSITIONS` below, named by an action; anything
else is refused with :class:`~openimr.errors.InvalidTransitionError` naming the state, the
action and what the case can do next. The service records each transition as an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openimr.errors import InvalidTransitionError


class CaseState(StrEnum):
    RECEIVED = "received"
    """The application is in; nothing has been decided."""
    SCREENING = "screening"
    """Eligibility screening is under way (8 CCR 9792.10.3)."""
    DEFERRED = "deferred"
    """Screening is parked: liability is disputed for a reason other than medical necessity."""
    INELIGIBLE = "ineligible"
    """Screened out, with the reason (appealable to the WCAB, 8 CCR 10575(a))."""
    ELIGIBLE = "eligible"
    """Screened in; waiting for an expert reviewer."""
    ASSIGNED = "assigned"
    """An expert reviewer is assigned (notice of assignment, 9792.10.4)."""
    RECORDS_REQUESTED = "records_requested"
    """The claims administrator has been asked for the records (9792.10.5)."""
    RECORDS_RECEIVED = "records_received"
    """Ready for review: the records are in, or (8 CCR 9792.10.6(b)(2)) they are overdue and
    the review goes ahead on the documents at hand; the decision clock runs from here."""
    IN_REVIEW = "in_review"
    """The engine's draft is made; the reviewer is accepting or overriding each item."""
    DETERMINED = "determined"
    """The reviewer finalized every item (the determination is fixed)."""
    LETTER_ISSUED = "letter_issued"
    """The Final Determination Letter is issued."""
    WITHDRAWN = "withdrawn"
    """The applicant withdrew the application."""
    TERMINATED = "terminated"
    """Closed without a determination, e.g. the treatment was authorized (9792.10.6(a))."""


S = CaseState

OPEN_STATES: frozenset[CaseState] = frozenset(
    {
        S.RECEIVED,
        S.SCREENING,
        S.DEFERRED,
        S.ELIGIBLE,
        S.ASSIGNED,
        S.RECORDS_REQUESTED,
        S.RECORDS_RECEIVED,
        S.IN_REVIEW,
    }
)
"""States a case can still be withdrawn or terminated from."""

FINAL_STATES: frozenset[CaseState] = frozenset(
    {S.INELIGIBLE, S.LETTER_ISSUED, S.WITHDRAWN, S.TERMINATED}
)

ASSIGNED_STATES: frozenset[CaseState] = frozenset(
    {S.ASSIGNED, S.RECORDS_REQUESTED, S.RECORDS_RECEIVED, S.IN_REVIEW}
)
"""States in which a reviewer holds the case (they count toward the reviewer's load)."""


@dataclass(frozen=True)
class Transition:
    action: str
    source: CaseState
    target: CaseState
    description: str


def _t(
    action: str, sources: set[CaseState] | frozenset[CaseState], target: CaseState, text: str
) -> list[Transition]:
    return [Transition(action, s, target, text) for s in sorted(sources)]


TRANSITIONS: tuple[Transition, ...] = tuple(
    [
        *_t("start_screening", {S.RECEIVED}, S.SCREENING, "eligibility screening begins"),
        *_t("find_eligible", {S.SCREENING}, S.ELIGIBLE, "screened in"),
        *_t("find_ineligible", {S.SCREENING}, S.INELIGIBLE, "screened out, with the reasons"),
        *_t("defer", {S.SCREENING}, S.DEFERRED, "liability disputed; screening parked"),
        *_t("resume_screening", {S.DEFERRED}, S.SCREENING, "liability resolved; screen again"),
        *_t("assign", {S.ELIGIBLE}, S.ASSIGNED, "an expert reviewer is assigned"),
        *_t(
            "reassign",
            ASSIGNED_STATES,
            S.ASSIGNED,
            "a different reviewer is assigned (conflict or unavailability); review restarts",
        ),
        *_t("request_records", {S.ASSIGNED}, S.RECORDS_REQUESTED, "records asked for"),
        *_t(
            "receive_records",
            {S.ASSIGNED, S.RECORDS_REQUESTED},
            S.RECORDS_RECEIVED,
            "the records are in",
        ),
        *_t(
            "proceed_without_records",
            {S.ASSIGNED, S.RECORDS_REQUESTED},
            S.RECORDS_RECEIVED,
            "the claims administrator's records are overdue; the review goes ahead on the "
            "documents at hand (8 CCR 9792.10.6(b)(2))",
        ),
        *_t("start_review", {S.RECORDS_RECEIVED}, S.IN_REVIEW, "the engine's draft is made"),
        *_t("finalize", {S.IN_REVIEW}, S.DETERMINED, "the reviewer signs the determination"),
        *_t("issue_letter", {S.DETERMINED}, S.LETTER_ISSUED, "the letter is issued"),
        *_t("withdraw", OPEN_STATES, S.WITHDRAWN, "the applicant withdrew"),
        *_t("terminate", OPEN_STATES, S.TERMINATED, "closed without a determination"),
    ]
)

_BY_KEY: dict[tuple[CaseState, str], Transition] = {(t.source, t.action): t for t in TRANSITIONS}
ACTIONS: frozenset[str] = frozenset(t.action for t in TRANSITIONS)


def allowed_actions(state: CaseState) -> list[str]:
    """The actions a case in ``state`` can take, in a stable order."""
    return sorted(action for (source, action) in _BY_KEY if source is state)


def transition(state: CaseState | str, action: str) -> Transition:
    """The transition ``action`` takes from ``state``, or a clear refusal."""
    try:
        current = CaseState(state)
    except ValueError:
        raise InvalidTransitionError(f"unknown case state {state!r}") from None
    if action not in ACTIONS:
        raise InvalidTransitionError(f"unknown action {action!r}", field="action")
    found = _BY_KEY.get((current, action))
    if found is None:
        allowed = allowed_actions(current)
        nxt = ", ".join(allowed) if allowed else "nothing (the case is closed)"
        raise InvalidTransitionError(
            f"a case in state '{current.value}' cannot {action.replace('_', ' ')}; it can do: {nxt}"
        )
    return found
