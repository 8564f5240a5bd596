"""The service's bridge to the pure workflow rules: eligibility, deadlines, the reviewer panel.

The workflow service keeps its rows in the database; the rules in :mod:`openimr.workflow`
take plain values. This module turns one into the other, so the service never holds a rule
of its own. (Interim: until the workflow-domain modules land, a small built-in version of
each rule is used; every function here keeps its signature when they do.)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from openimr.service.schemas import CandidateOut, EligibilityOut, ReasonOut
from openimr.store.models import CaseRow, ReviewerRow
from openimr.workflow.lifecycle import CaseState

PACIFIC = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class ComputedDeadline:
    kind: str
    due: dt.datetime
    due_date: dt.date
    unit: str
    started_by: str
    basis: str
    citation: str


# ---------------------------------------------------------------- calendar (interim)


def _is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays.country_holidays("US", subdiv="CA")


def _add_business_days(start: dt.date, n: int) -> dt.date:
    day = start
    while n > 0:
        day += dt.timedelta(days=1)
        if _is_business_day(day):
            n -= 1
    return day


def _roll_forward(day: dt.date) -> dt.date:
    while not _is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), PACIFIC).astimezone(dt.UTC)


def _day_of(at: dt.datetime) -> dt.date:
    return at.astimezone(PACIFIC).date()


# ---------------------------------------------------------------- eligibility


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def screen(case: CaseRow, *, prior: list[CaseRow], today: dt.date) -> EligibilityOut:
    """Screen an application (8 CCR 9792.10.3) and give every reason that applies."""
    facts = case.facts
    reasons: list[ReasonOut] = []
    deferred = False

    def add(code: str, message: str, citation: str) -> None:
        reasons.append(ReasonOut(code=code, message=message, citation=citation))

    if case.application_signed is False:
        add(
            "not_signed",
            "the application is not signed by the employee or the employee's representative",
            "8 CCR 9792.10.1(b)(1)",
        )
    served = _date(facts.get("ur_served")) or case.ur_date
    limit = 35 if facts.get("ur_served_by_mail") else 30
    if (case.received_on - served).days > limit:
        add(
            "late",
            f"the application was received {(case.received_on - served).days} days after the "
            f"UR decision was served; the limit is {limit} days",
            "LC 4610.5(h)(1); 8 CCR 9792.10.1(b)(1)",
        )
    if facts.get("ur_letter_attached") is False:
        add(
            "ur_not_attached",
            "the written UR decision is not attached",
            "8 CCR 9792.10.1(b)(1)",
        )
    if facts.get("conditional_non_certification"):
        add(
            "conditional_non_certification",
            "the UR decision is a conditional non-certification (information was asked for)",
            "8 CCR 9792.10.3",
        )
    if facts.get("ur_untimely"):
        add(
            "ur_untimely",
            "the UR decision was untimely; the dispute is for the WCAB, not IMR",
            "Dubon v. World Restoration (2014) 79 CCC 1298",
        )
    if facts.get("treatment_authorized"):
        add("treatment_authorized", "the treatment was authorized", "8 CCR 9792.10.6(a)")
    if facts.get("not_medical_necessity"):
        add(
            "not_medical_necessity",
            "the dispute is not about medical necessity",
            "LC 4610.6(a)",
        )
    requests = {_norm(it["request"]) for it in case.items}
    for other in prior:
        shared = requests & {_norm(it["request"]) for it in other.items}
        if not shared:
            continue
        if other.state in {s.value for s in CaseState if s not in _CLOSED_WITHOUT_DECISION}:
            if other.state == CaseState.LETTER_ISSUED.value:
                add(
                    "prior_imr",
                    f"a previous IMR ({other.id}) already decided the same treatment",
                    "8 CCR 9792.10.3(a)(2)",
                )
            else:
                add(
                    "duplicate",
                    f"the same treatment is already in review in case {other.id}",
                    "8 CCR 9792.10.3",
                )
    if facts.get("liability_disputed") and not reasons:
        deferred = True
        add(
            "liability_disputed",
            "liability for the claim is disputed for a reason other than medical necessity",
            "8 CCR 9792.10.3(d)",
        )
    return EligibilityOut(eligible=not reasons, deferred=deferred, reasons=reasons)


_CLOSED_WITHOUT_DECISION = {
    CaseState.INELIGIBLE,
    CaseState.WITHDRAWN,
    CaseState.TERMINATED,
}


def same_claim(a: CaseRow, b: CaseRow) -> bool:
    """Two applications of the same worker's claim (same injury date, employer, administrator)."""
    keys = ("employer", "claims_administrator")
    return a.date_of_injury == b.date_of_injury and all(
        _norm(str(a.parties.get(k) or "")) == _norm(str(b.parties.get(k) or "")) for k in keys
    )


# ---------------------------------------------------------------- deadlines

_OPEN_WHILE: dict[str, frozenset[CaseState]] = {
    "assignment_notice": frozenset({CaseState.ELIGIBLE}),
    "records_due": frozenset({CaseState.ASSIGNED, CaseState.RECORDS_REQUESTED}),
    "determination": frozenset({CaseState.RECORDS_RECEIVED, CaseState.IN_REVIEW}),
}


def deadline_open(kind: str, state: CaseState) -> bool:
    """Whether the clock ``kind`` still runs for a case in ``state``."""
    return state in _OPEN_WHILE.get(kind, frozenset())


