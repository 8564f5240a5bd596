"""Eligibility screening of an IMR application (8 CCR 9792.10.3; DWC's published reasons).

:func:`screen_application` checks an application against every rule openimr knows and returns
all the reasons that apply, in a fixed order (jurisdiction first, then filing defects, then
duplicates, then deferral), each with a plain-words message and its citation. A fact that is
unknown (None) never produces a reason by guessing: when the answer depends on it the field is
listed in ``missing_information`` instead (the Administrative Director may ask the parties for
it, 9792.10.3(b)). The checks are data (``library/data/process/eligibility.yaml``, schema
and conditions in :mod:`openimr.process.eligibility_data`), except the four that reason over
time spans or other applications, kept here as methods of :class:`_Screen` and named from the
data (:data:`PYTHON_CHECKS`). The rules and their sources are listed in
``docs/workflow-rules.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openimr.process.calendar import CaliforniaCalendar
from openimr.process.deadlines import ServiceMethod, service_extension
from openimr.process.eligibility_data import (
    REASON_ORDER as REASON_ORDER,
)
from openimr.process.eligibility_data import (
    Check,
    Effect,
    EligibilityBook,
    ReasonCode,
    citation_of,
    law_for,
    load_eligibility_checks,
    matching_case,
    message_of,
)
from openimr.process.law import LawVersion, rule_on
from openimr.process.names import name_tokens, names_match, normalize_item

Signer = Literal[
    "employee", "representative", "attorney", "parent-guardian", "physician-designated"
]
UROutcome = Literal["denied", "modified", "approved", "delayed"]
Status = Literal["eligible", "ineligible", "deferred", "needs_information"]
PriorStatus = Literal[
    "pending",
    "eligible",
    "assigned",
    "in_review",
    "decided",
    "ineligible",
    "withdrawn",
    "terminated",
]

_APPLIES = rule_on("imr-applies", dt.date(2013, 1, 1))
IMR_INJURY_START: dt.date = _APPLIES.values["injury_from"]
#: Lab. Code 4610.5(a)(2): the UR decision "communicated to the requesting physician on or
#: after July 1, 2013, regardless of the date of injury".
IMR_UR_START: dt.date = _APPLIES.values["communicated_from"]
#: Lab. Code 4610(i)(4)(A) / 9792.9.1(e)(3): the UR decision reaches the requesting physician
#: within 24 hours of being made (read only in practitioner summaries). Used when the day of
#: communication is unknown.
COMMUNICATION_HOURS = 24
OPEN_PRIOR: frozenset[str] = frozenset({"pending", "eligible", "assigned", "in_review"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ApplicationFacts(_Frozen):
    """What is known about one IMR application (None: not known)."""

    application_signed: bool | None = None
    signed_by: Signer | None = None
    physician_designation_after_ur: bool | None = None
    application_received: dt.date | None = None
    ur_decision_date: dt.date | None = None
    # Lab. Code 4610.5(a)(2): the day the UR decision was communicated to the requesting
    # physician (on or after the decision date). Unknown: the decision date stands in for it.
    ur_decision_communicated: dt.date | None = None
    ur_decision_served: dt.date | None = None
    ur_service_method: ServiceMethod | None = None
    ur_decision_attached: bool | None = None
    ur_conditional_noncertification: bool = False
    ur_outcome: UROutcome | None = None
    liability_disputed_non_medical: bool = False
    # 9792.10.3(d): a liability dispute defers IMR unless the claims administrator agrees.
    claims_administrator_agrees_eligible: bool = False
    treatment_authorized_since: bool = False
    medical_necessity_question: bool = True
    ur_timely: bool | None = None
    date_of_injury: dt.date | None = None
    items: list[str] = Field(default_factory=list)
    employee_id: str | None = None
    claim_number: str | None = None
    physician: str | None = None
    documented_change_in_material_facts: bool = False
    formulary_dispute: bool = False

    @model_validator(mode="after")
    def _dates_in_order(self) -> ApplicationFacts:
        decided = self.ur_decision_date
        if decided is not None:
            told = self.ur_decision_communicated
            if told is not None and told < decided:
                raise ValueError(
                    f"ur_decision_communicated ({told}) is before ur_decision_date ({decided})"
                )
            if self.ur_decision_served is not None and self.ur_decision_served < decided:
                raise ValueError(
                    f"ur_decision_served ({self.ur_decision_served}) is before "
                    f"ur_decision_date ({decided})"
                )
            if self.application_received is not None and self.application_received < decided:
                raise ValueError(
                    f"application_received ({self.application_received}) is before "
                    f"ur_decision_date ({decided})"
                )
        return self


class PriorApplication(_Frozen):
    """An earlier IMR application or review, for duplicate and prior-decision checks."""

    application_id: str
    employee_id: str | None = None
    claim_number: str | None = None
    physician: str | None = None
    ur_decision_date: dt.date | None = None
    items: list[str] = Field(default_factory=list)
    status: PriorStatus = "pending"
    received: dt.date | None = None
    decided_on: dt.date | None = None
    outcome: Literal["upheld", "overturned"] | None = None


class IneligibilityReason(_Frozen):
    code: ReasonCode
    message: str
    citation: str
    effect: Effect = "ineligible"
    verified: bool = True
    related: list[str] = Field(default_factory=list)


class MissingInformation(_Frozen):
    field: str
    why: str


class EligibilityResult(_Frozen):
    status: Status
    eligible: bool
    deferred: bool
    reasons: list[IneligibilityReason]
    missing_information: list[MissingInformation] = Field(default_factory=list)
    application_due: dt.date | None = None

    @property
    def codes(self) -> list[ReasonCode]:
        return [r.code for r in self.reasons]


# -- normalisation --------------------------------------------------------------------------


def normalize_person(name: str) -> tuple[str, ...]:
    """Name tokens without titles, sorted ("Dr. Jane Smith, MD" == "Smith, Jane")."""
    return tuple(sorted(name_tokens(name)))


def _same_id(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and normalize_item(a) == normalize_item(b) != ""


def same_worker(app: ApplicationFacts, prior: PriorApplication) -> bool:
    """Same employee id, or (when either id is missing) the same claim number."""
    if app.employee_id is not None and prior.employee_id is not None:
        return _same_id(app.employee_id, prior.employee_id)
    return _same_id(app.claim_number, prior.claim_number)


def _overlap(a: Sequence[str], b: Sequence[str]) -> list[str]:
    theirs = {normalize_item(x) for x in b}
    return [x for x in a if normalize_item(x) in theirs and normalize_item(x)]


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# -- the checks -----------------------------------------------------------------------------


class _Screen:
    def __init__(
        self,
        app: ApplicationFacts,
        prior: Sequence[PriorApplication],
        calendar: CaliforniaCalendar,
        today: dt.date,
    ) -> None:
        self.app = app
        self.prior = prior
        self.cal = calendar
        self.today = today
        self.reasons: list[IneligibilityReason] = []
        self.missing: list[MissingInformation] = []
        self.application_due: dt.date | None = None

    def reason(
        self,
        code: ReasonCode,
        message: str,
        citation: str,
        *,
        effect: Effect = "ineligible",
        verified: bool = True,
        related: Sequence[str] = (),
    ) -> None:
        self.reasons.append(
            IneligibilityReason(
                code=code,
                message=message,
                citation=citation,
                effect=effect,
                verified=verified,
                related=list(related),
            )
        )

    def need(self, field: str, why: str) -> None:
        if all(m.field != field for m in self.missing):
            self.missing.append(MissingInformation(field=field, why=why))

    # jurisdiction

    def era(self) -> None:
        """Lab. Code 4610.5(a): injury from 2013, or the UR decision communicated to the
        requesting physician from 1 July 2013.

        When the day of communication is unknown the UR decision date stands in: the decision
        is communicated on or after the day it is made, so a decision from 1 July 2013 is in;
        a decision made before 30 June 2013 was communicated before 1 July if it reached the
        physician within the 24 hours the UR rules allow (assumed, ``verified=False``); a
        decision of 30 June 2013 needs the day of communication.
        """
        applies = rule_on("imr-applies", IMR_INJURY_START)
        injury = self.app.date_of_injury
        told, decided = self.app.ur_decision_communicated, self.app.ur_decision_date
        if injury is not None and injury >= IMR_INJURY_START:
            return
        if told is None and decided is not None and decided >= IMR_UR_START:
            return  # communicated on or after the decision date
        if told is not None and told >= IMR_UR_START:
            return
        if injury is None:
            self.need(
                "date_of_injury",
                "IMR covers injuries from 1 Jan 2013 or UR decisions communicated to the "
                "requesting physician from 1 Jul 2013; neither is known",
            )
            return
        if told is None:
            if decided is None:
                self.need(
                    "ur_decision_communicated",
                    "the injury is before 2013, so IMR applies only to a UR decision "
                    "communicated to the requesting physician on or after 1 Jul 2013",
                )
                return
            latest = decided + dt.timedelta(hours=COMMUNICATION_HOURS)
            if latest >= IMR_UR_START:
                self.need(
                    "ur_decision_communicated",
                    f"the UR decision of {decided.isoformat()} may have reached the requesting "
                    "physician on or after 1 Jul 2013, when IMR began for pre-2013 injuries",
                )
                return
            self.reason(
                "ur_before_imr_era",
                f"The injury ({injury.isoformat()}) is before 1 January 2013 and the UR "
                f"decision ({decided.isoformat()}) was made before 30 June 2013; the day it was "
                "communicated to the requesting physician is not known, and within the 24 "
                "hours the UR rules allow it was before 1 July 2013, so the dispute is not "
                "decided by Independent Medical Review.",
                applies.cite(),
                verified=False,
            )
            return
        self.reason(
            "ur_before_imr_era",
            f"The injury ({injury.isoformat()}) is before 1 January 2013 and the UR decision "
            f"was communicated to the requesting physician on {told.isoformat()}, before "
            "1 July 2013, so the dispute is not decided by Independent Medical Review.",
            applies.cite(),
        )

    # filing

    def timeliness(self) -> None:
        app = self.app
        received = app.application_received
        if received is None:
            self.need("application_received", "the 30-day filing limit cannot be checked")
            return
        served = app.ur_decision_served
        if served is None:
            decided = app.ur_decision_date
            if decided is not None:
                # Service is on or after the decision date: counting from the decision is the
                # earliest possible last day, so an application in time by that count is timely.
                earliest = self.cal.roll_forward(self.cal.add_calendar_days(decided, 30))
                if received <= earliest:
                    return
            self.need(
                "ur_decision_served", "the 30-day filing limit runs from service of the UR decision"
            )
            return
        method = app.ur_service_method
        if method is None:
            shortest = self.cal.roll_forward(self.cal.add_calendar_days(served, 30))
            longest = self.cal.roll_forward(self.cal.add_calendar_days(served, 35))
            if received <= shortest:
                self.application_due = shortest
                return
            if received > longest:
                self._late(received, served, longest, "even with 5 days added for mailing")
                return
            self.need(
                "ur_service_method",
                "the application is in time only if the UR decision was mailed (5 extra days)",
            )
            return
        extension, why, _ = service_extension(method, served, self.cal)
        nominal = self.cal.add_calendar_days(served, 30 + extension)
        due = self.cal.roll_forward(nominal)
        self.application_due = due
        if received > due:
            how = why if extension else "no days added for the way it was served"
            if due != nominal:
                how += f"; the last day moved from {nominal.isoformat()} (weekend or holiday)"
            self._late(received, served, due, how)

    def _late(self, received: dt.date, served: dt.date, due: dt.date, how: str) -> None:
        self.application_due = due
        self.reason(
            "filed_late",
            f"The application arrived on {received.isoformat()}, after the last day to file, "
            f"{due.isoformat()}: 30 days after the UR decision was served on "
            f"{served.isoformat()}, {how}.",
            rule_on("application-filing", IMR_INJURY_START).cite()
            + "; Code Civ. Proc. 1013(a), 12a; Avila v. UC Irvine Medical Center (2015 WCAB panel)",
            verified=not self.app.formulary_dispute,
        )

    # other applications

    def duplicates(self) -> None:
        app = self.app
        for prior in self.prior:
            if prior.status not in OPEN_PRIOR or not same_worker(app, prior):
                continue
            if app.ur_decision_date is None or prior.ur_decision_date is None:
                continue
            if app.ur_decision_date != prior.ur_decision_date:
                continue
            shared = _overlap(app.items, prior.items)
            if not shared:
                continue
            self.reason(
                "duplicate",
                f"Application {prior.application_id} for the same worker and the same UR "
                f"decision ({app.ur_decision_date.isoformat()}) is already pending for: "
                f"{', '.join(shared)}.",
                rule_on("previous-application", IMR_INJURY_START).cite(),
                related=[prior.application_id],
            )

    def decided_before(self) -> None:
        app = self.app
        if app.documented_change_in_material_facts:
            return
        reference = app.ur_decision_date or app.application_received or self.today
        for prior in self.prior:
            if prior.status != "decided" or prior.decided_on is None:
                continue
            if not same_worker(app, prior):
                continue
            if prior.decided_on > reference or _add_months(prior.decided_on, 12) < reference:
                continue
            shared = _overlap(app.items, prior.items)
            if not shared:
                continue
            if app.physician is None or prior.physician is None:
                self.need(
                    "physician",
                    f"application {prior.application_id} decided the same "
                    "treatment within 12 months; it bars a new review only for the "
                    "same requesting physician",
                )
                continue
            if names_match(app.physician, prior.physician) != "exact":
                continue
            outcome = f" ({prior.outcome})" if prior.outcome else ""
            twelve = rule_on("twelve-month-rule", max(reference, IMR_INJURY_START))
            self.reason(
                "already_decided",
                f"IMR {prior.application_id} decided the same treatment ({', '.join(shared)}) "
                f"for this worker and physician on {prior.decided_on.isoformat()}{outcome}, "
                "less than 12 months ago, and no change in the material facts is documented.",
                rule_on("previous-application", IMR_INJURY_START).cite()
                + f"; by analogy {twelve.cite()}",
                verified=False,
                related=[prior.application_id],
            )

    def apply(self, check: Check, facts: dict[str, Any]) -> None:
        """Apply one check of the eligibility data (``cases``; see :mod:`.eligibility_data`)."""
        looked_up: list[LawVersion | None] = []

        def law() -> LawVersion | None:
            if not looked_up:
                looked_up.append(law_for(check, facts))
            return looked_up[0]

        case = matching_case(check, facts, law)
        if case is None:
            return
        if case.ask is not None:
            self.need(case.ask.field, case.ask.why)
            return
        assert case.reason is not None  # a case asks or gives a reason (validated)
        cited = law() if case.cites_rule() else None
        self.reason(
            case.reason,
            message_of(case, facts),
            citation_of(case, cited),
            effect=case.effect,
            verified=case.verified and (cited is None or cited.verified),
        )

    def run(self) -> EligibilityResult:
        facts = dict(self.app)
        for check in eligibility_checks().checks:
            if check.function is not None:
                PYTHON_CHECKS[check.function](self)
            else:
                self.apply(check, facts)
        rank = {code: i for i, code in enumerate(REASON_ORDER)}
        reasons = sorted(self.reasons, key=lambda r: rank[r.code])
        blocking = [r for r in reasons if r.effect != "deferred"]
        status: Status
        if blocking:
            status = "ineligible"
        elif reasons:
            status = "deferred"
        elif self.missing:
            status = "needs_information"
        else:
            status = "eligible"
        return EligibilityResult(
            status=status,
            eligible=status == "eligible",
            deferred=status == "deferred",
            reasons=reasons,
            missing_information=list(self.missing),
            application_due=self.application_due,
        )


#: The checks kept in Python, by the name ``eligibility.yaml`` gives them.
PYTHON_CHECKS: dict[str, Callable[[_Screen], None]] = {
    "imr_era": _Screen.era,
    "filing_time": _Screen.timeliness,
    "duplicate_pending": _Screen.duplicates,
    "decided_within_12_months": _Screen.decided_before,
}


@lru_cache(maxsize=1)
def eligibility_checks() -> EligibilityBook:
    """The checks of ``library/data/process/eligibility.yaml`` (cached)."""
    return load_eligibility_checks(
        frozenset(ApplicationFacts.model_fields), frozenset(PYTHON_CHECKS)
    )


def screen_application(
    app: ApplicationFacts,
    *,
    prior: Sequence[PriorApplication],
    calendar: CaliforniaCalendar,
    today: dt.date,
) -> EligibilityResult:
    """Every reason ``app`` cannot (yet) go to review, in :data:`REASON_ORDER`.

    ``eligible`` is True only when no reason applies and nothing needed is unknown;
    ``deferred`` when the only reasons defer the review (liability disputed).
    """
    return _Screen(app, prior, calendar, today).run()