def deadlines_for(case: CaseRow, milestones: dict[str, dt.datetime]) -> list[ComputedDeadline]:
    """The clocks that have started on the case, from the lifecycle events that start them."""
    out: list[ComputedDeadline] = []
    expedited = case.review_type == "expedited"
    eligible_at = milestones.get("find_eligible")
    if eligible_at is not None:
        day = _add_business_days(_day_of(eligible_at), 1)
        out.append(
            ComputedDeadline(
                "assignment_notice",
                _end_of_day(day),
                day,
                "business_days",
                f"eligibility finding on {_day_of(eligible_at)}",
                "1 business day after the eligibility finding",
                "8 CCR 9792.10.4(b)",
            )
        )
    assigned_at = milestones.get("assign")
    if assigned_at is not None:
        if expedited:
            due = assigned_at + dt.timedelta(hours=24)
            out.append(
                ComputedDeadline(
                    "records_due",
                    due,
                    _day_of(due),
                    "hours",
                    f"assignment notice at {assigned_at.isoformat()}",
                    "24 hours after the notice of assignment (expedited)",
                    "8 CCR 9792.10.5(a)(1)",
                )
            )
        else:
            day = _roll_forward(_day_of(assigned_at) + dt.timedelta(days=12))
            out.append(
                ComputedDeadline(
                    "records_due",
                    _end_of_day(day),
                    day,
                    "calendar_days",
                    f"assignment notice on {_day_of(assigned_at)} (electronic)",
                    "12 days after an electronic notice of assignment",
                    "8 CCR 9792.10.5(a)(1)",
                )
            )
    received_at = milestones.get("receive_records")
    if received_at is not None:
        n = 3 if expedited else 30
        day = _day_of(received_at) + dt.timedelta(days=n)
        out.append(
            ComputedDeadline(
                "determination",
                _end_of_day(day),
                day,
                "calendar_days",
                f"records received on {_day_of(received_at)}",
                f"{n} days from receipt of the request and supporting documents",
                "LC 4610.6(d)",
            )
        )
    return out


# ---------------------------------------------------------------- reviewers


def _norm(text: str) -> str:
    text = re.sub(r"[^a-z0-9 ]+", " ", text.lower())
    text = re.sub(r"\b(inc|llc|co|corp|company|the|md|do|dc|phd|pt)\b", " ", text)
    return " ".join(text.split())


def qualification_problems(row: ReviewerRow, load: int) -> list[str]:
    """Why the reviewer cannot take any case now (empty when they can)."""
    p = row.profile
    problems: list[str] = []
    if not row.active:
        problems.append("not active on the panel")
    licenses = [x for x in p.get("licenses", []) if x.get("state", "").upper() == "CA"]
    if not any(x.get("active", True) and not x.get("restricted") for x in licenses):
        problems.append("no active, unrestricted California license")
    if not p.get("board_certifications"):
        problems.append("not board certified")
    if float(p.get("years_in_practice", 0)) <= 5:
        problems.append("not in active practice for more than five years")
    if float(p.get("weekly_practice_hours", 0)) < 24:
        problems.append("practices fewer than 24 hours a week")
    if p.get("disciplinary_actions"):
        problems.append("has disciplinary actions on record")
    if load >= row.max_load:
        problems.append(f"at maximum load ({load} of {row.max_load} cases)")
    return problems


def conflicts(row: ReviewerRow, case: CaseRow) -> list[str]:
    parties: list[tuple[str, str]] = []
    for role in ("employer", "claims_administrator"):
        if case.parties.get(role):
            parties.append((role.replace("_", " "), str(case.parties[role])))
    for provider in case.parties.get("providers") or []:
        parties.append(("provider", str(provider)))
    found = []
    for aff in row.profile.get("affiliations", []):
        a = _norm(str(aff))
        for role, name in parties:
            n = _norm(name)
            if a and n and (a == n or a in n or n in a):
                found.append(f"affiliated with the {role} ({name})")
    return found


def specialty_match(row: ReviewerRow, case: CaseRow) -> bool:
    words = {
        w
        for s in [*row.profile.get("specialties", []), *row.profile.get("subspecialties", [])]
        for w in _norm(str(s)).split()
        if len(w) > 3
    }
    text = " ".join(_norm(it["request"]) for it in case.items)
    return any(w[:6] in text for w in words)


def rank(case: CaseRow, reviewers: list[ReviewerRow], loads: dict[str, int]) -> list[CandidateOut]:
    """Every reviewer, best first: eligible before not, specialty match, then lightest load."""
    out = []
    for r in reviewers:
        load = loads.get(r.id, 0)
        problems = qualification_problems(r, load)
        conf = conflicts(r, case)
        match = specialty_match(r, case)
        out.append(
            CandidateOut(
                reviewer_id=r.id,
                eligible=not problems and not conf,
                problems=problems,
                conflicts=conf,
                specialty_match=match,
                current_load=load,
                score=(1.0 if match else 0.0) - load / max(r.max_load, 1),
            )
        )
    out.sort(key=lambda c: (not c.eligible, -(c.score or 0.0), c.reviewer_id))
    return out


def credentials(row: ReviewerRow) -> str:
    """The letter's paragraph on the reviewer's qualifications; never the name."""
    p = row.profile
    certs = " and ".join(p.get("board_certifications", [])) or "a relevant specialty"
    subs = p.get("subspecialties") or []
    sub = f", has a subspecialty in {' and '.join(subs)}" if subs else ""
    return (
        "The expert reviewer has no affiliation with the employer, employee, providers or the "
        f"claims administrator. The expert reviewer is Board Certified in {certs}{sub} and is "
        "licensed to practice in California. He/she has been in active clinical practice for "
        "more than five years and is currently working at least 24 hours a week in active "
        "practice. The expert reviewer was selected based on his/her clinical experience, "
        "education, background, and expertise in the same or similar specialties that "
        "evaluate and/or treat the medical condition and disputed items/services."
    )
